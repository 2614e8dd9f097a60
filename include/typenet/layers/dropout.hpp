// Dropout: the identity at inference, like nn.Dropout in eval() mode. The probability is kept
// (written as a string, as in the Python source) for the summary and for training later.
//
//     using D1 = typenet::Dropout<"0.3">;   // nn.Dropout(0.3)
//     using D2 = typenet::Dropout<>;        // nn.Dropout(), p = 0.5
//     static_assert(typenet::Dropout<"0.3">::p == 0.3);
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "../detail/decimal.hpp"
#include "../detail/fixed_string.hpp"
#include "../detail/kernels.hpp"
#include "../layer.hpp"

namespace typenet {

template <detail::fixed_string P = "0.5">
struct Dropout {
    static constexpr detail::decimal parsed = detail::parse_decimal(P.view());
    static_assert(parsed.valid && parsed.value >= 0 && parsed.value <= 1,
                  "Dropout: p is a probability between 0 and 1, written as a string: Dropout<\"0.3\">");
    static constexpr double p = parsed.value;

    static constexpr std::string_view type_name = "Dropout";
    static constexpr std::array<state_spec, 0> state{};
    static constexpr bool in_place = true;
    static constexpr bool sample_wise = true;
    static constexpr bool value_preserving = true;  // a chain skips it (detail/chain.hpp)

    static constexpr shape_check infer(shape in) { return {in}; }

    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<Dropout, T>, const T* in, T* out) {
        detail::copy_if_distinct(in, out, N * In.numel());
    }
};

}  // namespace typenet
