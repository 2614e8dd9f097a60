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
};

}  // namespace typenet
