// ELU: x for x > 0, alpha * (e^x - 1) otherwise, like nn.ELU(alpha=1.0).
//
//     using A = typenet::ELU<>;         // nn.ELU()
//     using B = typenet::ELU<"0.5">;    // nn.ELU(alpha=0.5)
//     static_assert(B::alpha == 0.5);
//     double y = B::apply(-1.0);   // 0.5 * (e^-1 - 1)
#pragma once

#include <string_view>

#include "../elementwise.hpp"
#include "../options.hpp"

namespace typenet {

template <fixed_string Alpha = "1.0">
struct ELU : Elementwise<ELU<Alpha>> {
    static constexpr std::string_view type_name = "ELU";
    static constexpr double alpha = decimal_value<Alpha>;

    template <class V>
    [[gnu::always_inline]] static V apply(V x) {
        // exp(x) - 1 rather than expm1(x): PyTorch 1.13's kernel, to its last bits (ELU(-0.) = +0.).
        const V negative = (math::exp(x) - math::splat<V>(1)) * math::splat<V>(alpha);
        return math::select(x <= math::splat<V>(0), negative, x);
    }
    // alpha e^x where x <= 0, else 1, from the input as PyTorch's elu_backward (is_result=False).
    template <class V>
    [[gnu::always_inline]] static V derivative(V x, V) {
        return math::select(x <= math::splat<V>(0), math::splat<V>(alpha) * math::exp(x), math::splat<V>(1));
    }
};

}  // namespace typenet
