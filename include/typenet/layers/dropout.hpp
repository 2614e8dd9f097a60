// Dropout: the identity at inference, like nn.Dropout in eval() mode. The probability is kept
// (written as a string, as in the Python source) for the summary and for training later.
//
//     using D1 = typenet::Dropout<"0.3">;   // nn.Dropout(0.3)
//     using D2 = typenet::Dropout<>;        // nn.Dropout(), p = 0.5
//     static_assert(typenet::Dropout<"0.3">::p == 0.3);
#pragma once

#include <string_view>

#include "../detail/fixed_string.hpp"
#include "../detail/identity_at_inference.hpp"

namespace typenet {

template <detail::fixed_string P = "0.5">
struct Dropout : detail::identity_at_inference<Dropout<P>, P> {
    static constexpr std::string_view type_name = "Dropout";
};

}  // namespace typenet
