// Elementwise layers: a function applied to every value, with no parameters (activations). A
// layer derives from Elementwise<Self> and writes the function once, for a scalar and for a
// vector of the target's width alike (math.hpp has exp, tanh, sigmoid... for both):
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

#include "detail/kernels/simd.hpp"
#include "layer.hpp"
#include "math.hpp"

namespace typenet {

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

    // Self::apply over Count values, in vectors then one by one; `in` may equal `out`.
    template <class T, std::size_t Count>
    [[gnu::always_inline]] static void apply_to(const T* in, T* out) {
        using S = detail::simd<T>;
        constexpr std::size_t whole = Count / S::lanes * S::lanes;
        for (std::size_t v = 0; v < Count / S::lanes; ++v)
            S::store(out + v * S::lanes, Self::apply(S::load(in + v * S::lanes)));
        for (std::size_t i = whole; i < Count; ++i) out[i] = Self::apply(in[i]);
    }
};

template <class L>
concept ElementwiseLayer = Layer<L> && requires { requires L::elementwise; };

}  // namespace typenet
