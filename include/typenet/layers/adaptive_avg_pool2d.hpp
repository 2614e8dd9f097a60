// AdaptiveAvgPool2d: averages over windows chosen to give a fixed output size, like
// nn.AdaptiveAvgPool2d. Output cell i covers inputs [floor(i*in/out), ceil((i+1)*in/out)), so
// 7 -> 4 uses windows [0,2) [1,4) [3,6) [5,7).
//
//     using P1 = typenet::AdaptiveAvgPool2d<4>;      // nn.AdaptiveAvgPool2d((4, 4))
//     using P2 = typenet::AdaptiveAvgPool2d<1, 3>;   // nn.AdaptiveAvgPool2d((1, 3))
//     static_assert(typenet::AdaptiveAvgPool2d<4>::infer({128, 7, 7}).output == typenet::shape{128, 4, 4});
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "../layer.hpp"

namespace typenet {

template <std::size_t OutH, std::size_t OutW = OutH>
struct AdaptiveAvgPool2d {
    static_assert(OutH >= 1 && OutW >= 1, "AdaptiveAvgPool2d: the output size must be at least 1");
    static constexpr std::size_t output_h = OutH, output_w = OutW;

    static constexpr std::string_view type_name = "AdaptiveAvgPool2d";
    static constexpr bool sample_wise = true;
    static constexpr std::array<state_spec, 0> state{};

    static constexpr shape_check infer(shape in) {
        if (in.rank != 3) return fail(shape_error::rule::input_rank, 3, in.rank);
        return {shape{in[0], OutH, OutW}};
    }

    static constexpr std::size_t window_start(std::size_t i, std::size_t out, std::size_t in) { return i * in / out; }
    static constexpr std::size_t window_end(std::size_t i, std::size_t out, std::size_t in) {
        return ((i + 1) * in + out - 1) / out;
    }

    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<AdaptiveAvgPool2d, T>, const T* in, T* out) {
        constexpr std::size_t H = In[1], W = In[2];
        for (std::size_t plane = 0; plane < N * In[0]; ++plane) {
            const T* x = in + plane * H * W;
            T* y = out + plane * OutH * OutW;
            for (std::size_t oh = 0; oh < OutH; ++oh) {
                const std::size_t h0 = window_start(oh, OutH, H), h1 = window_end(oh, OutH, H);
                for (std::size_t ow = 0; ow < OutW; ++ow) {
                    const std::size_t w0 = window_start(ow, OutW, W), w1 = window_end(ow, OutW, W);
                    T sum = 0;
                    for (std::size_t ih = h0; ih < h1; ++ih)
                        for (std::size_t iw = w0; iw < w1; ++iw) sum += x[ih * W + iw];
                    y[oh * OutW + ow] = sum / T((h1 - h0) * (w1 - w0));
                }
            }
        }
    }
};

}  // namespace typenet
