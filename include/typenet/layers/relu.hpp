// ReLU: max(x, 0) elementwise, like nn.ReLU (NaN stays NaN).
//
//     using Block = typenet::Sequential<typenet::Linear<8, 8>, typenet::ReLU>;
#pragma once

#include <string_view>

#include "../elementwise.hpp"

namespace typenet {

struct ReLU : Elementwise<ReLU> {
    static constexpr std::string_view type_name = "ReLU";
    template <class V>
    [[gnu::always_inline]] static V apply(V x) {
        return math::select(x < math::splat<V>(0), math::splat<V>(0), x);
    }
    // 1 where the output is positive, else 0 (PyTorch's threshold_backward on the output).
    template <class V>
    [[gnu::always_inline]] static V derivative(V, V y) {
        return math::select(math::splat<V>(0) < y, math::splat<V>(1), math::splat<V>(0));
    }
};

}  // namespace typenet
