// AlphaDropout: like nn.AlphaDropout(p=0.5). The identity in eval() mode; in train() mode
// (trainable.hpp) it keeps a SELU network's mean and variance: each value is dropped with
// probability p to SELU's negative saturation alpha' = -1.7580993408473766 (scale * alpha), then
// every value goes through a x + b, a = ((1 - p)(1 + p alpha'^2))^(-1/2), b = -a alpha' p, so that
// a standard input (mean 0, variance 1) stays standard. These are PyTorch's constants and formula
// (ATen's alpha dropout); with p = 1 the output is 0, as PyTorch's. The masks come from the model's
// random generator (backward.hpp), not PyTorch's.
//
//     using D = typenet::AlphaDropout<"0.1">;   // nn.AlphaDropout(0.1)
//     static_assert(D::p == 0.1 && D::state.size() == 0);
#pragma once

#include <cmath>
#include <cstddef>
#include <string_view>

#include "../backward.hpp"
#include "../detail/fixed_string.hpp"
#include "../detail/identity_at_inference.hpp"

namespace typenet {

template <detail::fixed_string P = "0.5">
struct AlphaDropout : detail::identity_at_inference<AlphaDropout<P>, P> {
    static constexpr std::string_view type_name = "AlphaDropout";
    static constexpr double selu_saturation = -1.7580993408473766;  // alpha', PyTorch's

    // Training: the derivative of each value, a (kept) or 0 (dropped), is kept for backward.
    template <class T>
    static constexpr std::size_t saved_elements(shape in, std::size_t n) {
        return n * in.numel();
    }
    template <class T, shape In, std::size_t N>
    static void train_propagate(const train_pass<AlphaDropout, T>& p) {
        constexpr std::size_t count = N * In.numel();
        constexpr double q = AlphaDropout::p, alpha = selu_saturation;
        if (!p.training || q == 0) {
            for (std::size_t i = 0; i < count; ++i) p.saved[i] = T(1), p.out[i] = p.in[i];
        } else if (q == 1) {
            for (std::size_t i = 0; i < count; ++i) p.saved[i] = T(0), p.out[i] = T(0);
        } else {
            const double a = 1 / std::sqrt((1 - q) * (1 + q * alpha * alpha)), b = -a * alpha * q;
            const T dropped = T(a * alpha + b);
            for (std::size_t i = 0; i < count; ++i) {
                const bool drop = p.random->uniform() < q;
                p.saved[i] = drop ? T(0) : T(a);
                p.out[i] = drop ? dropped : p.in[i] * T(a) + T(b);
            }
        }
    }
    template <class T, shape In, std::size_t N>
    static void backward(const backward_pass<AlphaDropout, T>& p) {
        if (p.grad_in)
            for (std::size_t i = 0; i < N * In.numel(); ++i) p.grad_in[i] = p.grad_out[i] * p.saved[i];
    }
};

}  // namespace typenet
