// Identity: passes its input through, like nn.Identity (a placeholder that keeps positions).
//
//     using Net = typenet::Sequential<typenet::Identity, typenet::Linear<4, 2>>;  // keys 1.weight, 1.bias
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "../detail/kernels/common.hpp"
#include "../backward.hpp"
#include "../layer.hpp"

namespace typenet {

struct Identity {
    static constexpr std::string_view type_name = "Identity";
    static constexpr std::array<state_spec, 0> state{};
    static constexpr bool in_place = true;
    static constexpr bool sample_wise = true;
    static constexpr bool value_preserving = true;  // a chain skips it (detail/chain.hpp)
    static constexpr bool stepwise = true;          // the identity on each time step too (stream.hpp)

    static constexpr shape_check infer(shape in) { return {in}; }

    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<Identity, T>, const T* in, T* out) {
        detail::copy_if_distinct(in, out, N * In.numel());
    }
    template <class T, shape In, std::size_t N>
    static void backward(const backward_pass<Identity, T>& p) {  // training (backward.hpp): the same copy
        if (p.grad_in) detail::copy_if_distinct(p.grad_out, p.grad_in, N * In.numel());
    }
};

}  // namespace typenet
