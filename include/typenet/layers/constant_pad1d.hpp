// ConstantPad1d: pads the last dimension with a constant, Left values before and Right after, like
// nn.ConstantPad1d((left, right), value). The value is written as a string ("0" by default; PyTorch
// requires it). Any per-sample rank, as F.pad: [C, L] becomes [C, Left + L + Right].
//
//     using Causal = typenet::ConstantPad1d<4, 0>;              // nn.ConstantPad1d((4, 0), 0.)
//     using Both = typenet::ConstantPad1d<1, 2, "-0.5">;        // nn.ConstantPad1d((1, 2), -0.5)
//     static_assert(Causal::infer({8, 100}).output == typenet::shape{8, 104});
//     static_assert(Both::value == -0.5 && Both::infer({3}).output == typenet::shape{6});
//
// In a Stream (stream.hpp), where a step has no time axis, ConstantPad1d<P, 0> with the value 0 steps
// as the identity: a stepped Conv1d after it starts from a zero history, which is that padding when
// P is the convolution's (K - 1) * dilation. A right padding (the future) or another value cannot step.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "../backward.hpp"
#include "../detail/fixed_string.hpp"
#include "../detail/kernels/common.hpp"
#include "../layer.hpp"
#include "../options.hpp"

namespace typenet {

template <std::size_t Left, std::size_t Right = Left, detail::fixed_string Value = "0">
struct ConstantPad1d : detail::identity_step<ConstantPad1d<Left, Right, Value>> {
    static constexpr std::size_t left = Left, right = Right;
    static constexpr double value = decimal_value<Value>;

    static constexpr std::string_view type_name = "ConstantPad1d";
    static constexpr std::array<state_spec, 0> state{};
    static constexpr bool sample_wise = true;

    static constexpr shape_check infer(shape in) {
        if (in.rank == 0)
            return fail("ConstantPad1d: pads the last dimension, so the input needs at least one (first number: 1, "
                        "second: the input's rank).",
                        1, 0);
        shape out = in;
        out.dims[out.rank - 1] += Left + Right;
        return {out};
    }

    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<ConstantPad1d, T>, const T* in, T* out) {
        constexpr std::size_t length = In.back(), rows = N * In.numel() / length;
        for (std::size_t r = 0; r < rows; ++r) {
            T* row = out + r * (Left + length + Right);
            for (std::size_t i = 0; i < Left; ++i) row[i] = T(value);
            for (std::size_t i = 0; i < length; ++i) row[Left + i] = in[r * length + i];
            for (std::size_t i = 0; i < Right; ++i) row[Left + length + i] = T(value);
        }
    }

    // Training (backward.hpp): each row's gradient without its padding, which is constant.
    template <class T, shape In, std::size_t N>
    static void backward(const backward_pass<ConstantPad1d, T>& p) {
        if (!p.grad_in) return;
        constexpr std::size_t length = In.back(), rows = N * In.numel() / length;
        for (std::size_t r = 0; r < rows; ++r)
            detail::copy_values<length>(p.grad_out + r * (Left + length + Right) + Left, p.grad_in + r * length);
    }

    // One step of a stream: the identity (see above), or refused.
    static constexpr shape_check step_infer(shape step_in) {
        if (Right != 0)
            return fail("ConstantPad1d: a right padding (second number) pads the future, which a step does not "
                        "have: only ConstantPad1d<P, 0> can run in a Stream (first number: 0).",
                        0, Right);
        if (value != 0)
            return fail("ConstantPad1d: only the value 0 can run in a Stream, where the zero history of the "
                        "Conv1d after it is the padding (first number: 0, second: the value, rounded).",
                        0, std::size_t(value < 0 ? -value : value));
        return {step_in};
    }
};

}  // namespace typenet
