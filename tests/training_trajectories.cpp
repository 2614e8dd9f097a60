// Training trajectories against PyTorch's (reference/training.py, TRAJECTORIES): from the same
// float32 initial weights and the same 50 batches, 50 steps of SGD with momentum and 50 of Adam
// (cross-entropy, train() mode, Dropout p = 0) must end with every parameter and buffer within 1e-4
// of PyTorch's: ||mine - PyTorch's|| / ||PyTorch's|| per tensor. Element by element, relative to
// the tensor's largest value, SGD stays within 1e-4 too; Adam within 1e-3, because Adam divides
// each gradient by its own running size, so an element whose gradients are tiny and change sign
// follows its float32 rounding: PyTorch itself, run with 1 and with 2 threads on the MLP below,
// ends 2.1e-4 apart in 3 of the 200,704 first-layer weights (1.4e-6 in norm; measured with
// PyTorch 1.13, 2026-11-30).
#include <cmath>

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

double norm_error(std::span<const float> actual, std::span<const float> expected) {
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
template <class Net, std::size_t B, class MakeOptimizer>
trajectory_errors trajectory_error(const std::string& name, const std::string& optimizer_name, double element_bound,
                                   MakeOptimizer make) {
    using M = Trainable<Net, Input<1, 28, 28>, float, B>;
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
        cross_entropy<float>(y->flat(), std::span(labels).subspan(step * B, B), grad->flat(), 10);
        model->backward(*grad);
        optimizer.step();
    }
    const std::vector<float> expected = read_values<float>(name + "." + optimizer_name + ".final.bin");
    trajectory_errors worst;
    std::size_t at = 0;
    for (const state_entry& e : M::state_dict) {
        if (e.dtype == dtype::int64) continue;
        REQUIRE(at + e.numel <= expected.size());
        const auto bytes = model->bytes(e);
        const std::span<const float> mine(reinterpret_cast<const float*>(bytes.data()), e.numel);
        const std::span<const float> theirs = std::span(expected).subspan(at, e.numel);
        const trajectory_errors error{norm_error(mine, theirs), test::relative_error<float, float>(mine, theirs)};
        INFO(name << " " << optimizer_name << ": " << e.key << ": " << error.norm << " in norm, " << error.element
                  << " element by element");
        CHECK(error.norm <= 1e-4);
        CHECK(error.element <= element_bound);
        worst = {std::max(worst.norm, error.norm), std::max(worst.element, error.element)};
        at += e.numel;
    }
    CHECK(at == expected.size());
    return worst;
}

template <class Net, std::size_t B>
void check_trajectories(const std::string& name) {
    DYNAMIC_SECTION(name) {
        const trajectory_errors sgd = trajectory_error<Net, B>(name, "sgd", 1e-4, [](auto& model) {
            return SGD(model, {.lr = 0.01, .momentum = 0.9});
        });
        const trajectory_errors adam = trajectory_error<Net, B>(name, "adam", 1e-3, [](auto& model) {
            return Adam(model, {.lr = 1e-3});
        });
        WARN(name << " after " << steps << " steps, worst tensor: SGD " << sgd.norm << " in norm, " << sgd.element
                  << " element by element; Adam " << adam.norm << ", " << adam.element);
    }
}

}  // namespace

TEST_CASE("50 steps of SGD and of Adam follow PyTorch's trajectory") {
    check_trajectories<mlp, 16>("trajectory_mlp");
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
