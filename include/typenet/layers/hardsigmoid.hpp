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
};

}  // namespace typenet
