// Dropout1d: like nn.Dropout1d(p=0.5). The identity in eval() mode; in train() mode (trainable.hpp)
// each channel is zeroed with probability p and the others scaled by 1 / (1 - p). PyTorch takes
// (N, C) or (N, C, L) only, so typenet takes a per-sample [C] or [C, L]. As PyTorch 1.13, which
// reads a 2-D (N, C) as one unbatched (C, L), a [C] sample is one channel: it is zeroed or kept
// whole. The masks come from the model's random generator (backward.hpp), not PyTorch's.
//
//     using D = typenet::Dropout1d<"0.3">;   // nn.Dropout1d(0.3)
//     static_assert(D::p == 0.3 && typenet::Dropout1d<>::p == 0.5);
//     static_assert(D::infer({16, 20}).ok() && !D::infer({16, 4, 5}).ok());
#pragma once

#include <cstddef>
#include <string_view>

#include "../detail/fixed_string.hpp"
#include "../detail/identity_at_inference.hpp"
#include "../layer.hpp"

namespace typenet {

template <detail::fixed_string P = "0.5">
struct Dropout1d : detail::group_dropout<Dropout1d<P>, P> {
    static constexpr std::string_view type_name = "Dropout1d";
    static constexpr shape_check infer(shape in) {
        if (in.rank != 1 && in.rank != 2)
            return fail("Dropout1d: takes [C] or [C, L] per sample, (N, C) or (N, C, L) with the batch, as PyTorch "
                        "(first number: 2, the largest rank it takes; second: the rank it gets). For images use "
                        "Dropout2d.",
                        2, in.rank);
        return {in};
    }

    // Training (detail::group_dropout): a channel of [C, L] is drawn at once, a [C] sample whole.
    static constexpr std::size_t group_size(shape in, std::size_t) { return in.rank == 1 ? in[0] : in[1]; }
};

}  // namespace typenet
