// AdaptiveMaxPool2d: the maximum over windows chosen to give a fixed output size, like
// nn.AdaptiveMaxPool2d: output cell i covers inputs [floor(i*in/out), ceil((i+1)*in/out)) in each
// dimension, so 7 -> 4 uses windows [0,2) [1,4) [3,6) [5,7). A NaN in a window gives NaN, as in
// PyTorch. return_indices is not supported (typenet layers have one output), nor None in the
// output size.
//
//     using P1 = typenet::AdaptiveMaxPool2d<4>;      // nn.AdaptiveMaxPool2d((4, 4))
//     using P2 = typenet::AdaptiveMaxPool2d<1, 3>;   // nn.AdaptiveMaxPool2d((1, 3))
//     static_assert(P1::infer({128, 7, 7}).output == typenet::shape{128, 4, 4});
#pragma once

#include <array>
#include <cstddef>
#include <limits>
#include <string_view>

#include "../backward.hpp"
#include "../detail/kernels/pooling1d.hpp"  // nan_max
#include "../detail/kernels/pooling_backward.hpp"
#include "../layer.hpp"

namespace typenet {

namespace detail {
// PyTorch's adaptive windows: output i of `out` covers inputs [start, end) of `in`.
struct adaptive_window {
    std::size_t start, end;
};
template <std::size_t In, std::size_t Out>
inline constexpr auto adaptive_windows = [] {
    std::array<adaptive_window, Out> windows{};
    for (std::size_t i = 0; i < Out; ++i) windows[i] = {i * In / Out, ((i + 1) * In + Out - 1) / Out};
    return windows;
}();
}  // namespace detail

template <std::size_t OutH, std::size_t OutW = OutH>
struct AdaptiveMaxPool2d {
    static_assert(OutH >= 1 && OutW >= 1, "AdaptiveMaxPool2d: the output size must be at least 1");
    static constexpr std::size_t output_h = OutH, output_w = OutW;

    static constexpr std::string_view type_name = "AdaptiveMaxPool2d";
    static constexpr bool sample_wise = true;
    static constexpr std::array<state_spec, 0> state{};

    static constexpr shape_check infer(shape in) {
        if (in.rank != 3)
            return fail("AdaptiveMaxPool2d: takes a per-sample input [C, H, W] of rank 3 (first number), the input "
                        "has another rank (second number; the batch dimension is not counted). Use "
                        "AdaptiveMaxPool1d for [C, L].",
                        3, in.rank);
        return {shape{in[0], OutH, OutW}};
    }

    // Per output row: the maxima of its input rows column by column (contiguous, vectorisable),
    // then of each output column's window of those.
    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<AdaptiveMaxPool2d, T>, const T* in, T* out) {
        constexpr std::size_t H = In[1], W = In[2];
        constexpr auto rows_of = detail::adaptive_windows<H, OutH>;
        constexpr auto columns_of = detail::adaptive_windows<W, OutW>;
        for (std::size_t plane = 0; plane < N * In[0]; ++plane) {
            const T* x = in + plane * H * W;
            T* y = out + plane * OutH * OutW;
            for (std::size_t oh = 0; oh < OutH; ++oh) {
                T rows[W];
                for (std::size_t w = 0; w < W; ++w) rows[w] = x[rows_of[oh].start * W + w];
                for (std::size_t h = rows_of[oh].start + 1; h < rows_of[oh].end; ++h)
                    for (std::size_t w = 0; w < W; ++w) rows[w] = detail::nan_max(x[h * W + w], rows[w]);
                for (std::size_t ow = 0; ow < OutW; ++ow) {
                    T best = rows[columns_of[ow].start];
                    for (std::size_t w = columns_of[ow].start + 1; w < columns_of[ow].end; ++w)
                        best = detail::nan_max(rows[w], best);
                    y[oh * OutW + ow] = best;
                }
            }
        }
    }

    // Training (backward.hpp): each output's gradient goes to its window's maximum (PyTorch's
    // choice among ties and NaN: detail/kernels/pooling_backward.hpp).
    template <class T, shape In, std::size_t N>
    static void backward(const backward_pass<AdaptiveMaxPool2d, T>& p) {
        if (!p.grad_in) return;
        constexpr std::size_t H = In[1], W = In[2];
        detail::max_pool_backward<T, (long long)H, (long long)W, OutH, OutW>(
            N * In[0], p.in, p.grad_out, p.grad_in, [](long long oh, long long ow) {
                constexpr auto rows_of = detail::adaptive_windows<H, OutH>;
                constexpr auto columns_of = detail::adaptive_windows<W, OutW>;
                return detail::pool_window{(long long)rows_of[oh].start, (long long)rows_of[oh].end, 1,
                                           (long long)columns_of[ow].start, (long long)columns_of[ow].end, 1};
            });
    }
};

}  // namespace typenet
