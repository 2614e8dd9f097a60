// AdaptiveMaxPool1d: the maximum over windows chosen to give a fixed output length, like
// nn.AdaptiveMaxPool1d: output i covers inputs [floor(i*in/out), ceil((i+1)*in/out)); NaN
// propagates. PyTorch computes it as adaptive_max_pool2d to [1, out] over [C, 1, L], and so does
// this layer, with AdaptiveMaxPool2d's kernel. return_indices is not supported.
//
//     using P = typenet::AdaptiveMaxPool1d<4>;   // nn.AdaptiveMaxPool1d(4)
//     static_assert(P::infer({16, 7}).output == typenet::shape{16, 4});
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "../detail/kernels/pooling1d.hpp"
#include "../layer.hpp"
#include "adaptive_max_pool2d.hpp"

namespace typenet {

template <std::size_t OutL>
struct AdaptiveMaxPool1d {
    static_assert(OutL >= 1, "AdaptiveMaxPool1d: the output size must be at least 1");
    static constexpr std::size_t output_size = OutL;
    using adaptive_max_pool2d = AdaptiveMaxPool2d<1, OutL>;

    static constexpr std::string_view type_name = "AdaptiveMaxPool1d";
    static constexpr bool sample_wise = true;
    static constexpr std::array<state_spec, 0> state{};

    static constexpr shape_check infer(shape in) {
        if (in.rank != 2)
            return fail("AdaptiveMaxPool1d: takes a per-sample input [C, L] of rank 2 (first number), the input "
                        "has another rank (second number; the batch dimension is not counted). Use "
                        "AdaptiveMaxPool2d for images.",
                        2, in.rank);
        return {shape{in[0], OutL}};
    }

    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<AdaptiveMaxPool1d, T>, const T* in, T* out) {
        adaptive_max_pool2d::template propagate<T, detail::as_image(In), N>({nullptr}, in, out);
    }
    // Training (backward.hpp): the 2-d layer's backward pass over [C, 1, L].
    template <class T, shape In, std::size_t N>
    static void backward(const backward_pass<AdaptiveMaxPool1d, T>& p) {
        adaptive_max_pool2d::template backward<T, detail::as_image(In), N>(
            {{nullptr}, {}, p.in, p.out, p.grad_out, p.grad_in, p.saved, p.scratch, p.training});
    }
};

}  // namespace typenet
