// Hardswish: x * min(max(x + 3, 0), 6) / 6, like nn.Hardswish.
//
//     using Block = typenet::Sequential<typenet::Linear<8, 8>, typenet::Hardswish>;
//     double y = typenet::Hardswish::apply(1.0);   // 1 * 4 / 6
#pragma once

#include <string_view>

#include "../elementwise.hpp"

namespace typenet {

namespace detail {
// min(max(x + 3, 0), 6), NaN passing through as in PyTorch's kernels.
template <class V>
[[gnu::always_inline]] inline V relu6_of_x_plus_3(V x) {
    const V shifted = x + math::splat<V>(3), zero = math::splat<V>(0), six = math::splat<V>(6);
    return math::select(shifted < zero, zero, math::select(shifted > six, six, shifted));
}
}  // namespace detail

struct Hardswish : Elementwise<Hardswish> {
    static constexpr std::string_view type_name = "Hardswish";
    template <class V>
    [[gnu::always_inline]] static V apply(V x) {
        return x * detail::relu6_of_x_plus_3(x) / math::splat<V>(6);
    }
    // 0 below -3, x / 3 + 1/2 from -3 up to 3 (excluded), 1 from 3: PyTorch's vectorised
    // hardswish_backward. (Its scalar path, used for the last few values of a tensor, gives 3/2 at
    // exactly 3.)
    template <class V>
    [[gnu::always_inline]] static V derivative(V x, V) {
        return math::select(x < math::splat<V>(-3), math::splat<V>(0),
                            math::select(x >= math::splat<V>(3), math::splat<V>(1),
                                         x / math::splat<V>(3) + math::splat<V>(0.5)));
    }
};

}  // namespace typenet
