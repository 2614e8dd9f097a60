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
#include <utility>

#include "../backward.hpp"
#include "../detail/kernels/pooling_backward.hpp"
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

    // Per plane: the sums of each output row's input rows (contiguous, vectorisable), then of each
    // output column's columns of those; every window bound is a compile-time constant.
    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<AdaptiveAvgPool2d, T>, const T* in, T* out) {
        constexpr std::size_t H = In[1], W = In[2];
        for (std::size_t plane = 0; plane < N * In[0]; ++plane) {
            const T* x = in + plane * H * W;
            T* y = out + plane * OutH * OutW;
            [&]<std::size_t... OH>(std::index_sequence<OH...>) {
                (pool_row<T, H, W, OH>(x, y + OH * OutW), ...);
            }(std::make_index_sequence<OutH>{});
        }
    }

    // Training (backward.hpp): each output's gradient, divided by its window's size, goes to every
    // value of the window (windows overlap when the sizes do not divide).
    template <class T, shape In, std::size_t N>
    static void backward(const backward_pass<AdaptiveAvgPool2d, T>& p) {
        if (!p.grad_in) return;
        constexpr long long H = In[1], W = In[2];
        detail::avg_pool_backward<T, H, W, OutH, OutW>(
            N * In[0], p.grad_out, p.grad_in, [](long long oh, long long ow, long long& divisor) {
                const long long h0 = (long long)window_start(std::size_t(oh), OutH, H);
                const long long h1 = (long long)window_end(std::size_t(oh), OutH, H);
                const long long w0 = (long long)window_start(std::size_t(ow), OutW, W);
                const long long w1 = (long long)window_end(std::size_t(ow), OutW, W);
                divisor = (h1 - h0) * (w1 - w0);
                return detail::pool_window{h0, h1, 1, w0, w1, 1};
            });
    }

private:
    template <class T, std::size_t H, std::size_t W, std::size_t OH>
    [[gnu::always_inline]] static void pool_row(const T* x, T* y) {
        constexpr std::size_t h0 = window_start(OH, OutH, H), h1 = window_end(OH, OutH, H);
        T rows[W];
        for (std::size_t w = 0; w < W; ++w) rows[w] = x[h0 * W + w];
        for (std::size_t h = h0 + 1; h < h1; ++h)
            for (std::size_t w = 0; w < W; ++w) rows[w] += x[h * W + w];
        [&]<std::size_t... OW>(std::index_sequence<OW...>) {
            ((y[OW] = window_sum<T, window_start(OW, OutW, W), window_end(OW, OutW, W)>(rows) /
                      T((h1 - h0) * (window_end(OW, OutW, W) - window_start(OW, OutW, W)))),
             ...);
        }(std::make_index_sequence<OutW>{});
    }
    template <class T, std::size_t Begin, std::size_t End>
    [[gnu::always_inline]] static T window_sum(const T* rows) {
        T sum = rows[Begin];
        for (std::size_t w = Begin + 1; w < End; ++w) sum += rows[w];
        return sum;
    }

public:
};

}  // namespace typenet
