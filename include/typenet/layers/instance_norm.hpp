// InstanceNorm1d / InstanceNorm2d: each channel of each sample normalised over its own positions,
// like nn.InstanceNorm1d/2d(num_features, eps=1e-5, momentum=0.1, affine=False,
// track_running_stats=False): mind PyTorch's defaults, which differ from BatchNorm's. With
// track_running_stats<true>, eval() normalises with the running statistics instead, as BatchNorm
// does. The state_dict is _NormBase's: weight and bias if affine, then running_mean, running_var
// and num_batches_tracked if tracking; _version 2, as PyTorch records it.
//
//     using A = typenet::InstanceNorm2d<64>;                            // nn.InstanceNorm2d(64): no state
//     using B = typenet::InstanceNorm1d<8, typenet::affine<true>, typenet::track_running_stats<true>>;
//     static_assert(A::state.size() == 0 && B::state.size() == 5 && B::state[2].name == "running_mean");
//     static_assert(A::infer({64, 7, 7}).ok() && B::infer({8, 20}).ok());
//
// Without running statistics PyTorch refuses a single position per channel ("Expected more than 1
// spatial element"), and so does typenet, at compile time. typenet also requires the input's
// channels to equal num_features, which PyTorch 1.13 only checks when there is state of that size.
// Loading: PyTorch drops running_mean/running_var entries meant for a non-tracking InstanceNorm
// only from checkpoints older than 0.4 (no version in their metadata); any newer file's are
// unexpected keys, as they are here.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "../backward.hpp"
#include "../detail/kernels/reductions.hpp"
#include "../error.hpp"
#include "../layer.hpp"
#include "../options.hpp"
#include "layer_norm.hpp"  // normalized_group_backward

namespace typenet {

namespace detail {

template <class Self, std::size_t NumFeatures, std::size_t Rank, class... Options>
struct instance_norm {
    static_assert(NumFeatures >= 1, "InstanceNorm: num_features must be at least 1");
    static_assert(options_accepted<void(option_kind::eps, option_kind::momentum, option_kind::affine,
                                        option_kind::track_running_stats),
                                   Options...>,
                  "InstanceNorm takes the options eps<>, momentum<>, affine<> and track_running_stats<>, each at most "
                  "once");
    static constexpr std::size_t num_features = NumFeatures;
    static constexpr double eps = option_t<option_kind::eps, typenet::eps<"1e-5">, Options...>::value;
    using momentum_type = option_t<option_kind::momentum, typenet::momentum<"0.1">, Options...>;
    static constexpr double momentum = momentum_type::value;
    static constexpr bool affine = option_t<option_kind::affine, typenet::affine<false>, Options...>::value;
    static constexpr bool track_running_stats =
        option_t<option_kind::track_running_stats, typenet::track_running_stats<false>, Options...>::value;
    static constexpr bool in_place = true;
    static constexpr bool sample_wise = true;
    static constexpr int state_dict_version = 2;  // _NormBase._version

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
        if (in.rank != Rank)
            return fail(Rank == 2 ? "InstanceNorm1d: takes [C, L] per sample, (N, C, L) with the batch (first number: "
                                    "2, second: the rank it gets)"
                                  : "InstanceNorm2d: takes [C, H, W] per sample, (N, C, H, W) with the batch (first "
                                    "number: 3, second: the rank it gets)",
                        Rank, in.rank);
        if (in[0] != NumFeatures)
            return fail("InstanceNorm: num_features (first number) must equal the channels of its input (second "
                        "number), i.e. the out_channels of the layer before it",
                        NumFeatures, in[0]);
        if (!track_running_stats && in.numel() / in[0] < 2)
            return fail("InstanceNorm: without running statistics it needs at least 2 positions per channel, as "
                        "PyTorch (first number: 2, second: the positions per channel). Normalise a larger input, or "
                        "use track_running_stats<true> with trained statistics.",
                        2, in.numel() / in[0]);
        return {in};
    }

    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<Self, T> params, const T* in, T* out) {
        constexpr std::size_t C = NumFeatures, inner = In.numel() / NumFeatures;
        for (std::size_t nc = 0; nc < N * C; ++nc) {
            const std::size_t c = nc % C;
            const T* x = in + nc * inner;
            T* y = out + nc * inner;
            T mean, var;
            if constexpr (track_running_stats) {
                mean = params.template get<affine ? 2 : 0>()[c];
                var = params.template get<affine ? 3 : 1>()[c];
            } else {
                const moments<T> m = moments_of<T, inner>(x);
                mean = m.mean;
                var = m.variance;
            }
            T scale = reciprocal_sqrt(var + T(eps));
            T shift = -mean * scale;
            if constexpr (affine) {
                scale *= params.template get<0>()[c];
                shift = params.template get<1>()[c] - mean * scale;
            }
            scale_and_shift<T, inner>(x, y, scale, shift);
        }
    }

    // Training (backward.hpp). In train() mode, and always without running statistics, each channel
    // of each sample is normalised with its own statistics; with running statistics, train() also
    // moves them as PyTorch's instance_norm does (batch_norm over the N * C instances, then the
    // running values averaged over the samples): running = (1 - momentum) running + momentum *
    // (the samples' mean of each instance's mean, or of its unbiased variance). num_batches_tracked
    // stays, as in PyTorch. eval() with running statistics is propagate's.
    template <class T, shape In, std::size_t N>
        requires track_running_stats
    static void train_propagate(const train_pass<Self, T>& p) {
        constexpr std::size_t C = NumFeatures, inner = In.numel() / NumFeatures;
        const layer_params<Self, T> params = p.state.params();
        if (!p.training) {
            propagate<T, In, N>(params, p.in, p.out);
            return;
        }
        if constexpr (momentum_type::cumulative)
            throw error("InstanceNorm: momentum<\"None\"> cannot train (PyTorch's instance_norm refuses "
                        "momentum=None in train() mode): give a momentum such as momentum<\"0.1\">, or call eval()");
        if constexpr (inner < 2)
            throw error("InstanceNorm: train() mode needs more than one position per channel (each instance "
                        "normalises with its own statistics), as in PyTorch: use a larger input, or call eval()");
        T* running_mean = p.state.template get<affine ? 2 : 0>();
        T* running_var = p.state.template get<affine ? 3 : 1>();
        for (std::size_t c = 0; c < C; ++c) {
            T means = 0, variances = 0;
            for (std::size_t n = 0; n < N; ++n) {
                const std::size_t at = (n * C + c) * inner;
                const moments<T> m = moments_of<T, inner>(p.in + at);
                means += m.mean;
                variances += m.variance * T(inner) / T(inner - 1);
                T scale = reciprocal_sqrt(m.variance + T(eps));
                T shift = -m.mean * scale;
                if constexpr (affine) {
                    scale *= params.template get<0>()[c];
                    shift = params.template get<1>()[c] - m.mean * scale;
                }
                scale_and_shift<T, inner>(p.in + at, p.out + at, scale, shift);
            }
            running_mean[c] = (T(1) - T(momentum)) * running_mean[c] + T(momentum) * (means / T(N));
            running_var[c] = (T(1) - T(momentum)) * running_var[c] + T(momentum) * (variances / T(N));
        }
    }

    // With each instance's own statistics: LayerNorm's backward over the instance's positions (the
    // statistics computed again); with the running ones (eval()), that of y = x * scale + shift.
    template <class T, shape In, std::size_t N>
    static void backward(const backward_pass<Self, T>& p) {
        constexpr std::size_t C = NumFeatures, inner = In.numel() / NumFeatures;
        const auto [weight, dweight, dbias] = affine_of<affine>(p);
        for (std::size_t nc = 0; nc < N * C; ++nc) {
            const std::size_t c = nc % C, at = nc * inner;
            T* dx = p.grad_in ? p.grad_in + at : nullptr;
            if (p.training || !track_running_stats) {
                const moments<T> m = moments_of<T, inner>(p.in + at);
                normalized_group_backward<T>(inner, 1, p.in + at, p.grad_out + at, dx, m.mean,
                                             reciprocal_sqrt(m.variance + T(eps)), weight ? weight + c : nullptr,
                                             dweight ? dweight + c : nullptr, dbias ? dbias + c : nullptr, inner);
            } else if constexpr (track_running_stats) {
                const T mean = p.params.template get<affine ? 2 : 0>()[c];
                const T rstd = reciprocal_sqrt(p.params.template get<affine ? 3 : 1>()[c] + T(eps));
                const T scale = weight ? rstd * weight[c] : rstd;
                for (std::size_t i = 0; i < inner; ++i) {
                    const T d = p.grad_out[at + i];
                    if (dweight) {
                        dweight[c] += d * (p.in[at + i] - mean) * rstd;
                        dbias[c] += d;
                    }
                    if (dx) dx[i] = d * scale;
                }
            }
        }
    }
};

}  // namespace detail

// Per-sample input [C, L], as nn.InstanceNorm1d's (N, C, L).
template <std::size_t NumFeatures, class... Options>
struct InstanceNorm1d : detail::instance_norm<InstanceNorm1d<NumFeatures, Options...>, NumFeatures, 2, Options...> {
    static constexpr std::string_view type_name = "InstanceNorm1d";
};

// Per-sample input [C, H, W], as nn.InstanceNorm2d's (N, C, H, W).
template <std::size_t NumFeatures, class... Options>
struct InstanceNorm2d : detail::instance_norm<InstanceNorm2d<NumFeatures, Options...>, NumFeatures, 3, Options...> {
    static constexpr std::string_view type_name = "InstanceNorm2d";
};

}  // namespace typenet
