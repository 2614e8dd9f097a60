// Elementwise layers: a function applied to every value, with no parameters (activations). A
// layer derives from Elementwise<Self> and writes the function once, for a scalar and for a
// vector alike, of the target's width or narrower (math.hpp has exp, tanh, sigmoid... for all):
//
//     struct Swish : typenet::Elementwise<Swish> {
//         static constexpr std::string_view type_name = "Swish";
//         template <class V> static V apply(V x) { return x * typenet::math::sigmoid(x); }
//     };
//     static_assert(typenet::Layer<Swish>);
//
// Elementwise layers run in place, sample by sample, and a convolution or Linear before them in a
// chain applies them as it stores its output (a fused step), so they cost no pass of their own.
#pragma once

#include <array>
#include <cstddef>

#include "backward.hpp"
#include "detail/kernels/simd.hpp"
#include "layer.hpp"
#include "math.hpp"

namespace typenet {

namespace detail {
// A named concept rather than a requires-expression in Elementwise: Clang 14 does not find the
// derived layer's members from a constraint written inside its CRTP base.
template <class L, class T>
concept has_derivative = requires(T x) { L::derivative(x, x); };
}  // namespace detail

template <class Self>
struct Elementwise {
    static constexpr std::array<state_spec, 0> state{};
    static constexpr bool in_place = true;
    static constexpr bool sample_wise = true;
    static constexpr bool elementwise = true;
    static constexpr bool stepwise = true;  // each value on its own, so each time step too (stream.hpp)

    static constexpr shape_check infer(shape in) { return {in}; }

    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<Self, T>, const T* in, T* out) {
        apply_to<T, N * In.numel()>(in, out);
    }

    // Training (backward.hpp): dL/dx = dL/dy * f'(x), from the layer's
    //     template <class V> static V derivative(V x, V y);   // f'(x), given x and y = f(x)
    // A layer without derivative has no backward pass.
    template <class T, shape In, std::size_t N>
        requires detail::has_derivative<Self, T>
    static void backward(const backward_pass<Self, T>& p) {
        if (!p.grad_in) return;
        using S = detail::simd<T>;
        constexpr std::size_t count = N * In.numel(), whole = count / S::lanes * S::lanes;
        for (std::size_t i = 0; i < whole; i += S::lanes)
            S::store(p.grad_in + i, S::load(p.grad_out + i) * Self::derivative(S::load(p.in + i), S::load(p.out + i)));
        for (std::size_t i = whole; i < count; ++i) p.grad_in[i] = p.grad_out[i] * Self::derivative(p.in[i], p.out[i]);
    }

    // Self::apply over Count values, in vectors then one by one; `in` may equal `out`.
    template <class T, std::size_t Count>
    [[gnu::always_inline]] static void apply_to(const T* in, T* out) {
        using S = detail::simd<T>;
        constexpr std::size_t whole = Count / S::lanes * S::lanes;
        for (std::size_t v = 0; v < Count / S::lanes; ++v)
            S::store(out + v * S::lanes, Self::apply(S::load(in + v * S::lanes)));
        apply_to_rest<T, Count - whole, detail::vector_bytes / 2>(in + whole, out + whole);
    }

private:
    // The values after the whole vectors: in vectors of half the width, then a quarter (down to 16
    // bytes), then one by one. A tanh of 8 floats after a Linear<.., 8> is one 256-bit vector with
    // AVX-512, not 8 calls of the C library's tanhf.
    template <class T, std::size_t Count, std::size_t Bytes>
    [[gnu::always_inline]] static void apply_to_rest(const T* in, T* out) {
        if constexpr (Bytes >= 16 && Count * sizeof(T) >= Bytes) {
            using V = detail::narrow_simd<T, Bytes>;
            V::store(out, Self::apply(V::load(in)));
            apply_to_rest<T, Count - V::lanes, Bytes / 2>(in + V::lanes, out + V::lanes);
        } else if constexpr (Bytes >= 16) {
            apply_to_rest<T, Count, Bytes / 2>(in, out);
        } else {
            for (std::size_t i = 0; i < Count; ++i) out[i] = Self::apply(in[i]);
        }
    }
};

template <class L>
concept ElementwiseLayer = Layer<L> && requires { requires L::elementwise; };

}  // namespace typenet
