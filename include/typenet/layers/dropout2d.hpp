// Dropout2d: the identity at inference, like nn.Dropout2d(p=0.5) in eval() mode (in training it
// zeroes whole channels). PyTorch 1.13 runs it on inputs of any rank (with a deprecation warning
// for other than (N, C, L) and (N, C, H, W)), and so does typenet.
//
//     using D = typenet::Dropout2d<"0.2">;   // nn.Dropout2d(0.2)
//     static_assert(D::p == 0.2 && D::infer({64, 7, 7}).output == typenet::shape{64, 7, 7});
#pragma once

#include <string_view>

#include "../detail/fixed_string.hpp"
#include "../detail/identity_at_inference.hpp"

namespace typenet {

template <detail::fixed_string P = "0.5">
struct Dropout2d : detail::identity_at_inference<Dropout2d<P>, P> {
    static constexpr std::string_view type_name = "Dropout2d";
};

}  // namespace typenet
