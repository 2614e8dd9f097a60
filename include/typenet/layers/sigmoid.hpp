// Sigmoid: 1 / (1 + e^-x), like nn.Sigmoid.
//
//     using Gate = typenet::Sequential<typenet::Linear<8, 8>, typenet::Sigmoid>;
//     static_assert(typenet::Sigmoid::type_name == "Sigmoid");
#pragma once

#include <string_view>

#include "../elementwise.hpp"

namespace typenet {

struct Sigmoid : Elementwise<Sigmoid> {
    static constexpr std::string_view type_name = "Sigmoid";
    template <class V>
    [[gnu::always_inline]] static V apply(V x) {
        return math::sigmoid(x);
    }
    template <class V>
    [[gnu::always_inline]] static V derivative(V, V y) {
        return (math::splat<V>(1) - y) * y;
    }
};

}  // namespace typenet
