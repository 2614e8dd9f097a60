// Mish: x * tanh(softplus(x)) = x * tanh(log(1 + e^x)), like nn.Mish.
//
//     using Block = typenet::Sequential<typenet::Linear<8, 8>, typenet::Mish>;
//     static_assert(typenet::Mish::type_name == "Mish");
#pragma once

#include <string_view>

#include "../elementwise.hpp"

namespace typenet {

struct Mish : Elementwise<Mish> {
    static constexpr std::string_view type_name = "Mish";
    template <class V>
    [[gnu::always_inline]] static V apply(V x) {
        return x * math::tanh(math::log1p(math::exp(x)));  // as PyTorch's kernel
    }
    // t + x sigmoid(x) (1 - t^2), t = tanh(softplus(x)), as PyTorch's mish_backward.
    template <class V>
    [[gnu::always_inline]] static V derivative(V x, V) {
        const V t = math::tanh(math::log1p(math::exp(x)));
        return t + x * math::sigmoid(x) * (math::splat<V>(1) - t * t);
    }
};

}  // namespace typenet
