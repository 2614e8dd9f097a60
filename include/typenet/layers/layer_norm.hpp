// LayerNorm over a sample's last dimensions, like nn.LayerNorm(normalized_shape, eps=1e-5,
// elementwise_affine=True); LayerNorm2d over the channels of every pixel of an NCHW image, like
// torchvision's LayerNorm2d (ConvNeXt's: an nn.LayerNorm subclass that permutes to NHWC and back,
// so it has LayerNorm's defaults; ConvNeXt itself passes eps=1e-6). Both normalise with the
// biased variance, then scale by weight and add bias, the parameters of normalized_shape (keys
// weight, bias) unless elementwise_affine<false>. The option elementwise_affine is defined here.
//
//     using A = typenet::LayerNorm<768>;                                    // nn.LayerNorm(768)
//     using B = typenet::LayerNorm<typenet::shape{4, 5}, typenet::eps<"1e-6">,
//                                  typenet::elementwise_affine<false>>;    // nn.LayerNorm((4, 5), 1e-6, False)
//     using C = typenet::LayerNorm2d<96, typenet::eps<"1e-6">>;            // as in torchvision's ConvNeXt
//     static_assert(A::state[0].shape == typenet::shape{768} && B::state.size() == 0);
//     static_assert(A::infer({10, 768}).ok() && B::infer({3, 4, 5}).ok());
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <string_view>
#include <type_traits>

#include "../backward.hpp"
#include "../detail/kernels/reductions.hpp"
#include "../detail/kernels/simd.hpp"
#include "../layer.hpp"
#include "../options.hpp"

namespace typenet {

namespace option_kind {
struct elementwise_affine {};
}  // namespace option_kind
template <bool B> struct elementwise_affine : value_option<option_kind::elementwise_affine, B> {};

namespace detail {

// normalized_shape written as an integer (LayerNorm<768>) or a shape (LayerNorm<shape{4, 5}>).
template <auto NormalizedShape>
constexpr shape as_normalized_shape() {
    using S = std::remove_cv_t<decltype(NormalizedShape)>;
    static_assert(std::is_same_v<S, shape> || std::is_integral_v<S>,
                  "LayerNorm: normalized_shape is an integer (LayerNorm<768>) or a typenet::shape "
                  "(LayerNorm<shape{4, 5}>)");
    if constexpr (std::is_same_v<S, shape>) return NormalizedShape;
    else return shape{std::size_t(NormalizedShape < 0 ? 0 : NormalizedShape)};
}

template <class... Options>
struct layer_norm_options {
    static_assert(options_accepted<void(option_kind::eps, option_kind::elementwise_affine), Options...>,
                  "LayerNorm takes the options eps<> and elementwise_affine<>, each at most once");
    static constexpr double eps = option_t<option_kind::eps, typenet::eps<"1e-5">, Options...>::value;
    static constexpr bool elementwise_affine =
        option_t<option_kind::elementwise_affine, typenet::elementwise_affine<true>, Options...>::value;
};

// The weight, and the weight's and bias's gradients (null without them or when frozen), of an
// affine normalisation's backward pass.
template <class T>
struct affine_pointers {
    const T* weight = nullptr;
    T* dweight = nullptr;
    T* dbias = nullptr;
};
template <bool Affine, class L, class T>
affine_pointers<T> affine_of(const backward_pass<L, T>& p) {
    affine_pointers<T> a;
    if constexpr (Affine) {
        a.weight = p.params.template get<0>();
        if (p.grads) {
            a.dweight = p.grads.template get<0>();
            a.dbias = p.grads.template get<1>();
        }
    }
    return a;
}

template <shape S, bool Affine>
constexpr auto affine_state() {
    if constexpr (Affine) return std::array{parameter("weight", S, 1), parameter("bias", S)};
    else return std::array<state_spec, 0>{};
}

// Training (backward.hpp): one group of M values (stride apart) normalised with mean and rstd, then
// scaled by weight (null: none), one weight entry for every `per_weight` neighbouring values (1 for
// LayerNorm; a channel's positions for GroupNorm and InstanceNorm). With x^ = (x - mean) rstd and
// g = dy weight: dL/dx = rstd (g - mean(g) - x^ mean(g x^)); dL/dweight += dy x^, dL/dbias += dy
// (grads null: none), summed over each weight entry's values.
template <class T>
inline void normalized_group_backward(std::size_t M, std::size_t stride, const T* x, const T* dy, T* dx, T mean,
                                      T rstd, const T* weight, T* dweight, T* dbias, std::size_t per_weight = 1) {
    T sum_g = 0, sum_g_xhat = 0;
    for (std::size_t j = 0; j < M / per_weight; ++j) {
        const T w = weight ? weight[j] : T(1);
        T sum_d = 0, sum_d_xhat = 0;
        for (std::size_t i = j * per_weight; i < (j + 1) * per_weight; ++i) {
            const T xhat = (x[i * stride] - mean) * rstd, d = dy[i * stride];
            sum_d += d;
            sum_d_xhat += d * xhat;
        }
        sum_g += w * sum_d;
        sum_g_xhat += w * sum_d_xhat;
        if (dweight) {
            dweight[j] += sum_d_xhat;
            dbias[j] += sum_d;
        }
    }
    if (!dx) return;
    const T mean_g = sum_g / T(M), mean_g_xhat = sum_g_xhat / T(M);
    for (std::size_t j = 0; j < M / per_weight; ++j) {
        const T w = weight ? weight[j] : T(1);
        for (std::size_t i = j * per_weight; i < (j + 1) * per_weight; ++i) {
            const T xhat = (x[i * stride] - mean) * rstd;
            dx[i * stride] = rstd * (dy[i * stride] * w - mean_g - xhat * mean_g_xhat);
        }
    }
}

}  // namespace detail

template <auto NormalizedShape, class... Options>
struct LayerNorm : detail::layer_norm_options<Options...> {
    static constexpr shape normalized_shape = detail::as_normalized_shape<NormalizedShape>();
    static_assert(normalized_shape.rank >= 1 && normalized_shape.numel() >= 1,
                  "LayerNorm: normalized_shape needs at least one dimension, each at least 1");
    using detail::layer_norm_options<Options...>::eps;
    using detail::layer_norm_options<Options...>::elementwise_affine;

    static constexpr std::string_view type_name = "LayerNorm";
    // Normalises each step's last dimensions on their own (stream.hpp); a sequence's time axis must
    // not be among them (time first, as a recurrent layer's [T, F]).
    static constexpr bool stepwise = true;
    static constexpr auto state = detail::affine_state<normalized_shape, elementwise_affine>();
    static constexpr bool in_place = true;
    static constexpr bool sample_wise = true;

    static constexpr shape_check infer(shape in) {
        bool fits = in.rank >= normalized_shape.rank;
        for (std::size_t i = 0; fits && i < normalized_shape.rank; ++i)
            fits = in[in.rank - normalized_shape.rank + i] == normalized_shape[i];
        if (!fits)
            return fail("LayerNorm: the input's last dimensions (second shape, per sample) must equal normalized_shape "
                        "(first shape). For channels of an image [C, H, W], use LayerNorm2d<C>.",
                        normalized_shape, in);
        return {in};
    }

    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<LayerNorm, T> params, const T* in, T* out) {
        constexpr std::size_t M = normalized_shape.numel(), rows = N * In.numel() / M;
        for (std::size_t r = 0; r < rows; ++r) {
            const T* x = in + r * M;
            T* y = out + r * M;
            const detail::moments<T> m = detail::moments_of<T, M>(x);
            // As PyTorch's CPU kernel: (x * rstd - mean * rstd) * weight + bias.
            const T rstd = detail::reciprocal_sqrt(m.variance + T(eps)), shift = -m.mean * rstd;
            if constexpr (elementwise_affine) {
                const T* weight = params.template get<0>();
                const T* bias = params.template get<1>();
                using S = detail::simd<T>;
                constexpr std::size_t L = S::lanes, whole = M / L * L;
                const typename S::type vrstd = S::broadcast(rstd), vshift = S::broadcast(shift);
                for (std::size_t i = 0; i < whole; i += L)
                    S::store(y + i, (S::load(x + i) * vrstd + vshift) * S::load(weight + i) + S::load(bias + i));
                for (std::size_t i = whole; i < M; ++i) y[i] = (x[i] * rstd + shift) * weight[i] + bias[i];
            } else {
                detail::scale_and_shift<T, M>(x, y, rstd, shift);
            }
        }
    }

    // Training (backward.hpp): each row's statistics are computed again, as the forward did.
    template <class T, shape In, std::size_t N>
    static void backward(const backward_pass<LayerNorm, T>& p) {
        constexpr std::size_t M = normalized_shape.numel(), rows = N * In.numel() / M;
        const auto [weight, dweight, dbias] = detail::affine_of<elementwise_affine>(p);
        for (std::size_t r = 0; r < rows; ++r) {
            const detail::moments<T> m = detail::moments_of<T, M>(p.in + r * M);
            detail::normalized_group_backward<T>(M, 1, p.in + r * M, p.grad_out + r * M,
                                                 p.grad_in ? p.grad_in + r * M : nullptr, m.mean,
                                                 detail::reciprocal_sqrt(m.variance + T(eps)), weight, dweight, dbias);
        }
    }
};

// Per-sample input [C, H, W]: each pixel's C values are normalised together.
template <std::size_t NumChannels, class... Options>
struct LayerNorm2d : detail::layer_norm_options<Options...> {
    static_assert(NumChannels >= 1, "LayerNorm2d: the number of channels must be at least 1");
    using detail::layer_norm_options<Options...>::eps;
    using detail::layer_norm_options<Options...>::elementwise_affine;
    static constexpr shape normalized_shape{NumChannels};

    static constexpr std::string_view type_name = "LayerNorm2d";
    static constexpr auto state = detail::affine_state<normalized_shape, elementwise_affine>();
    static constexpr bool in_place = true;
    static constexpr bool sample_wise = true;

    static constexpr shape_check infer(shape in) {
        if (in.rank != 3)
            return fail("LayerNorm2d: takes an image [C, H, W] per sample (first number: 3, second: the rank it gets). "
                        "For the last dimensions of other inputs, use LayerNorm.",
                        3, in.rank);
        if (in[0] != NumChannels)
            return fail("LayerNorm2d: its channels (first number) must equal the channels of its input (second number), "
                        "i.e. the out_channels of the layer before it",
                        NumChannels, in[0]);
        return {in};
    }

    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<LayerNorm2d, T> params, const T* in, T* out) {
        constexpr std::size_t C = NumChannels, pixels = In[1] * In[2];
        using S = detail::simd<T>;
        for (std::size_t n = 0; n < N; ++n) {
            const T* x = in + n * C * pixels;
            T* y = out + n * C * pixels;
            std::size_t p = 0;
            for (; p + S::lanes <= pixels; p += S::lanes)
                pixel_block<T, S, pixels>(params, x + p, y + p);
            for (; p < pixels; ++p) pixel_block<T, detail::scalar_simd<T>, pixels>(params, x + p, y + p);
        }
    }

    // Training (backward.hpp): each pixel's statistics are computed again, in the forward's order.
    template <class T, shape In, std::size_t N>
    static void backward(const backward_pass<LayerNorm2d, T>& p) {
        constexpr std::size_t C = NumChannels, pixels = In[1] * In[2];
        const auto [weight, dweight, dbias] = detail::affine_of<elementwise_affine>(p);
        for (std::size_t n = 0; n < N; ++n)
            for (std::size_t q = 0; q < pixels; ++q) {
                const std::size_t at = n * C * pixels + q;
                T sum = 0, squares = 0;
                for (std::size_t c = 0; c < C; ++c) sum += p.in[at + c * pixels];
                const T mean = sum / T(C);
                for (std::size_t c = 0; c < C; ++c) {
                    const T d = p.in[at + c * pixels] - mean;
                    squares += d * d;
                }
                detail::normalized_group_backward<T>(C, pixels, p.in + at, p.grad_out + at,
                                                     p.grad_in ? p.grad_in + at : nullptr, mean,
                                                     T(1) / std::sqrt(squares / T(C) + T(eps)), weight, dweight,
                                                     dbias);
            }
    }

private:
    // The pixels starting at x: S::lanes neighbouring ones, each normalised over its C values
    // (Stride apart).
    template <class T, class S, std::size_t Stride>
    [[gnu::always_inline]] static void pixel_block(layer_params<LayerNorm2d, T> params, const T* x, T* y) {
        constexpr std::size_t C = NumChannels;
        using V = typename S::type;
        V sum = S::broadcast(0);
        for (std::size_t c = 0; c < C; ++c) sum += S::load(x + c * Stride);
        const V mean = sum / S::broadcast(T(C));
        V squares = S::broadcast(0);
        for (std::size_t c = 0; c < C; ++c) {
            const V d = S::load(x + c * Stride) - mean;
            squares += d * d;
        }
        const V rstd = detail::reciprocal_sqrt(squares / S::broadcast(T(C)) + S::broadcast(T(eps)));
        const V shift = -mean * rstd;
        for (std::size_t c = 0; c < C; ++c) {
            V v = S::load(x + c * Stride) * rstd + shift;
            if constexpr (elementwise_affine)
                v = v * S::broadcast(params.template get<0>()[c]) + S::broadcast(params.template get<1>()[c]);
            S::store(y + c * Stride, v);
        }
    }
};

}  // namespace typenet
