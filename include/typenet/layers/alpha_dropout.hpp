// AlphaDropout: the identity at inference, like nn.AlphaDropout(p=0.5) in eval() mode (in
// training it keeps a SELU network's mean and variance).
//
//     using D = typenet::AlphaDropout<"0.1">;   // nn.AlphaDropout(0.1)
//     static_assert(D::p == 0.1 && D::state.size() == 0);
#pragma once

#include <string_view>

#include "../detail/fixed_string.hpp"
#include "../detail/identity_at_inference.hpp"

namespace typenet {

template <detail::fixed_string P = "0.5">
struct AlphaDropout : detail::identity_at_inference<AlphaDropout<P>, P> {
    static constexpr std::string_view type_name = "AlphaDropout";
};

}  // namespace typenet
