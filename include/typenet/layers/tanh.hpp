// Tanh: the hyperbolic tangent, like nn.Tanh.
//
//     using Block = typenet::Sequential<typenet::Linear<8, 8>, typenet::Tanh>;
//     static_assert(typenet::Tanh::type_name == "Tanh");
#pragma once

#include <string_view>

#include "../elementwise.hpp"

namespace typenet {

struct Tanh : Elementwise<Tanh> {
    static constexpr std::string_view type_name = "Tanh";
    template <class V>
    [[gnu::always_inline]] static V apply(V x) {
        return math::tanh(x);
    }
    template <class V>
    [[gnu::always_inline]] static V derivative(V, V y) {
        return math::splat<V>(1) - y * y;
    }
};

}  // namespace typenet
