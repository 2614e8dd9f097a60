// Dropout1d: the identity at inference, like nn.Dropout1d(p=0.5) in eval() mode (in training it
// zeroes whole channels). PyTorch takes (N, C) or (N, C, L) only, so typenet takes a per-sample [C]
// or [C, L].
//
//     using D = typenet::Dropout1d<"0.3">;   // nn.Dropout1d(0.3)
//     static_assert(D::p == 0.3 && typenet::Dropout1d<>::p == 0.5);
//     static_assert(D::infer({16, 20}).ok() && !D::infer({16, 4, 5}).ok());
#pragma once

#include <string_view>

#include "../detail/fixed_string.hpp"
#include "../detail/identity_at_inference.hpp"
#include "../layer.hpp"

namespace typenet {

template <detail::fixed_string P = "0.5">
struct Dropout1d : detail::identity_at_inference<Dropout1d<P>, P> {
    static constexpr std::string_view type_name = "Dropout1d";
    static constexpr shape_check infer(shape in) {
        if (in.rank != 1 && in.rank != 2)
            return fail("Dropout1d: takes [C] or [C, L] per sample, (N, C) or (N, C, L) with the batch, as PyTorch "
                        "(first number: 2, the largest rank it takes; second: the rank it gets). For images use "
                        "Dropout2d.",
                        2, in.rank);
        return {in};
    }
};

}  // namespace typenet
