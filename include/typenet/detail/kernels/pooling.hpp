// The shape rule shared by MaxPool2d and AvgPool2d, and the vectorised max pooling of a plane.
#pragma once

#include <cstddef>
#include <utility>

#include "../../layer.hpp"
#include "common.hpp"
#include "simd.hpp"

namespace typenet::detail {

struct window2d {
    std::size_t window_h, window_w;        // dilation included
    std::size_t stride_h, stride_w;
    std::size_t padding_h, padding_w;
    std::size_t max_padding_h, max_padding_w;  // PyTorch: at most half of the kernel size (without dilation)
    bool ceil_mode;
};

constexpr shape_check pool2d_infer(shape in, const window2d& w) {
    using shape_error::rule;
    if (in.rank != 3) return fail(rule::input_rank, 3, in.rank);
    if (w.padding_h > w.max_padding_h) return fail(rule::padding_height, w.padding_h, w.max_padding_h);
    if (w.padding_w > w.max_padding_w) return fail(rule::padding_width, w.padding_w, w.max_padding_w);
    const long long oh = window_output_size((long long)in[1], (long long)w.window_h, (long long)w.stride_h,
                                            (long long)w.padding_h, w.ceil_mode);
    const long long ow = window_output_size((long long)in[2], (long long)w.window_w, (long long)w.stride_w,
                                            (long long)w.padding_w, w.ceil_mode);
    if (oh < 1) return fail(rule::kernel_height, w.window_h, in[1] + 2 * w.padding_h);
    if (ow < 1) return fail(rule::kernel_width, w.window_w, in[2] + 2 * w.padding_w);
    return {shape{in[0], std::size_t(oh), std::size_t(ow)}};
}

// The larger of a running maximum and a new value, NaN winning, as PyTorch's max pooling; for
// scalars and vectors alike.
template <class V>
[[gnu::always_inline]] inline V max_propagating_nan(V best, V v) {
    return ((v > best) | (v != v)) ? v : best;  // `|`, not `||`: a select, not a branch on data
}

// The even lanes of a then b, and the odd ones.
template <class V, std::size_t... I>
[[gnu::always_inline]] inline V even_lanes(V a, V b, std::index_sequence<I...>) {
    return __builtin_shufflevector(a, b, (2 * I)...);
}
template <class V, std::size_t... I>
[[gnu::always_inline]] inline V odd_lanes(V a, V b, std::index_sequence<I...>) {
    return __builtin_shufflevector(a, b, (2 * I + 1)...);
}
template <class V>
[[gnu::always_inline]] inline V even_lanes(V a, V b) {
    return even_lanes(a, b, std::make_index_sequence<sizeof(V) / sizeof(a[0])>{});
}
template <class V>
[[gnu::always_inline]] inline V odd_lanes(V a, V b) {
    return odd_lanes(a, b, std::make_index_sequence<sizeof(V) / sizeof(a[0])>{});
}

// Max pooling of one H x W plane, windows inside the plane (no padding, no dilation).
template <class T, std::size_t H, std::size_t W, std::size_t KH, std::size_t KW, std::size_t SH, std::size_t SW>
[[gnu::always_inline]] inline void max_pool_plane(const T* plane, T* out) {
    constexpr std::size_t OH = (H - KH) / SH + 1, OW = (W - KW) / SW + 1;
    if constexpr (KH == 2 && KW == 2 && SH == 2 && SW == 2 && W % 2 == 0) {
        // The usual 2x2 window, in vectors and without a branch on the data (NaN checks as
        // branches would cost more than the pooling). Pairs of columns never straddle rows (W is
        // even), so the plane is maxed pairwise as one flat run (even and odd lanes separated by
        // shuffles), then pairs of those half rows. Vectors read up to 2 vectors past the plane
        // (the caller's buffer allows it); a vector that would end past the output plane is stored
        // element by element, up to the end of its row.
        using S = simd<T>;
        using V = typename S::type;
        constexpr std::size_t L = S::lanes, pairs = H * W / 2;
        alignas(64) T half[round_up(pairs, L) + L];
        for (std::size_t k = 0; k < pairs; k += L) {
            const V a = S::load(plane + 2 * k), b = S::load(plane + 2 * k + L);
            S::store(half + k, max_propagating_nan(even_lanes(a, b), odd_lanes(a, b)));
        }
        for (std::size_t oh = 0; oh < OH; ++oh) {
            const T* top = half + 2 * oh * OW;
            for (std::size_t ow = 0; ow < OW; ow += L) {
                const V m = max_propagating_nan(S::load(top + ow), S::load(top + OW + ow));
                if (oh * OW + ow + L <= OH * OW) {
                    S::store(out + oh * OW + ow, m);  // past the row: the next rows overwrite it
                } else {
                    for (std::size_t l = 0; l < OW - ow && l < L; ++l) out[oh * OW + ow + l] = m[l];
                }
            }
        }
    } else {
        for (std::size_t oh = 0; oh < OH; ++oh)
            for (std::size_t ow = 0; ow < OW; ++ow) {
                T best = plane[oh * SH * W + ow * SW];
                for (std::size_t i = 0; i < KH; ++i)
                    for (std::size_t j = 0; j < KW; ++j)
                        best = max_propagating_nan(best, plane[(oh * SH + i) * W + ow * SW + j]);
                out[oh * OW + ow] = best;
            }
    }
}

// simd<T>::lanes values of a row, Stride apart.
template <class T, std::size_t Stride>
[[gnu::always_inline]] inline typename simd<T>::type load_strided(const T* p) {
    using S = simd<T>;
    if constexpr (Stride == 1) {
        return S::load(p);
    } else if constexpr (Stride == 2) {
        return even_lanes(S::load(p), S::load(p + S::lanes));
    } else {
        typename S::type v;
        for (std::size_t l = 0; l < S::lanes; ++l) v[l] = p[l * Stride];
        return v;
    }
}

}  // namespace typenet::detail
