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
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <string_view>

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
    static constexpr double momentum = option_t<option_kind::momentum, typenet::momentum<"0.1">, Options...>::value;
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
