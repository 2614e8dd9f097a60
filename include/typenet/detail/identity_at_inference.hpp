// The common part of the layers that are the identity at inference and keep a probability for
// training (Dropout, Dropout1d, Dropout2d, AlphaDropout, StochasticDepth): p checked in [0, 1] as PyTorch
// and torchvision check it, no state, and a copy unless in place. Then the training of those that
// zero whole groups of values (group_dropout).
#pragma once

#include <array>
#include <cstddef>

#include "../backward.hpp"
#include "../layer.hpp"
#include "decimal.hpp"
#include "fixed_string.hpp"
#include "kernels/common.hpp"

namespace typenet::detail {

template <class Self, fixed_string P>
struct identity_at_inference {
    static constexpr decimal parsed = parse_decimal(P.view());
    static_assert(parsed.valid && parsed.value >= 0 && parsed.value <= 1,
                  "Dropout, Dropout1d, Dropout2d, AlphaDropout, StochasticDepth: p is a probability between 0 and 1, "
                  "written as a string: Dropout<\"0.3\">");
    static constexpr double p = parsed.value;

    static constexpr std::array<state_spec, 0> state{};
    static constexpr bool in_place = true;
    static constexpr bool sample_wise = true;
    static constexpr bool value_preserving = true;  // a chain skips it (detail/chain.hpp)
    static constexpr bool stepwise = true;          // the identity on each time step too (stream.hpp)

    static constexpr shape_check infer(shape in) { return {in}; }

    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<Self, T>, const T* in, T* out) {
        copy_if_distinct(in, out, N * In.numel());
    }
};

// Training (backward.hpp) of a dropout whose random draw zeroes a group of consecutive values at
// once, Self::group_size(in, n) of them (one value for Dropout, a channel for Dropout1d and
// Dropout2d, a sample or the whole batch for StochasticDepth): each group is zeroed with
// probability p, the others scaled by 1 / (1 - p), computed in T as PyTorch's noise.div_(1 - p).
// With p = 1 everything is zeroed, as PyTorch and torchvision do. One factor per group (0 or the
// scale) is kept for backward, which multiplies the gradient by it.
template <class Self, fixed_string P>
struct group_dropout : identity_at_inference<Self, P> {
    template <class T>
    static constexpr std::size_t saved_elements(shape in, std::size_t n) {
        return n * in.numel() / Self::group_size(in, n);
    }
    template <class T, shape In, std::size_t N>
    static void train_propagate(const train_pass<Self, T>& p) {
        constexpr std::size_t group = Self::group_size(In, N), groups = N * In.numel() / group;
        if (!p.training || Self::p == 0) {
            for (std::size_t g = 0; g < groups; ++g) p.saved[g] = T(1);
        } else {
            const dropout_draw<T> draw{Self::p};
            for (std::size_t g = 0; g < groups; ++g) p.saved[g] = draw(*p.random);
        }
        for (std::size_t g = 0; g < groups; ++g)
            for (std::size_t i = g * group; i < (g + 1) * group; ++i) p.out[i] = p.in[i] * p.saved[g];
    }
    template <class T, shape In, std::size_t N>
    static void backward(const backward_pass<Self, T>& p) {
        if (!p.grad_in) return;
        constexpr std::size_t group = Self::group_size(In, N), groups = N * In.numel() / group;
        for (std::size_t g = 0; g < groups; ++g)
            for (std::size_t i = g * group; i < (g + 1) * group; ++i) p.grad_in[i] = p.grad_out[i] * p.saved[g];
    }
};

}  // namespace typenet::detail
