// Small pieces shared by the reference kernels of several layers.
#pragma once

#include <algorithm>
#include <cstddef>

#include "simd.hpp"

namespace typenet::detail {

// For layers that do not change their input: nothing to do in place, a copy otherwise.
template <class T>
inline void copy_if_distinct(const T* in, T* out, std::size_t n) {
    if (in == out) return;
    for (std::size_t i = 0; i < n; ++i) out[i] = in[i];
}

// Copies N values known not to overlap: a loop the compiler unrolls into vector moves, where
// std::copy_n may become a call to memmove for a handful of bytes.
template <std::size_t N, class T>
[[gnu::always_inline]] inline void copy_values(const T* __restrict from, T* __restrict to) {
    for (std::size_t i = 0; i < N; ++i) to[i] = from[i];
}

// to[c][r] = from[r][c] for a Rows x Cols matrix: its columns become rows, ToStride apart; the
// padding at the end of each (ToStride > Rows) is zeroed. Whole blocks of lanes x lanes values
// are transposed in vector registers, the edges value by value.
// Only columns [first, last) when given, `first` a multiple of the lanes (to split the work).
template <class T, std::size_t Rows, std::size_t Cols, std::size_t ToStride>
inline void to_columns(const T* __restrict from, T* __restrict to, std::size_t first = 0, std::size_t last = Cols) {
    using S = simd<T>;
    constexpr std::size_t L = S::lanes, whole_rows = Rows / L * L, whole_cols = Cols / L * L;
    for (std::size_t r0 = 0; r0 < whole_rows; r0 += L)
        for (std::size_t c0 = first; c0 + L <= last && c0 < whole_cols; c0 += L) {
            typename S::type block[L];
            for (std::size_t i = 0; i < L; ++i) block[i] = S::load(from + (r0 + i) * Cols + c0);
            S::transpose(block);
            for (std::size_t i = 0; i < L; ++i) S::store(to + (c0 + i) * ToStride + r0, block[i]);
        }
    const std::size_t blocks_end = std::min(last, whole_cols) / L * L;
    for (std::size_t c = first; c < last; ++c) {
        for (std::size_t r = c < blocks_end ? whole_rows : 0; r < Rows; ++r) to[c * ToStride + r] = from[r * Cols + c];
        for (std::size_t r = Rows; r < ToStride; ++r) to[c * ToStride + r] = T(0);
    }
}

// The way back: out[r][c] = from[c][r] for the first `rows` columns of a Cols x Stride matrix.
template <class T, std::size_t Cols, std::size_t Stride>
inline void from_columns(const T* __restrict from, T* __restrict out, std::size_t rows) {
    using S = simd<T>;
    constexpr std::size_t L = S::lanes, whole_cols = Cols / L * L;
    const std::size_t whole_rows = rows / L * L;
    for (std::size_t r0 = 0; r0 < whole_rows; r0 += L)
        for (std::size_t c0 = 0; c0 < whole_cols; c0 += L) {
            typename S::type block[L];
            for (std::size_t i = 0; i < L; ++i) block[i] = S::load(from + (c0 + i) * Stride + r0);
            S::transpose(block);
            for (std::size_t i = 0; i < L; ++i) S::store(out + (r0 + i) * Cols + c0, block[i]);
        }
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t c = r < whole_rows ? whole_cols : 0; c < Cols; ++c) out[r * Cols + c] = from[c * Stride + r];
}

// Output size of a sliding window (PyTorch's pooling_output_shape): input size, effective window
// (dilation included), stride, padding on each side, ceil_mode. Convolutions use ceil_mode false.
// Zero or negative means the output would be empty.
constexpr long long window_output_size(long long input, long long window, long long stride, long long padding,
                                       bool ceil_mode) {
    const long long numerator = input + 2 * padding - window + (ceil_mode ? stride - 1 : 0);
    long long out = (numerator >= 0 ? numerator / stride : -((-numerator + stride - 1) / stride)) + 1;
    // With ceil_mode, the last window must start inside the input or its left padding.
    if (ceil_mode && (out - 1) * stride >= input + padding) --out;
    return out;
}

}  // namespace typenet::detail
