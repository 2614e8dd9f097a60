// The common part of the layers that are the identity at inference and keep a probability for
// training (Dropout, Dropout1d, Dropout2d, AlphaDropout, StochasticDepth): p checked in [0, 1] as PyTorch
// and torchvision check it, no state, and a copy unless in place.
#pragma once

#include <array>
#include <cstddef>

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

}  // namespace typenet::detail
