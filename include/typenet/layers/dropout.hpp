// Dropout: like nn.Dropout. The identity in eval() mode; in train() mode (trainable.hpp) each value
// is zeroed with probability p and the others scaled by 1 / (1 - p). The probability is written as
// a string, as in the Python source. The masks come from the model's random generator
// (backward.hpp), not PyTorch's.
//
//     using D1 = typenet::Dropout<"0.3">;   // nn.Dropout(0.3)
//     using D2 = typenet::Dropout<>;        // nn.Dropout(), p = 0.5
//     static_assert(typenet::Dropout<"0.3">::p == 0.3);
#pragma once

#include <cstddef>
#include <string_view>

#include "../backward.hpp"
#include "../detail/fixed_string.hpp"
#include "../detail/identity_at_inference.hpp"

namespace typenet {

template <detail::fixed_string P = "0.5">
struct Dropout : detail::identity_at_inference<Dropout<P>, P> {
    static constexpr std::string_view type_name = "Dropout";

    // Training: the mask (0 or 1 / (1 - p) per value) is kept for backward.
    template <class T>
    static constexpr std::size_t saved_elements(shape in, std::size_t n) {
        return n * in.numel();
    }
    template <class T, shape In, std::size_t N>
    static void train_propagate(const train_pass<Dropout, T>& p) {
        constexpr std::size_t count = N * In.numel();
        if (!p.training || Dropout::p == 0) {
            for (std::size_t i = 0; i < count; ++i) p.saved[i] = T(1);
        } else {
            const T keep_scale = Dropout::p == 1 ? T(0) : T(1) / T(1 - Dropout::p);
            for (std::size_t i = 0; i < count; ++i) p.saved[i] = p.random->uniform() < Dropout::p ? T(0) : keep_scale;
        }
        for (std::size_t i = 0; i < count; ++i) p.out[i] = p.in[i] * p.saved[i];
    }
    template <class T, shape In, std::size_t N>
    static void backward(const backward_pass<Dropout, T>& p) {
        if (p.grad_in)
            for (std::size_t i = 0; i < N * In.numel(); ++i) p.grad_in[i] = p.grad_out[i] * p.saved[i];
    }
};

}  // namespace typenet
