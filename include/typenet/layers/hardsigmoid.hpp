// Hardsigmoid: min(max(x + 3, 0), 6) / 6, like nn.Hardsigmoid.
//
//     using Gate = typenet::Sequential<typenet::Linear<8, 8>, typenet::Hardsigmoid>;
//     double y = typenet::Hardsigmoid::apply(0.0);   // 0.5
#pragma once

#include <string_view>

#include "../elementwise.hpp"
#include "hardswish.hpp"

namespace typenet {

struct Hardsigmoid : Elementwise<Hardsigmoid> {
    static constexpr std::string_view type_name = "Hardsigmoid";
    template <class V>
    [[gnu::always_inline]] static V apply(V x) {
        return detail::relu6_of_x_plus_3(x) / math::splat<V>(6);
    }
    // 1/6 strictly between -3 and 3, else 0 (NaN too), as PyTorch's hardsigmoid_backward, whose
    // 1/6 is the float nearest to it in double as well (0.16666667163372040).
    template <class V>
    [[gnu::always_inline]] static V derivative(V x, V) {
        const V zero = math::splat<V>(0);
        return math::select(x > math::splat<V>(-3),
                            math::select(x < math::splat<V>(3), math::splat<V>(double(1.0f / 6.0f)), zero), zero);
    }
};

}  // namespace typenet
