// Shared by the training tests: one gradient case of reference/training.py (or a module like it),
// checked against torch.autograd: PyTorch's float64 parameters, the same batch forward in the same
// mode, the same loss and backward; PyTorch's loss, parameter gradients and updated buffers must
// come out in double within 1e-10 of each tensor's scale, in float within 1e-5.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include <typenet/adam.hpp>
#include <typenet/losses.hpp>
#include <typenet/sgd.hpp>
#include <typenet/trainable.hpp>
#include <typenet/typenet.hpp>

#include "support.hpp"

namespace training {

inline const std::string reference_dir = TYPENET_TRAINING_REFERENCE_DIR;

template <class T>
inline std::vector<T> read_values(const std::string& file) {
    const std::vector<char> bytes = test::read_file(reference_dir + "/" + file);
    std::vector<T> values(bytes.size() / sizeof(T));
    if (!values.empty()) std::memcpy(values.data(), bytes.data(), values.size() * sizeof(T));  // an empty file: no data()
    return values;
}

enum class loss_kind { cross_entropy, mse, bce };
struct loss_spec {
    loss_kind kind;
    double label_smoothing = 0;
};

template <class T, class Out>
T loss_and_gradient(const loss_spec& loss, const Out& out, Out& grad, const std::string& name) {
    if (loss.kind == loss_kind::cross_entropy) {
        const std::vector<std::int64_t> targets = read_values<std::int64_t>(name + ".target.bin");
        constexpr std::size_t classes = Out::shape[Out::rank - 1];
        return typenet::cross_entropy<T>(out.flat(), targets, grad.flat(), classes,
                                         {.label_smoothing = loss.label_smoothing});
    }
    std::vector<T> targets;
    for (double v : read_values<double>(name + ".target.bin")) targets.push_back(T(v));
    if (loss.kind == loss_kind::mse) return typenet::mse_loss<T>(out.flat(), targets, grad.flat());
    return typenet::binary_cross_entropy_with_logits<T>(out.flat(), targets, grad.flat());
}

struct errors {
    double loss = 0, gradients = 0, buffers = 0;
    bool tracked_equal = true;
};

// One case in scalar type T: errors relative to each tensor's scale, the worst of all tensors.
template <class T, class Net, class In, std::size_t B>
errors run_case(const std::string& name, const loss_spec& loss, bool train, std::initializer_list<const char*> frozen) {
    using M = typenet::Trainable<Net, In, T, B>;
    auto model = std::make_unique<M>();
    typenet::load_state_dict(*model, reference_dir + "/" + name + ".pth");
    for (const char* path : frozen) model->set_requires_grad(path, false);
    model->train(train);
    auto x = std::make_unique<typename M::template batch_input_type<B>>();
    auto y = std::make_unique<typename M::template batch_output_type<B>>();
    auto grad = std::make_unique<typename M::template batch_output_type<B>>();
    // A Tokens<...> input (an Embedding first) reads int64 ids, others float64 values.
    using element = typename M::input_element;
    using stored = std::conditional_t<std::is_integral_v<element>, std::int64_t, double>;
    const std::vector<stored> input = read_values<stored>(name + ".input.bin");
    REQUIRE(input.size() == x->size);
    for (std::size_t i = 0; i < input.size(); ++i) x->elements[i] = element(input[i]);
    if constexpr (M::takes_key_padding_mask) {
        // <name>.mask.bin: one byte per position and sample, true where the position is padding.
        const std::vector<std::uint8_t> bytes = read_values<std::uint8_t>(name + ".mask.bin");
        auto mask = std::make_unique<typename M::template batch_key_padding_mask_type<B>>();
        REQUIRE(bytes.size() == mask->size);
        for (std::size_t i = 0; i < bytes.size(); ++i) mask->elements[i] = bytes[i] != 0;
        model->forward(*x, *y, *mask);
    } else {
        model->forward(*x, *y);
    }
    const T value = loss_and_gradient<T>(loss, *y, *grad, name);
    model->backward(*grad);

    errors e;
    const double expected_loss = read_values<double>(name + ".loss.bin").at(0);
    e.loss = std::abs(double(value) - expected_loss) / std::abs(expected_loss);
    const std::vector<double> grads = read_values<double>(name + ".grads.bin");
    const std::vector<double> after = read_values<double>(name + ".after.bin");
    const std::vector<std::int64_t> tracked = read_values<std::int64_t>(name + ".tracked.bin");
    std::size_t g = 0, a = 0, t = 0;
    for (const typenet::state_entry& entry : M::state_dict) {
        INFO(name << ": " << entry.key);
        if (entry.dtype == typenet::dtype::int64) {
            REQUIRE(t + entry.numel <= tracked.size());
            const auto bytes = model->bytes(entry);
            std::vector<std::int64_t> mine(entry.numel);
            std::memcpy(mine.data(), bytes.data(), bytes.size());
            e.tracked_equal = e.tracked_equal && std::equal(mine.begin(), mine.end(), tracked.begin() + long(t));
            t += entry.numel;
            continue;
        }
        REQUIRE(a + entry.numel <= after.size());
        if (entry.is_parameter()) {
            REQUIRE(g + entry.numel <= grads.size());
            const double error = test::relative_error<T, double>(model->grad(entry), std::span(grads).subspan(g, entry.numel));
            e.gradients = std::max(e.gradients, error);
            g += entry.numel;
        } else {
            const auto bytes = model->bytes(entry);
            std::span<const T> values(reinterpret_cast<const T*>(bytes.data()), entry.numel);
            e.buffers = std::max(e.buffers, test::relative_error<T, double>(values, std::span(after).subspan(a, entry.numel)));
        }
        a += entry.numel;
    }
    CHECK(g == grads.size());
    CHECK(a == after.size());
    return e;
}

template <class Net, class In, std::size_t B>
void check_case(const std::string& name, const loss_spec& loss, bool train,
                std::initializer_list<const char*> frozen = {}) {
    DYNAMIC_SECTION(name) {
        const errors e64 = run_case<double, Net, In, B>(name, loss, train, frozen);
        const errors e32 = run_case<float, Net, In, B>(name, loss, train, frozen);
        INFO("double: loss " << e64.loss << ", gradients " << e64.gradients << ", buffers " << e64.buffers);
        INFO("float: loss " << e32.loss << ", gradients " << e32.gradients << ", buffers " << e32.buffers);
        CHECK(e64.loss <= 1e-10);
        CHECK(e64.gradients <= 1e-10);
        CHECK(e64.buffers <= 1e-10);
        CHECK(e64.tracked_equal);
        CHECK(e32.loss <= 1e-5);
        CHECK(e32.gradients <= 1e-5);
        CHECK(e32.buffers <= 1e-5);
        CHECK(e32.tracked_equal);
    }
}

// Dropout whose masks typenet draws (they cannot follow PyTorch's) is tested by its properties, on
// Net in double, with the parameters and input of the reference case `name` (a net with the same
// keys): eval() is the inference forward; in train() the masks come from manual_seed's generator
// (the same seed, the same output; another output than eval()'s); and the gradient of
// L = sum(y * w), w fixed, is the derivative of the function those masks define, checked by
// central differences on every stride-th value of the parameters `keys`, the masks held fixed (the
// same seed before every forward).
template <class Net, class In, std::size_t B>
void check_dropout_properties(const std::string& name, std::initializer_list<const char*> keys,
                              std::size_t stride = 5) {
    using M = typenet::Trainable<Net, In, double, B>;
    auto model = std::make_unique<M>();
    typenet::load_state_dict(*model, reference_dir + "/" + name + ".pth");
    auto x = std::make_unique<typename M::template batch_input_type<B>>();
    const std::vector<double> input = read_values<double>(name + ".input.bin");
    REQUIRE(input.size() == x->size);
    std::copy(input.begin(), input.end(), x->elements);
    auto y = std::make_unique<typename M::template batch_output_type<B>>();
    auto y2 = std::make_unique<typename M::template batch_output_type<B>>();

    model->eval();
    model->forward(*x, *y);
    static_cast<typename M::model_type&>(*model).forward(*x, *y2);
    CHECK(test::relative_error<double, double>(y->flat(), y2->flat()) < 1e-14);

    model->train();
    model->manual_seed(7);
    model->forward(*x, *y2);
    CHECK(test::relative_error<double, double>(y->flat(), y2->flat()) > 1e-2);  // something was dropped
    model->manual_seed(7);
    model->forward(*x, *y);
    CHECK(test::relative_error<double, double>(y->flat(), y2->flat()) == 0);

    // L = sum(y * w) for fixed weights w: dL/dy = w.
    auto w = std::make_unique<typename M::template batch_output_type<B>>();
    for (std::size_t i = 0; i < w->size; ++i) w->elements[i] = std::sin(double(i) + 0.5);
    const auto loss = [&] {
        model->manual_seed(7);
        model->forward(*x, *y);
        double sum = 0;
        for (std::size_t i = 0; i < y->size; ++i) sum += y->elements[i] * w->elements[i];
        return sum;
    };
    model->zero_grad();
    loss();
    model->backward(*w);
    for (const char* key : keys) {
        INFO(key);
        const typenet::state_entry& e = M::entry(key);
        std::span<double> values = model->values(e);
        std::span<const double> grad = model->grad(e);
        for (std::size_t i = 0; i < values.size(); i += stride) {
            const double saved = values[i], h = 1e-6;
            values[i] = saved + h;
            const double up = loss();
            values[i] = saved - h;
            const double down = loss();
            values[i] = saved;
            CHECK(std::abs((up - down) / (2 * h) - grad[i]) <= 1e-7 * (1 + std::abs(grad[i])));
        }
    }
}

}  // namespace training
