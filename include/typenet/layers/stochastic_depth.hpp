// StochasticDepth: the identity at inference, like torchvision.ops.StochasticDepth(p, mode) in
// eval() mode (in training it drops whole samples, mode "row", or the whole batch, mode "batch",
// of a residual branch). Both arguments are required, as in torchvision, and checked as it does.
//
//     using S = typenet::StochasticDepth<"0.2", "row">;   // torchvision.ops.StochasticDepth(0.2, "row")
//     static_assert(S::p == 0.2 && S::mode == "row" && S::state.size() == 0);
#pragma once

#include <string_view>

#include "../detail/fixed_string.hpp"
#include "../detail/identity_at_inference.hpp"

namespace typenet {

template <detail::fixed_string P, detail::fixed_string Mode>
struct StochasticDepth : detail::identity_at_inference<StochasticDepth<P, Mode>, P> {
    static_assert(Mode.view() == "row" || Mode.view() == "batch",
                  "StochasticDepth: mode is \"row\" or \"batch\", as in torchvision");
    static constexpr std::string_view type_name = "StochasticDepth";
    static constexpr std::string_view mode = Mode.view();
};

}  // namespace typenet
