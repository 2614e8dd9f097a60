// StochasticDepth: like torchvision.ops.StochasticDepth(p, mode). The identity in eval() mode; in
// train() mode (trainable.hpp) it zeroes whole samples, mode "row", or the whole batch of a
// forward pass, mode "batch", with probability p, and scales the survivors by 1 / (1 - p) (a
// residual branch dropped). Both arguments are required, as in torchvision, and checked as it
// does. The masks come from the model's random generator (backward.hpp), not PyTorch's.
//
//     using S = typenet::StochasticDepth<"0.2", "row">;   // torchvision.ops.StochasticDepth(0.2, "row")
//     static_assert(S::p == 0.2 && S::mode == "row" && S::state.size() == 0);
#pragma once

#include <cstddef>
#include <string_view>

#include "../detail/fixed_string.hpp"
#include "../detail/identity_at_inference.hpp"

namespace typenet {

template <detail::fixed_string P, detail::fixed_string Mode>
struct StochasticDepth : detail::group_dropout<StochasticDepth<P, Mode>, P> {
    static_assert(Mode.view() == "row" || Mode.view() == "batch",
                  "StochasticDepth: mode is \"row\" or \"batch\", as in torchvision");
    static constexpr std::string_view type_name = "StochasticDepth";
    static constexpr std::string_view mode = Mode.view();

    // Training (detail::group_dropout): one draw per sample ("row") or for the n samples ("batch").
    static constexpr std::size_t group_size(shape in, std::size_t n) {
        return mode == "row" ? in.numel() : n * in.numel();
    }
};

}  // namespace typenet
