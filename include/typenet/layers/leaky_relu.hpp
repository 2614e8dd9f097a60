// LeakyReLU: x for x > 0, negative_slope * x otherwise, like nn.LeakyReLU(negative_slope=0.01).
//
//     using A = typenet::LeakyReLU<>;        // nn.LeakyReLU()
//     using B = typenet::LeakyReLU<"0.2">;   // nn.LeakyReLU(0.2)
//     static_assert(B::negative_slope == 0.2);
//     double y = B::apply(-1.0);   // -0.2
#pragma once

#include <string_view>

#include "../elementwise.hpp"
#include "../options.hpp"

namespace typenet {

template <fixed_string NegativeSlope = "0.01">
struct LeakyReLU : Elementwise<LeakyReLU<NegativeSlope>> {
    static constexpr std::string_view type_name = "LeakyReLU";
    static constexpr double negative_slope = decimal_value<NegativeSlope>;

    template <class V>
    [[gnu::always_inline]] static V apply(V x) {
        return math::select(x > math::splat<V>(0), x, x * math::splat<V>(negative_slope));
    }
    // 1 where x > 0, else negative_slope (0 included), as PyTorch's leaky_relu_backward.
    template <class V>
    [[gnu::always_inline]] static V derivative(V x, V) {
        return math::select(x > math::splat<V>(0), math::splat<V>(1), math::splat<V>(negative_slope));
    }
};

}  // namespace typenet
