// ReLU: max(x, 0) elementwise, like nn.ReLU (NaN stays NaN).
//
//     using Block = typenet::Sequential<typenet::Linear<8, 8>, typenet::ReLU>;
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "../layer.hpp"

namespace typenet {

struct ReLU {
    static constexpr std::string_view type_name = "ReLU";
    static constexpr std::array<state_spec, 0> state{};
    static constexpr bool in_place = true;
    static constexpr bool sample_wise = true;

    static constexpr shape_check infer(shape in) { return {in}; }

    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<ReLU, T>, const T* in, T* out) {
        for (std::size_t i = 0; i < N * In.numel(); ++i) out[i] = in[i] < T(0) ? T(0) : in[i];
    }
};

}  // namespace typenet
