// Loss functions for training (trainable.hpp), each returning the loss and writing its gradient
// with respect to the model's output, which Trainable::backward takes: PyTorch's CrossEntropyLoss,
// NLLLoss, MSELoss and BCEWithLogitsLoss, with their defaults and reductions.
//
//     typenet::Tensor<float, 2, 3> logits{1, 2, 3, 1, 0, 0}, grad;
//     std::array<std::int64_t, 2> labels{2, 0};
//     float loss = typenet::cross_entropy(logits, labels, grad);        // F.cross_entropy(logits, labels)
//     float smoothed = typenet::cross_entropy(logits, labels, grad, {.label_smoothing = 0.1});
//     (void)loss, (void)smoothed;
//
// Class losses read rows of the last dimension (logits [B, C], targets [B]). reduction::mean
// divides by the number of rows (for cross_entropy and nll_loss: of rows whose target is not
// ignore_index, as PyTorch does), reduction::sum does not; reduction::none writes each row's (or
// value's) loss into `losses` and returns their sum, with the gradient of that sum. The gradient
// span may be empty (loss only). Targets outside [0, classes) that are not ignore_index are a
// typenet::error, as they are an error in PyTorch.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "error.hpp"
#include "tensor.hpp"

namespace typenet {

enum class reduction { mean, sum, none };

struct cross_entropy_options {
    typenet::reduction reduction = reduction::mean;
    double label_smoothing = 0.0;
    std::int64_t ignore_index = -100;
};
struct nll_loss_options {
    typenet::reduction reduction = reduction::mean;
    std::int64_t ignore_index = -100;
};
struct loss_options {
    typenet::reduction reduction = reduction::mean;
};

namespace detail {

inline void check_loss_sizes(const char* loss, std::size_t values, std::size_t expected, const char* what) {
    if (values != expected)
        throw error(concat({"typenet::", loss, ": ", what, " holds ", std::to_string(values), " values, not ",
                            std::to_string(expected)}));
}

// The rows of a class loss: logits.size() / classes rows, one target each.
template <class T>
std::size_t class_rows(const char* loss, std::span<const T> logits, std::size_t targets, std::size_t classes,
                       std::span<T> grad, std::span<T> losses) {
    if (classes == 0 || logits.size() % classes != 0)
        throw error(concat({"typenet::", loss, ": the input holds ", std::to_string(logits.size()),
                            " values, not rows of ", std::to_string(classes), " classes"}));
    const std::size_t rows = logits.size() / classes;
    check_loss_sizes(loss, targets, rows, "the target");
    if (!grad.empty()) check_loss_sizes(loss, grad.size(), logits.size(), "the gradient");
    if (!losses.empty()) check_loss_sizes(loss, losses.size(), rows, "losses");
    return rows;
}

// Rows whose target is not ignore_index (what reduction::mean divides by); a target outside
// [0, classes) that is not ignore_index is an error.
inline std::size_t counted_rows(const char* loss, std::span<const std::int64_t> targets, std::size_t classes,
                                std::int64_t ignore_index) {
    std::size_t count = 0;
    for (std::size_t row = 0; row < targets.size(); ++row) {
        const std::int64_t target = targets[row];
        if (target == ignore_index) continue;
        if (target < 0 || std::uint64_t(target) >= classes)
            throw error(concat({"typenet::", loss, ": target ", std::to_string(target), " of row ",
                                std::to_string(row), " is out of bounds: classes are 0 to ",
                                std::to_string(classes - 1)}));
        ++count;
    }
    return count;
}

template <class T>
T reduce(reduction r, T total, std::size_t count) {
    return r == reduction::mean ? total / T(count) : total;
}
template <class T>
T gradient_scale(reduction r, std::size_t count) {
    return r == reduction::mean ? T(1) / T(count) : T(1);
}

}  // namespace detail

// CrossEntropyLoss on logits: log_softmax, then the negative log-likelihood of the target, mixed
// with the uniform distribution by label_smoothing.
template <class T>
T cross_entropy(std::span<const T> logits, std::span<const std::int64_t> targets, std::span<T> grad,
                std::size_t classes, const cross_entropy_options& options = {}, std::span<T> losses = {}) {
    const std::size_t rows = detail::class_rows("cross_entropy", logits, targets.size(), classes, grad, losses);
    const std::size_t count = detail::counted_rows("cross_entropy", targets, classes, options.ignore_index);
    const T smoothing = T(options.label_smoothing), target_weight = T(1) - smoothing, spread = smoothing / T(classes);
    const T scale = detail::gradient_scale<T>(options.reduction, count);
    T total = 0;
    for (std::size_t r = 0; r < rows; ++r) {
        const T* z = logits.data() + r * classes;
        const bool counted = targets[r] != options.ignore_index;
        T row_loss = 0;
        if (counted) {
            const T top = *std::max_element(z, z + classes);
            T sum = 0;
            for (std::size_t c = 0; c < classes; ++c) sum += std::exp(z[c] - top);
            const T log_sum = top + std::log(sum);
            T minus_log_probabilities = 0;
            for (std::size_t c = 0; c < classes; ++c) minus_log_probabilities += log_sum - z[c];
            row_loss = target_weight * (log_sum - z[targets[r]]) + spread * minus_log_probabilities;
            if (!grad.empty())
                for (std::size_t c = 0; c < classes; ++c)
                    grad[r * classes + c] =
                        scale * (std::exp(z[c] - log_sum) - spread - (std::int64_t(c) == targets[r] ? target_weight : T(0)));
        } else if (!grad.empty()) {
            std::fill_n(grad.data() + r * classes, classes, T(0));
        }
        if (!losses.empty()) losses[r] = row_loss;
        total += row_loss;
    }
    return detail::reduce(options.reduction, total, count);
}

// NLLLoss on log-probabilities (a LogSoftmax's output): minus the target's.
template <class T>
T nll_loss(std::span<const T> log_probabilities, std::span<const std::int64_t> targets, std::span<T> grad,
           std::size_t classes, const nll_loss_options& options = {}, std::span<T> losses = {}) {
    const std::size_t rows = detail::class_rows("nll_loss", log_probabilities, targets.size(), classes, grad, losses);
    const std::size_t count = detail::counted_rows("nll_loss", targets, classes, options.ignore_index);
    const T scale = detail::gradient_scale<T>(options.reduction, count);
    if (!grad.empty()) std::fill(grad.begin(), grad.end(), T(0));
    T total = 0;
    for (std::size_t r = 0; r < rows; ++r) {
        T row_loss = 0;
        if (targets[r] != options.ignore_index) {
            row_loss = -log_probabilities[r * classes + std::size_t(targets[r])];
            if (!grad.empty()) grad[r * classes + std::size_t(targets[r])] = -scale;
        }
        if (!losses.empty()) losses[r] = row_loss;
        total += row_loss;
    }
    return detail::reduce(options.reduction, total, count);
}

// MSELoss: the squared differences of every value.
template <class T>
T mse_loss(std::span<const T> input, std::span<const T> target, std::span<T> grad, const loss_options& options = {},
           std::span<T> losses = {}) {
    detail::check_loss_sizes("mse_loss", target.size(), input.size(), "the target");
    if (!grad.empty()) detail::check_loss_sizes("mse_loss", grad.size(), input.size(), "the gradient");
    if (!losses.empty()) detail::check_loss_sizes("mse_loss", losses.size(), input.size(), "losses");
    const T scale = detail::gradient_scale<T>(options.reduction, input.size());
    T total = 0;
    for (std::size_t i = 0; i < input.size(); ++i) {
        const T d = input[i] - target[i];
        if (!grad.empty()) grad[i] = scale * 2 * d;
        if (!losses.empty()) losses[i] = d * d;
        total += d * d;
    }
    return detail::reduce(options.reduction, total, input.size());
}

// BCEWithLogitsLoss: binary cross-entropy on logits, computed without overflow:
// max(x, 0) - x y + log(1 + exp(-|x|)); its gradient is sigmoid(x) - y.
template <class T>
T binary_cross_entropy_with_logits(std::span<const T> input, std::span<const T> target, std::span<T> grad,
                                   const loss_options& options = {}, std::span<T> losses = {}) {
    detail::check_loss_sizes("binary_cross_entropy_with_logits", target.size(), input.size(), "the target");
    if (!grad.empty())
        detail::check_loss_sizes("binary_cross_entropy_with_logits", grad.size(), input.size(), "the gradient");
    if (!losses.empty())
        detail::check_loss_sizes("binary_cross_entropy_with_logits", losses.size(), input.size(), "losses");
    const T scale = detail::gradient_scale<T>(options.reduction, input.size());
    T total = 0;
    for (std::size_t i = 0; i < input.size(); ++i) {
        const T x = input[i], y = target[i];
        const T value = std::max(x, T(0)) - x * y + std::log1p(std::exp(-std::abs(x)));
        if (!grad.empty()) grad[i] = scale * (T(1) / (T(1) + std::exp(-x)) - y);
        if (!losses.empty()) losses[i] = value;
        total += value;
    }
    return detail::reduce(options.reduction, total, input.size());
}

// The same on Tensors: a batch of B rows of C logits (a Trainable's batch_output_type<B>).
template <class T, std::size_t B, std::size_t C>
T cross_entropy(const Tensor<T, B, C>& logits, const std::array<std::int64_t, B>& targets, Tensor<T, B, C>& grad,
                const cross_entropy_options& options = {}) {
    return cross_entropy<T>(logits.flat(), targets, grad.flat(), C, options);
}
template <class T, std::size_t B, std::size_t C>
T nll_loss(const Tensor<T, B, C>& log_probabilities, const std::array<std::int64_t, B>& targets,
           Tensor<T, B, C>& grad, const nll_loss_options& options = {}) {
    return nll_loss<T>(log_probabilities.flat(), targets, grad.flat(), C, options);
}
template <class T, std::size_t... Dims>
T mse_loss(const Tensor<T, Dims...>& input, const Tensor<T, Dims...>& target, Tensor<T, Dims...>& grad,
           const loss_options& options = {}) {
    return mse_loss<T>(input.flat(), target.flat(), grad.flat(), options);
}
template <class T, std::size_t... Dims>
T binary_cross_entropy_with_logits(const Tensor<T, Dims...>& input, const Tensor<T, Dims...>& target,
                                   Tensor<T, Dims...>& grad, const loss_options& options = {}) {
    return binary_cross_entropy_with_logits<T>(input.flat(), target.flat(), grad.flat(), options);
}

}  // namespace typenet
