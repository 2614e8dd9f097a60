// SiLU (swish): x / (1 + e^-x), like nn.SiLU.
//
//     using Block = typenet::Sequential<typenet::Linear<8, 8>, typenet::SiLU>;
//     double y = typenet::SiLU::apply(1.0);   // 1 / (1 + e^-1)
#pragma once

#include <string_view>

#include "../elementwise.hpp"

namespace typenet {

struct SiLU : Elementwise<SiLU> {
    static constexpr std::string_view type_name = "SiLU";
    template <class V>
    [[gnu::always_inline]] static V apply(V x) {
        return x / (math::splat<V>(1) + math::exp(-x));  // PyTorch's formula: SiLU(-inf) is NaN there too
    }
    // s (1 + x (1 - s)), s = sigmoid(x), as PyTorch's silu_backward.
    template <class V>
    [[gnu::always_inline]] static V derivative(V x, V) {
        const V s = math::sigmoid(x);
        return s * (math::splat<V>(1) + x * (math::splat<V>(1) - s));
    }
};

}  // namespace typenet
