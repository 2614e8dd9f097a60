// GELU: x * Phi(x), like nn.GELU(approximate='none'), with the exact erf; GELU<"tanh"> is
// nn.GELU(approximate='tanh'): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
//
//     using Exact = typenet::GELU<>;          // nn.GELU()
//     using Fast = typenet::GELU<"tanh">;     // nn.GELU(approximate='tanh')
//     static_assert(!Exact::tanh_approximation && Fast::tanh_approximation);
#pragma once

#include <string_view>

#include "../elementwise.hpp"
#include "../options.hpp"

namespace typenet {

template <fixed_string Approximate = "none">
struct GELU : Elementwise<GELU<Approximate>> {
    static_assert(Approximate.view() == "none" || Approximate.view() == "tanh",
                  "GELU: approximate is \"none\" (the default, exact erf) or \"tanh\", as in PyTorch");
    static constexpr std::string_view type_name = "GELU";
    static constexpr std::string_view approximate = Approximate.view();
    static constexpr bool tanh_approximation = Approximate.view() == "tanh";

    template <class V>
    [[gnu::always_inline]] static V apply(V x) {
        using math::splat;
        // The formulas of PyTorch's CPU kernels, operation for operation.
        if constexpr (tanh_approximation) {
            constexpr double beta = 0.7978845608028654;  // sqrt(2) * (2 / sqrt(pi)) * 0.5
            const V inner = splat<V>(beta) * (x + splat<V>(0.044715) * (x * x * x));
            return splat<V>(0.5) * x * (splat<V>(1) + math::tanh(inner));
        } else {
            constexpr double sqrt1_2 = 0.7071067811865476;
            return x * splat<V>(0.5) * (splat<V>(1) + math::erf(x * splat<V>(sqrt1_2)));
        }
    }
    // PyTorch's gelu_backward: with tanh, 0.5 (1 + t) + 0.5 x (1 - t^2) beta (1 + 3 kappa x^2),
    // t = tanh(beta (x + kappa x^3)); exact, Phi(x) + x phi(x).
    template <class V>
    [[gnu::always_inline]] static V derivative(V x, V) {
        using math::splat;
        if constexpr (tanh_approximation) {
            constexpr double beta = 0.7978845608028654, kappa = 0.044715;
            const V x_squared = x * x;
            const V t = math::tanh(splat<V>(beta) * (x + splat<V>(kappa) * (x * x * x)));
            const V inner_derivative = splat<V>(beta) * (splat<V>(1) + splat<V>(3) * splat<V>(kappa) * x_squared);
            return splat<V>(0.5) * (splat<V>(1) + t) + splat<V>(0.5) * x * (splat<V>(1) - t * t) * inner_derivative;
        } else {
            constexpr double sqrt1_2 = 0.7071067811865476, inverse_sqrt_2pi = 0.3989422804014327;
            const V cdf = splat<V>(0.5) * (splat<V>(1) + math::erf(x * splat<V>(sqrt1_2)));
            const V pdf = splat<V>(inverse_sqrt_2pi) * math::exp(x * x * splat<V>(-0.5));
            return cdf + x * pdf;
        }
    }
};

}  // namespace typenet
