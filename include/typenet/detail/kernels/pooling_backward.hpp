// Backward passes of the pooling layers (backward.hpp), for every plane of [planes, H, W]: each
// output's gradient goes back to its window, which each layer describes by its rows and columns
// clipped to the input, as PyTorch's CPU kernels do. Windows that overlap add up. Plain loops:
// a training step's pools are small next to the convolutions around them.
#pragma once

#include <algorithm>
#include <cstddef>
#include <limits>

namespace typenet::detail {

// One output's window: rows [h0, h1) every dh, columns [w0, w1) every dw, inside the input.
struct pool_window {
    long long h0, h1, dh, w0, w1, dw;
};

// dL/dx of a max pool: each output's gradient to the first maximum of its window in scan order
// (rows, then columns), or to its last NaN, as PyTorch's indices (`val > maxval || isnan(val)`,
// from -inf; a window of -inf only keeps its first position).
template <class T, long long H, long long W, long long OH, long long OW, class Window>
inline void max_pool_backward(std::size_t planes, const T* in, const T* grad_out, T* grad_in, Window window_of) {
    std::fill_n(grad_in, planes * std::size_t(H * W), T(0));
    for (std::size_t plane = 0; plane < planes; ++plane) {
        const T* x = in + plane * std::size_t(H * W);
        const T* dy = grad_out + plane * std::size_t(OH * OW);
        T* dx = grad_in + plane * std::size_t(H * W);
        for (long long oh = 0; oh < OH; ++oh)
            for (long long ow = 0; ow < OW; ++ow) {
                const pool_window w = window_of(oh, ow);
                long long best_at = w.h0 * W + w.w0;
                T best = -std::numeric_limits<T>::infinity();
                for (long long ih = w.h0; ih < w.h1; ih += w.dh)
                    for (long long iw = w.w0; iw < w.w1; iw += w.dw) {
                        const T v = x[ih * W + iw];
                        if (v > best || v != v) {
                            best = v;
                            best_at = ih * W + iw;
                        }
                    }
                dx[best_at] += dy[oh * OW + ow];
            }
    }
}

// dL/dx of an average pool: each output's gradient divided by its divisor, to every value of its
// window (window_of gives the window and the divisor; a divisor of 0 marks an empty window).
template <class T, long long H, long long W, long long OH, long long OW, class Window>
inline void avg_pool_backward(std::size_t planes, const T* grad_out, T* grad_in, Window window_of) {
    std::fill_n(grad_in, planes * std::size_t(H * W), T(0));
    for (std::size_t plane = 0; plane < planes; ++plane) {
        const T* dy = grad_out + plane * std::size_t(OH * OW);
        T* dx = grad_in + plane * std::size_t(H * W);
        for (long long oh = 0; oh < OH; ++oh)
            for (long long ow = 0; ow < OW; ++ow) {
                long long divisor = 0;
                const pool_window w = window_of(oh, ow, divisor);
                if (divisor == 0) continue;
                const T share = dy[oh * OW + ow] / T(divisor);
                for (long long ih = w.h0; ih < w.h1; ++ih)
                    for (long long iw = w.w0; iw < w.w1; ++iw) dx[ih * W + iw] += share;
            }
    }
}

// The window of output (oh, ow) of a strided, padded, dilated max pool, as PyTorch clips it: the
// end at the input's, the start moved past the padding by whole dilations.
constexpr pool_window strided_max_window(long long oh, long long ow, long long H, long long W, long long kh,
                                         long long kw, long long sh, long long sw, long long ph, long long pw,
                                         long long dh, long long dw) {
    long long h0 = oh * sh - ph, w0 = ow * sw - pw;
    const long long h1 = std::min(h0 + (kh - 1) * dh + 1, H), w1 = std::min(w0 + (kw - 1) * dw + 1, W);
    while (h0 < 0) h0 += dh;
    while (w0 < 0) w0 += dw;
    return {h0, h1, dh, w0, w1, dw};
}

}  // namespace typenet::detail
