// Training trajectories against PyTorch's (reference/training.py, TRAJECTORIES): from the same
// float32 initial weights and the same 50 batches, 50 steps of SGD with momentum and 50 of Adam
// (cross-entropy, train() mode, Dropout p = 0), compared tensor by tensor with PyTorch's float32
// run: ||mine - PyTorch's|| / ||PyTorch's||.
//
// The bound is 1e-4, or twice the distance float32 rounding alone puts between PyTorch's own
// float32 run and its float64 run of the same steps (<name>.<opt>.spread.bin), if that is larger:
// nothing computing in float32 can follow PyTorch more closely than its own rounding lets it.
// Where it matters: Adam divides each gradient by its running size, so a parameter whose true
// gradient is zero or tiny follows its rounding noise; in the seed's model with BatchNorm, the
// convolutions' biases before each BatchNorm have a true gradient of exactly zero (the
// normalisation removes them). Measured with PyTorch 1.13, float32 against float64, worst tensor:
// MLP 2.1e-7 (SGD) and 2.2e-6 (Adam); SimpleMNISTModel 2.4e-7 and 9.7e-4; with BatchNorm 0.15 and
// 0.039 (2026-11-30).
//
// One case is beyond that: Adam on the model with BatchNorm ends up to 4e-2 from PyTorch's float32
// run in some tensors whose own float32-to-float64 distance is below 1e-4, since every rounding
// difference is a different noise for the zero-gradient biases and the BatchNorm statistics that
// follow them. It is measured (and printed) but not checked in float32; the same 50 steps in
// float64, typenet against PyTorch, end within 1e-9 (the last test), which shows the arithmetic is
// PyTorch's.
//
// Element by element, relative to the tensor's largest value, the MLP stays within 1e-4 with SGD
// and 1e-3 with Adam (PyTorch with 1 and with 2 threads ends 2.1e-4 apart in 3 of its 200,704
// first-layer weights).
#include <cmath>
#include <type_traits>

#include "training_support.hpp"

namespace {
using namespace typenet;
using namespace training;

constexpr std::size_t steps = 50;

using mlp = Sequential<Flatten, Linear<784, 256>, ReLU, Linear<256, 128>, ReLU, Linear<128, 10>>;
// The seed's SimpleMNISTModel (examples/simple_mnist_model.hpp) with Dropout p = 0, and its
// BatchNorm variant (tests/reference/models.py).
using classifier = Named<"classifier", Sequential<Flatten, Linear<128 * 4 * 4, 256>, ReLU, Dropout<"0">,
                                                  Linear<256, 128>, ReLU, Dropout<"0">, Linear<128, 10>>>;
using simple_mnist = Sequential<
    Named<"features", Sequential<
        Conv2d<1, 32, 3, padding<1>>, ReLU, MaxPool2d<2, stride<2>>,
        Conv2d<32, 64, 3, padding<1>>, ReLU, MaxPool2d<2, stride<2>>,
        Conv2d<64, 128, 3, padding<1>>, ReLU, AdaptiveAvgPool2d<4, 4>>>,
    classifier>;
using simple_mnist_batch_norm = Sequential<
    Named<"features", Sequential<
        Conv2d<1, 32, 3, padding<1>>, BatchNorm2d<32>, ReLU, MaxPool2d<2, stride<2>>,
        Conv2d<32, 64, 3, padding<1>>, BatchNorm2d<64>, ReLU, MaxPool2d<2, stride<2>>,
        Conv2d<64, 128, 3, padding<1>>, BatchNorm2d<128>, ReLU, AdaptiveAvgPool2d<4, 4>>>,
    classifier>;

template <class T>
double norm_error(std::span<const T> actual, std::span<const T> expected) {
    double diff = 0, norm = 0;
    for (std::size_t i = 0; i < actual.size(); ++i) {
        diff += (double(actual[i]) - expected[i]) * (double(actual[i]) - expected[i]);
        norm += double(expected[i]) * expected[i];
    }
    return norm > 0 ? std::sqrt(diff / norm) : std::sqrt(diff);
}

struct trajectory_errors {
    double norm = 0, element = 0;
};

// Trains a copy of PyTorch's initial model for `steps` steps; returns the worst errors of a tensor.
// element_bound < 0: no element-by-element bound; checked = false: measured, not checked.
template <class Net, std::size_t B, class MakeOptimizer, class T = float>
trajectory_errors trajectory_error(const std::string& name, const std::string& optimizer_name, double element_bound,
                                   MakeOptimizer make, bool checked = true) {
    using M = Trainable<Net, Input<1, 28, 28>, T, B>;
    auto model = std::make_unique<M>();
    load_state_dict(*model, reference_dir + "/" + name + ".pth");
    auto optimizer = make(*model);
    const std::vector<float> batches = read_values<float>(name + ".batches.bin");
    const std::vector<std::int64_t> labels = read_values<std::int64_t>(name + ".labels.bin");
    constexpr std::size_t per_batch = B * 28 * 28;
    REQUIRE(batches.size() == steps * per_batch);
    REQUIRE(labels.size() == steps * B);
    auto x = std::make_unique<typename M::template batch_input_type<B>>();
    auto y = std::make_unique<typename M::template batch_output_type<B>>();
    auto grad = std::make_unique<typename M::template batch_output_type<B>>();
    for (std::size_t step = 0; step < steps; ++step) {
        std::copy_n(batches.begin() + long(step * per_batch), per_batch, x->elements);
        optimizer.zero_grad();
        model->forward(*x, *y);
        cross_entropy<T>(y->flat(), std::span(labels).subspan(step * B, B), grad->flat(), 10);
        model->backward(*grad);
        optimizer.step();
    }
    // In double, PyTorch's float64 run of the same steps, within 1e-9.
    constexpr bool exact = std::is_same_v<T, double>;
    const std::vector<T> expected = read_values<T>(name + "." + optimizer_name + (exact ? ".final64.bin" : ".final.bin"));
    const std::vector<double> spread = read_values<double>(name + "." + optimizer_name + ".spread.bin");
    std::size_t tensor = 0;
    trajectory_errors worst;
    std::size_t at = 0;
    for (const state_entry& e : M::state_dict) {
        if (e.dtype == dtype::int64) continue;
        REQUIRE(at + e.numel <= expected.size());
        const auto bytes = model->bytes(e);
        const std::span<const T> mine(reinterpret_cast<const T*>(bytes.data()), e.numel);
        const std::span<const T> theirs = std::span(expected).subspan(at, e.numel);
        const trajectory_errors error{norm_error<T>(mine, theirs), test::relative_error<T, T>(mine, theirs)};
        REQUIRE(tensor < spread.size());
        const double bound = exact ? 1e-9 : std::max(1e-4, 2 * spread[tensor++]);
        if (exact) ++tensor;
        INFO(name << " " << optimizer_name << ": " << e.key << ": " << error.norm << " in norm (bound " << bound
                  << "), " << error.element << " element by element");
        if (checked) CHECK(error.norm <= bound);
        if (checked && element_bound >= 0) CHECK(error.element <= element_bound);
        worst = {std::max(worst.norm, error.norm), std::max(worst.element, error.element)};
        at += e.numel;
    }
    CHECK(at == expected.size());
    CHECK(tensor == spread.size());
    return worst;
}

template <class Net, std::size_t B>
void check_trajectories(const std::string& name, double sgd_element_bound = -1, double adam_element_bound = -1,
                        bool adam_checked = true) {
    DYNAMIC_SECTION(name) {
        const trajectory_errors sgd = trajectory_error<Net, B>(name, "sgd", sgd_element_bound, [](auto& model) {
            return SGD(model, {.lr = 0.01, .momentum = 0.9});
        });
        const trajectory_errors adam = trajectory_error<Net, B>(name, "adam", adam_element_bound, [](auto& model) {
            return Adam(model, {.lr = 1e-3});
        }, adam_checked);
        WARN(name << " after " << steps << " steps, worst tensor: SGD " << sgd.norm << " in norm, " << sgd.element
                  << " element by element; Adam " << adam.norm << ", " << adam.element);
    }
}

}  // namespace

TEST_CASE("50 steps of SGD and of Adam follow PyTorch's trajectory") {
    check_trajectories<mlp, 16>("trajectory_mlp", 1e-4, 1e-3);
    check_trajectories<simple_mnist, 8>("trajectory_simple_mnist");
    // Adam in float32 on this one is measured, not checked: see the top of this file and the
    // float64 test below.
    check_trajectories<simple_mnist_batch_norm, 8>("trajectory_simple_mnist_batch_norm", -1, -1, false);
}

TEST_CASE("StepLR and CosineAnnealingLR give PyTorch's learning rates, group by group") {
    using M = Trainable<Sequential<Linear<2, 2>, Linear<2, 2>>, Input<2>, float, 1>;
    auto model = std::make_unique<M>();
    auto check = [](auto& optimizer, auto& schedule, const std::string& file) {
        const std::vector<double> expected = read_values<double>(file);
        REQUIRE(expected.size() == 2 * 40);
        double worst = 0;
        for (std::size_t step = 0; step < 40; ++step) {
            optimizer.step();
            schedule.step();
            const std::vector<double> lrs = schedule.get_last_lr();
            for (std::size_t g = 0; g < 2; ++g)
                worst = std::max(worst, std::abs(lrs[g] - expected[2 * step + g]) / expected[2 * step + g]);
        }
        INFO(file << ": worst relative difference " << worst);
        CHECK(worst <= 1e-15);
    };
    SGD step_sgd(*model, {.lr = 0.1}, {{"0", {.lr = 0.1}}, {"1", {.lr = 0.05}}});
    StepLR step_lr(step_sgd, 7, 0.5);
    check(step_sgd, step_lr, "lr_steplr.bin");
    SGD cosine_sgd(*model, {.lr = 0.1}, {{"0", {.lr = 0.1}}, {"1", {.lr = 0.05}}});
    CosineAnnealingLR cosine(cosine_sgd, 10, 0.001);
    check(cosine_sgd, cosine, "lr_cosine.bin");
}

// Where float32 wanders (Adam on the model with BatchNorm, see above), double shows that the
// arithmetic is PyTorch's: the same 50 steps in float64 on both sides end within 1e-9.
TEST_CASE("in double, 50 Adam steps on the seed's model with BatchNorm end on PyTorch's float64 run") {
    const trajectory_errors adam = trajectory_error<simple_mnist_batch_norm, 8, decltype([](auto& model) {
                                                        return Adam(model, {.lr = 1e-3});
                                                    }), double>("trajectory_simple_mnist_batch_norm", "adam", -1, {});
    WARN("float64, Adam, worst tensor: " << adam.norm << " in norm");
}
