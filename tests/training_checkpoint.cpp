// Training checkpoints (training_checkpoint.hpp) both ways with PyTorch, on the MLP and batches of
// reference/training_checkpoint.py: PyTorch trains 20 steps and saves; typenet loads, trains 20
// more and must end where PyTorch's 40 straight steps end, parameters and optimizer state alike.
// Then typenet trains 20 steps and saves its checkpoint, and its state after 40 steps, for that
// script's `check` (a test after this one) to resume in PyTorch. And the refusals.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <typenet/adam.hpp>
#include <typenet/losses.hpp>
#include <typenet/sgd.hpp>
#include <typenet/trainable.hpp>
#include <typenet/training_checkpoint.hpp>
#include <typenet/typenet.hpp>

#include "support.hpp"

namespace {

const std::string dir = TYPENET_TRAINING_CHECKPOINT_DIR;
constexpr std::size_t samples = 16, batches = 4;  // as training_checkpoint.py
constexpr double tolerance = 1e-5;                // max |difference| / max |expected|, per tensor

using Net = typenet::Sequential<typenet::Linear<6, 16>, typenet::Tanh, typenet::Linear<16, 4>>;
using M = typenet::Trainable<Net, typenet::Input<6>, float, samples>;

template <class T>
std::vector<T> read_values(const std::string& file) {
    const std::vector<char> bytes = test::read_file(dir + "/" + file);
    std::vector<T> values(bytes.size() / sizeof(T));
    if (!values.empty()) std::memcpy(values.data(), bytes.data(), values.size() * sizeof(T));  // an empty file: no data()
    return values;
}

// Steps [first, last), step k on batch k % batches, as train() in the script.
template <class Optimizer>
void train(M& model, Optimizer& optimizer, int first, int last) {
    static const std::vector<float> x = read_values<float>("batches.x.bin");
    static const std::vector<std::int64_t> y = read_values<std::int64_t>("batches.y.bin");
    REQUIRE(x.size() == batches * samples * 6);
    REQUIRE(y.size() == batches * samples);
    auto in = std::make_unique<M::batch_input_type<samples>>();
    M::batch_output_type<samples> logits, grad;
    std::array<std::int64_t, samples> labels;
    for (int k = first; k < last; ++k) {
        const std::size_t b = std::size_t(k) % batches;
        std::memcpy(in->data(), x.data() + b * samples * 6, samples * 6 * sizeof(float));
        std::memcpy(labels.data(), y.data() + b * samples, sizeof labels);
        optimizer.zero_grad();
        model.forward(*in, logits);
        typenet::cross_entropy(logits, labels, grad);
        model.backward(grad);
        optimizer.step();
    }
}

// The script's optimizers; `other` makes them with other hyper-parameters, which a checkpoint's replace.
struct sgd_config {
    static constexpr const char* name = "sgd";
    static typenet::SGD<M> make(M& m, bool other = false) {
        if (other) return typenet::SGD<M>(m, {.lr = 0.5, .momentum = 0.1});
        return typenet::SGD<M>(m, {.lr = 0.05, .momentum = 0.9, .weight_decay = 1e-3, .nesterov = true});
    }
};
struct sgd_plain_config {  // no momentum, and the first Linear frozen: it has no state
    static constexpr const char* name = "sgd_plain";
    static typenet::SGD<M> make(M& m, bool other = false) {
        m.set_requires_grad("0", false);
        return typenet::SGD<M>(m, {.lr = other ? 0.01 : 0.1});
    }
};
struct adam_config {  // two parameter groups
    static constexpr const char* name = "adam";
    static typenet::Adam<M> make(M& m, bool other = false) {
        if (other) return typenet::Adam<M>(m, {}, {{"0", {}}, {"2", {}}});
        return typenet::Adam<M>(m, {}, {{"0", {.lr = 1e-2, .beta1 = 0.8, .beta2 = 0.99}},
                                        {"2", {.lr = 5e-3, .beta1 = 0.8, .beta2 = 0.99, .weight_decay = 1e-4}}});
    }
};
struct adamw_config {
    static constexpr const char* name = "adamw";
    static typenet::AdamW<M> make(M& m, bool other = false) {
        return typenet::AdamW<M>(m, {.lr = other ? 1e-3 : 1e-2, .weight_decay = other ? 0.01 : 0.05, .amsgrad = true});
    }
};

bool same(const typenet::sgd_options& a, const typenet::sgd_options& b) {
    return a.lr == b.lr && a.momentum == b.momentum && a.dampening == b.dampening && a.weight_decay == b.weight_decay &&
           a.nesterov == b.nesterov && a.maximize == b.maximize;
}
template <class Options>
bool same(const Options& a, const Options& b) {
    return a.lr == b.lr && a.beta1 == b.beta1 && a.beta2 == b.beta2 && a.eps == b.eps &&
           a.weight_decay == b.weight_decay && a.amsgrad == b.amsgrad && a.maximize == b.maximize;
}

std::span<const float> as_floats(std::span<const std::byte> bytes) {
    return {reinterpret_cast<const float*>(bytes.data()), bytes.size() / sizeof(float)};
}

// The largest error of any tensor: the model's parameters and the optimizer's state.
template <class Optimizer>
double compare(const char* config, M& model, Optimizer& optimizer, M& expected_model, Optimizer& expected_optimizer) {
    double worst = 0;
    for (const typenet::state_entry& e : M::state_dict) {
        const double error = test::relative_error<float, float>(model.values(e), expected_model.values(e));
        std::cout << config << " " << e.key << ": " << error << "\n";
        worst = std::max(worst, error);
    }
    const typenet::detail::optimizer_description a = typenet::detail::describe(optimizer),
                                                   b = typenet::detail::describe(expected_optimizer);
    REQUIRE(a.parameters.size() == b.parameters.size());
    for (std::size_t i = 0; i < a.parameters.size(); ++i) {
        const auto &p = a.parameters[i], &q = b.parameters[i];
        INFO(config << " parameter " << i << " (" << p.entry->key << ")");
        CHECK(p.has_state == q.has_state);
        CHECK(p.step == q.step);
        for (std::size_t k = 0; k < p.buffers.size(); ++k) {
            INFO(p.buffers[k].name);
            CHECK(p.buffers[k].present == q.buffers[k].present);
            if (!p.buffers[k].present || !q.buffers[k].present) continue;
            const double error =
                test::relative_error<float, float>(as_floats(p.buffers[k].data), as_floats(q.buffers[k].data));
            std::cout << config << " " << p.entry->key << " " << p.buffers[k].name << ": " << error << "\n";
            worst = std::max(worst, error);
        }
    }
    const auto &g = optimizer.param_groups(), &h = expected_optimizer.param_groups();
    REQUIRE(g.size() == h.size());
    for (std::size_t i = 0; i < g.size(); ++i) CHECK(same(g[i].options, h[i].options));
    return worst;
}

template <class Config>
void resume_from_pytorch() {
    // PyTorch's 40 straight steps, read through the same loader.
    auto expected = std::make_unique<M>();
    auto expected_optimizer = Config::make(*expected, true);
    CHECK(typenet::load_checkpoint(dir + "/" + Config::name + ".step40.pth", *expected, expected_optimizer) == 40);

    auto model = std::make_unique<M>();
    auto optimizer = Config::make(*model, true);  // the checkpoint's hyper-parameters must win
    CHECK(typenet::load_checkpoint(dir + "/" + Config::name + ".step20.pth", *model, optimizer) == 20);
    train(*model, optimizer, 20, 40);
    const double worst = compare(Config::name, *model, optimizer, *expected, expected_optimizer);
    std::cout << Config::name << ": PyTorch 20 steps, typenet 20 more, vs PyTorch 40: largest error " << worst << "\n";
    CHECK(worst <= tolerance);
}

template <class Config>
void save_for_pytorch() {
    auto model = std::make_unique<M>();
    typenet::load_state_dict(*model, dir + "/init.pth");
    auto optimizer = Config::make(*model);
    train(*model, optimizer, 0, 20);
    const std::string saved = dir + "/" + Config::name + ".typenet20.pth";
    typenet::save_checkpoint(saved, *model, optimizer, 20);
    train(*model, optimizer, 20, 40);
    typenet::save_state_dict(*model, dir + "/" + Config::name + ".typenet40.pth");

    // typenet resumes from its own file exactly.
    auto resumed = std::make_unique<M>();
    auto resumed_optimizer = Config::make(*resumed, true);
    CHECK(typenet::load_checkpoint(saved, *resumed, resumed_optimizer) == 20);
    train(*resumed, resumed_optimizer, 20, 40);
    CHECK(compare(Config::name, *resumed, resumed_optimizer, *model, optimizer) == 0);

    // The same from the file's bytes in memory.
    const std::vector<char> bytes = test::read_file(saved);
    auto from_memory = std::make_unique<M>();
    auto from_memory_optimizer = Config::make(*from_memory, true);
    CHECK(typenet::load_checkpoint(std::as_bytes(std::span<const char>(bytes)), *from_memory, from_memory_optimizer,
                                   "checkpoint in memory") == 20);
    train(*from_memory, from_memory_optimizer, 20, 40);
    CHECK(compare(Config::name, *from_memory, from_memory_optimizer, *model, optimizer) == 0);

    // And from PyTorch's 40 steps, typenet's own differ by little (its kernels sum in other orders).
    auto pytorch = std::make_unique<M>();
    auto pytorch_optimizer = Config::make(*pytorch, true);
    typenet::load_checkpoint(dir + "/" + Config::name + ".step40.pth", *pytorch, pytorch_optimizer);
    const double worst = compare(Config::name, *model, optimizer, *pytorch, pytorch_optimizer);
    std::cout << Config::name << ": typenet 40 steps vs PyTorch 40 steps: largest error " << worst << "\n";
    CHECK(worst <= tolerance);
}

}  // namespace

TEST_CASE("typenet resumes from PyTorch's checkpoint where PyTorch would be") {
    SECTION("SGD, momentum, Nesterov, weight decay") { resume_from_pytorch<sgd_config>(); }
    SECTION("SGD without momentum, a frozen layer") { resume_from_pytorch<sgd_plain_config>(); }
    SECTION("Adam, two parameter groups") { resume_from_pytorch<adam_config>(); }
    SECTION("AdamW, amsgrad") { resume_from_pytorch<adamw_config>(); }
}

TEST_CASE("typenet saves checkpoints for PyTorch and for itself") {
    SECTION("SGD, momentum, Nesterov, weight decay") { save_for_pytorch<sgd_config>(); }
    SECTION("SGD without momentum, a frozen layer") { save_for_pytorch<sgd_plain_config>(); }
    SECTION("Adam, two parameter groups") { save_for_pytorch<adam_config>(); }
    SECTION("AdamW, amsgrad") { save_for_pytorch<adamw_config>(); }
}

TEST_CASE("a float64 model resumes from PyTorch's float32 checkpoint, converted") {
    using M64 = typenet::Trainable<Net, typenet::Input<6>, double, samples>;
    auto model = std::make_unique<M64>();
    typenet::Adam<M64> adam(*model, {}, {{"0", {}}, {"2", {}}});
    CHECK(typenet::load_checkpoint(dir + "/adam.step20.pth", *model, adam) == 20);
    CHECK(adam.param_groups()[1].options.weight_decay == 1e-4);
    CHECK(adam.step_count(0) == 20);

    // 20 more steps in float64 against PyTorch's in float32: they differ by float32's rounding.
    const std::vector<float> x = read_values<float>("batches.x.bin");
    const std::vector<std::int64_t> y = read_values<std::int64_t>("batches.y.bin");
    auto in = std::make_unique<M64::batch_input_type<samples>>();
    M64::batch_output_type<samples> logits, grad;
    std::array<std::int64_t, samples> labels;
    for (int k = 20; k < 40; ++k) {
        const std::size_t b = std::size_t(k) % batches;
        for (std::size_t i = 0; i < samples * 6; ++i) in->data()[i] = x[b * samples * 6 + i];
        std::memcpy(labels.data(), y.data() + b * samples, sizeof labels);
        adam.zero_grad();
        model->forward(*in, logits);
        typenet::cross_entropy(logits, labels, grad);
        model->backward(grad);
        adam.step();
    }
    auto expected = std::make_unique<M>();
    auto expected_adam = adam_config::make(*expected, true);
    typenet::load_checkpoint(dir + "/adam.step40.pth", *expected, expected_adam);
    for (const typenet::state_entry& e : M::state_dict) {
        const double error = test::relative_error<double, float>(model->values(M64::entry(e.key)), expected->values(e));
        std::cout << "float64 adam " << e.key << ": " << error << "\n";
        CHECK(error <= tolerance);
    }

    // Saved in float64: PyTorch's layout, the state in the model's dtype ('step' stays float32).
    typenet::save_checkpoint(dir + "/adam.float64.pth", *model, adam, 40);
    auto again = std::make_unique<M64>();
    typenet::Adam<M64> again_adam(*again, {}, {{"0", {}}, {"2", {}}});
    CHECK(typenet::load_checkpoint(dir + "/adam.float64.pth", *again, again_adam) == 40);
    CHECK(std::equal(again->state().begin(), again->state().end(), model->state().begin()));
    for (std::size_t i = 0; i < M64::state_dict.size(); ++i) {
        CHECK(again_adam.step_count(i) == 40);
        CHECK(std::ranges::equal(again_adam.exp_avg_sq(i), adam.exp_avg_sq(i)));
    }
}

TEST_CASE("what does not fit is refused, and nothing changes") {
    using Catch::Matchers::Contains;
    auto model = std::make_unique<M>();
    typenet::load_state_dict(*model, dir + "/init.pth");
    const std::vector<std::byte> before(model->state().begin(), model->state().end());
    auto unchanged = [&] { return std::equal(before.begin(), before.end(), model->state().begin()); };

    SECTION("another optimizer's checkpoint") {
        auto adam = adam_config::make(*model);
        REQUIRE_THROWS_WITH(typenet::load_checkpoint(dir + "/sgd.step20.pth", *model, adam),
                            Contains("param_groups[0] is not Adam's: it has 'momentum', 'dampening', 'nesterov'") &&
                                Contains("it lacks 'betas', 'eps', 'amsgrad'"));
        auto sgd = sgd_config::make(*model);
        REQUIRE_THROWS_WITH(typenet::load_checkpoint(dir + "/adamw.step20.pth", *model, sgd),
                            Contains("is not SGD's"));
        CHECK(adam.step_count(0) == 0);
    }
    SECTION("another number of parameter groups") {
        typenet::Adam<M> adam(*model, {});
        REQUIRE_THROWS_WITH(typenet::load_checkpoint(dir + "/adam.step20.pth", *model, adam),
                            Contains("adam.step20.pth: the checkpoint's optimizer has 2 parameter groups, this "
                                     "Adam has 1: make the optimizer with the groups it was saved with"));
    }
    SECTION("a state tensor of another shape") {
        auto adam = adam_config::make(*model);
        REQUIRE_THROWS_WITH(typenet::load_checkpoint(dir + "/adam.bad_shape.pth", *model, adam),
                            Contains("the state of parameter 0 (0.weight)['exp_avg'] has the shape [3], not its "
                                     "parameter's, [16, 6]"));
    }
    SECTION("amsgrad state for an optimizer made without amsgrad") {
        typenet::AdamW<M> adamw(*model, {});
        REQUIRE_THROWS_WITH(typenet::load_checkpoint(dir + "/adamw.step20.pth", *model, adamw),
                            Contains("has 'max_exp_avg_sq' (amsgrad), and this AdamW has no room for it: make it with "
                                     "amsgrad = true"));
    }
    SECTION("a state_dict, not a checkpoint dict") {
        auto sgd = sgd_config::make(*model);
        REQUIRE_THROWS_WITH(typenet::load_checkpoint(dir + "/init.pth", *model, sgd),
                            Contains("init.pth: a state_dict (its keys are '0.weight', '0.bias', '2.weight', "
                                     "'2.bias'), not a checkpoint dict") &&
                                Contains("Load it with typenet::load_state_dict"));
    }
    SECTION("a checkpoint dict without the optimizer's state") {
        auto sgd = sgd_config::make(*model);
        REQUIRE_THROWS_WITH(typenet::load_checkpoint(dir + "/sgd.no_optimizer.pth", *model, sgd),
                            Contains("sgd.no_optimizer.pth: the checkpoint dict has no key 'optimizer_state_dict'; "
                                     "its keys are 'epoch', 'model_state_dict'"));
    }
    CHECK(unchanged());
}
