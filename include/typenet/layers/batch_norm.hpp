// BatchNorm1d / BatchNorm2d in eval() mode: y = (x - running_mean) / sqrt(running_var + eps) * weight + bias.
// The state_dict holds weight and bias (parameters, if affine), then running_mean, running_var
// and num_batches_tracked (buffers, the last a 0-dim int64), exactly as PyTorch's.
//
//     using BN1 = typenet::BatchNorm2d<64>;                                         // nn.BatchNorm2d(64)
//     using BN2 = typenet::BatchNorm1d<128, typenet::eps<"1e-3">, typenet::affine<false>>;
//     static_assert(typenet::BatchNorm2d<64>::state[4].name == "num_batches_tracked");
//
// Without running statistics (track_running_stats<false>) PyTorch normalises with the batch's own
// mean and (biased) variance even in eval(); so does typenet, over the compile-time batch.
//
// Training (trainable.hpp): in train() mode the layer normalises with the batch's mean and biased
// variance and, with running statistics, moves running_mean and running_var towards the batch's
// mean and unbiased variance (n / (n - 1)) by momentum, or by 1 / num_batches_tracked with
// momentum<"None"> (a cumulative average), and counts the batch in num_batches_tracked, as
// PyTorch does. In eval() mode it uses the running statistics, and its backward pass is that of
// the affine map y = x * scale + shift.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "../backward.hpp"
#include "../error.hpp"
#include "../layer.hpp"
#include "../options.hpp"

namespace typenet {

namespace detail {

template <class Self, std::size_t NumFeatures, std::size_t MinRank, std::size_t MaxRank, class... Options>
struct batch_norm {
    static_assert(NumFeatures >= 1, "BatchNorm: num_features must be at least 1");
    static_assert(options_accepted<void(option_kind::eps, option_kind::momentum, option_kind::affine,
                                        option_kind::track_running_stats),
                                   Options...>,
                  "BatchNorm takes the options eps<>, momentum<>, affine<> and track_running_stats<>, each at most once");
    static constexpr std::size_t num_features = NumFeatures;
    static constexpr double eps = option_t<option_kind::eps, typenet::eps<"1e-5">, Options...>::value;
    using momentum_type = option_t<option_kind::momentum, typenet::momentum<"0.1">, Options...>;
    static constexpr double momentum = momentum_type::value;
    static constexpr bool cumulative_average = momentum_type::cumulative;  // momentum<"None">
    static constexpr bool affine = option_t<option_kind::affine, typenet::affine<true>, Options...>::value;
    static constexpr bool track_running_stats =
        option_t<option_kind::track_running_stats, typenet::track_running_stats<true>, Options...>::value;
    static constexpr bool in_place = true;
    static constexpr bool sample_wise = track_running_stats;  // batch statistics need the whole batch
    static constexpr int state_dict_version = 2;  // _NormBase._version: num_batches_tracked exists

    static constexpr auto state = [] {
        constexpr shape c{NumFeatures};
        constexpr std::array affine_entries{parameter("weight", c, 1), parameter("bias", c)};
        constexpr std::array running_entries{buffer("running_mean", c), buffer("running_var", c, 1),
                                             int64_buffer("num_batches_tracked", shape{})};
        std::array<state_spec, (affine ? 2 : 0) + (track_running_stats ? 3 : 0)> all{};
        std::size_t n = 0;
        if (affine)
            for (const state_spec& s : affine_entries) all[n++] = s;
        if (track_running_stats)
            for (const state_spec& s : running_entries) all[n++] = s;
        return all;
    }();

    static constexpr shape_check infer(shape in) {
        if (in.rank < MinRank || in.rank > MaxRank) return fail(shape_error::rule::input_rank, MaxRank, in.rank);
        if (in[0] != NumFeatures) return fail(shape_error::rule::num_features, NumFeatures, in[0]);
        return {in};
    }

    // With running statistics the layer is y = x * scale + shift per channel, which a convolution
    // before it applies as it stores its output (detail/fusion.hpp).
    static constexpr bool affine_per_channel = track_running_stats;

    // As PyTorch's CPU kernel: y = x * alpha + beta, alpha = weight / sqrt(var + eps), beta = bias - mean * alpha.
    template <class T>
    [[gnu::always_inline]] static void affine_coefficients(layer_params<Self, T> params, std::size_t c, T mean, T var,
                                                           T& alpha, T& beta) {
        alpha = T(1) / std::sqrt(var + T(eps));
        beta = -mean * alpha;
        if constexpr (affine) {
            alpha *= params.template get<0>()[c];
            beta = params.template get<1>()[c] - mean * alpha;
        }
    }
    template <class T>
    [[gnu::always_inline]] static void affine_coefficients(layer_params<Self, T> params, std::size_t c, T& alpha,
                                                           T& beta) {
        static_assert(track_running_stats);
        affine_coefficients(params, c, params.template get<affine ? 2 : 0>()[c],
                            params.template get<affine ? 3 : 1>()[c], alpha, beta);
    }

    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<Self, T> params, const T* in, T* out) {
        constexpr std::size_t C = NumFeatures, inner = In.numel() / NumFeatures;
        for (std::size_t c = 0; c < C; ++c) {
            T mean, var;
            if constexpr (track_running_stats) {
                mean = params.template get<affine ? 2 : 0>()[c];
                var = params.template get<affine ? 3 : 1>()[c];
            } else {  // the batch's own statistics
                T sum = 0, squares = 0;
                for (std::size_t n = 0; n < N; ++n)
                    for (std::size_t i = 0; i < inner; ++i) sum += in[(n * C + c) * inner + i];
                mean = sum / T(N * inner);
                for (std::size_t n = 0; n < N; ++n)
                    for (std::size_t i = 0; i < inner; ++i) {
                        const T d = in[(n * C + c) * inner + i] - mean;
                        squares += d * d;
                    }
                var = squares / T(N * inner);
            }
            T alpha, beta;
            affine_coefficients(params, c, mean, var, alpha, beta);
            for (std::size_t n = 0; n < N; ++n)
                for (std::size_t i = 0; i < inner; ++i)
                    out[(n * C + c) * inner + i] = in[(n * C + c) * inner + i] * alpha + beta;
        }
    }

    // Training (backward.hpp). Saved per channel: the mean and 1 / sqrt(var + eps) the forward
    // normalised with (the batch's, or the running ones in eval()).
    template <class T>
    static constexpr std::size_t saved_elements(shape, std::size_t) {
        return 2 * NumFeatures;
    }
    // Does the forward in this mode normalise with the batch's statistics?
    static constexpr bool batch_statistics(bool training) { return training || !track_running_stats; }

    template <class T, shape In, std::size_t N>
    static void train_propagate(const train_pass<Self, T>& p) {
        constexpr std::size_t C = NumFeatures, inner = In.numel() / NumFeatures, count = N * inner;
        const layer_params<Self, T> params = p.state.params();
        if constexpr (count < 2)
            if (batch_statistics(p.training))
                throw error("BatchNorm: normalising with a batch's statistics (in train() mode, or always with "
                            "track_running_stats<false>) needs more than one value per channel, as in PyTorch: "
                            "train with a batch of at least 2 samples, or call eval()");
        T factor = T(momentum);  // the weight of this batch in the running statistics
        if constexpr (track_running_stats) {
            if (p.training) {
                std::int64_t& tracked = *p.state.template get_int64<affine ? 4 : 2>();
                ++tracked;
                if constexpr (cumulative_average) factor = T(1) / T(tracked);
            }
        }
        for (std::size_t c = 0; c < C; ++c) {
            T mean = 0, invstd = 1;  // set below: batch_statistics is always true without running ones
            if (batch_statistics(p.training)) {
                // Sums in double, as PyTorch's CPU kernel accumulates float's.
                double sum = 0, squares = 0;
                for (std::size_t n = 0; n < N; ++n)
                    for (std::size_t i = 0; i < inner; ++i) sum += double(p.in[(n * C + c) * inner + i]);
                mean = T(sum / double(count));
                for (std::size_t n = 0; n < N; ++n)
                    for (std::size_t i = 0; i < inner; ++i) {
                        const T d = p.in[(n * C + c) * inner + i] - mean;
                        squares += double(d * d);
                    }
                invstd = T(1 / std::sqrt(squares / double(count) + eps));
                if constexpr (track_running_stats) {
                    if (p.training) {
                        T& running_mean = p.state.template get<affine ? 2 : 0>()[c];
                        T& running_var = p.state.template get<affine ? 3 : 1>()[c];
                        running_mean = factor * mean + (T(1) - factor) * running_mean;
                        running_var = factor * T(squares / double(count - 1)) + (T(1) - factor) * running_var;
                    }
                }
            } else if constexpr (track_running_stats) {
                mean = params.template get<affine ? 2 : 0>()[c];
                invstd = T(1) / std::sqrt(params.template get<affine ? 3 : 1>()[c] + T(eps));
            }
            p.saved[c] = mean;
            p.saved[C + c] = invstd;
            // As PyTorch's CPU kernel: y = x * alpha + beta.
            T alpha = invstd, beta = -mean * invstd;
            if constexpr (affine) {
                alpha *= params.template get<0>()[c];
                beta = params.template get<1>()[c] - mean * alpha;
            }
            for (std::size_t n = 0; n < N; ++n)
                for (std::size_t i = 0; i < inner; ++i)
                    p.out[(n * C + c) * inner + i] = p.in[(n * C + c) * inner + i] * alpha + beta;
        }
    }

    // With x^ = (x - mean) * invstd over the n values of a channel: dL/dweight = sum(dy x^),
    // dL/dbias = sum(dy); with batch statistics (which depend on x),
    // dL/dx = weight * invstd * (dy - sum(dy) / n - x^ * sum(dy x^) / n), else weight * invstd * dy.
    template <class T, shape In, std::size_t N>
    static void backward(const backward_pass<Self, T>& p) {
        constexpr std::size_t C = NumFeatures, inner = In.numel() / NumFeatures, count = N * inner;
        for (std::size_t c = 0; c < C; ++c) {
            const T mean = p.saved[c], invstd = p.saved[C + c];
            double sums[2] = {0, 0};  // dy, dy (x - mean): in double, as PyTorch's CPU kernel
            for (std::size_t n = 0; n < N; ++n)
                for (std::size_t i = 0; i < inner; ++i) {
                    const std::size_t k = (n * C + c) * inner + i;
                    sums[0] += double(p.grad_out[k]);
                    sums[1] += double(p.grad_out[k] * (p.in[k] - mean));
                }
            const T sum_dy = T(sums[0]), sum_dy_xhat = T(sums[1] * double(invstd));
            if constexpr (affine) {
                if (p.grads) {
                    p.grads.template get<0>()[c] += sum_dy_xhat;
                    p.grads.template get<1>()[c] += sum_dy;
                }
            }
            if (!p.grad_in) continue;
            T scale = invstd;
            if constexpr (affine) scale *= p.params.template get<0>()[c];
            if (batch_statistics(p.training)) {
                const T mean_dy = sum_dy / T(count), k_xhat = sum_dy_xhat * invstd / T(count);
                for (std::size_t n = 0; n < N; ++n)
                    for (std::size_t i = 0; i < inner; ++i) {
                        const std::size_t k = (n * C + c) * inner + i;
                        p.grad_in[k] = (p.grad_out[k] - mean_dy - (p.in[k] - mean) * k_xhat) * scale;
                    }
            } else {
                for (std::size_t n = 0; n < N; ++n)
                    for (std::size_t i = 0; i < inner; ++i) {
                        const std::size_t k = (n * C + c) * inner + i;
                        p.grad_in[k] = p.grad_out[k] * scale;
                    }
            }
        }
    }
};

}  // namespace detail

// Per-sample input [C] or [C, L], as nn.BatchNorm1d's (N, C) or (N, C, L).
template <std::size_t NumFeatures, class... Options>
struct BatchNorm1d : detail::batch_norm<BatchNorm1d<NumFeatures, Options...>, NumFeatures, 1, 2, Options...> {
    static constexpr std::string_view type_name = "BatchNorm1d";
};

// Per-sample input [C, H, W], as nn.BatchNorm2d's (N, C, H, W).
template <std::size_t NumFeatures, class... Options>
struct BatchNorm2d : detail::batch_norm<BatchNorm2d<NumFeatures, Options...>, NumFeatures, 3, 3, Options...> {
    static constexpr std::string_view type_name = "BatchNorm2d";
};

}  // namespace typenet
