// Dropout2d: like nn.Dropout2d(p=0.5). The identity in eval() mode; in train() mode (trainable.hpp)
// each channel is zeroed with probability p and the others scaled by 1 / (1 - p). PyTorch 1.13 runs
// it on inputs of any rank (with a deprecation warning for other than (N, C, L) and (N, C, H, W)),
// and so does typenet, with PyTorch's channels: the values of one sample sharing their first index.
// So a [C, L] sample (a 3-D input, which PyTorch 1.13 reads as batched (N, C, L)) loses whole rows,
// and a [C] sample single values. The masks come from the model's random generator (backward.hpp),
// not PyTorch's.
//
//     using D = typenet::Dropout2d<"0.2">;   // nn.Dropout2d(0.2)
//     static_assert(D::p == 0.2 && D::infer({64, 7, 7}).output == typenet::shape{64, 7, 7});
#pragma once

#include <cstddef>
#include <string_view>

#include "../detail/fixed_string.hpp"
#include "../detail/identity_at_inference.hpp"

namespace typenet {

template <detail::fixed_string P = "0.5">
struct Dropout2d : detail::group_dropout<Dropout2d<P>, P> {
    static constexpr std::string_view type_name = "Dropout2d";

    // Training (detail::group_dropout): the values of one channel, [C, ...] seen as [C, rest], drawn at once.
    static constexpr std::size_t group_size(shape in, std::size_t) { return in.numel() / in[0]; }
};

}  // namespace typenet
