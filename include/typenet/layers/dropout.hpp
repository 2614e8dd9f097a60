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

#include "../detail/fixed_string.hpp"
#include "../detail/identity_at_inference.hpp"

namespace typenet {

template <detail::fixed_string P = "0.5">
struct Dropout : detail::group_dropout<Dropout<P>, P> {
    static constexpr std::string_view type_name = "Dropout";

    // Training (detail::group_dropout): each value is drawn alone.
    static constexpr std::size_t group_size(shape, std::size_t) { return 1; }
};

}  // namespace typenet
