// Small pieces shared by the reference kernels of several layers.
#pragma once

#include <cstddef>

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
// padding at the end of each (ToStride > Rows) is zeroed. In tiles, so both sides stay in cache.
template <class T, std::size_t Rows, std::size_t Cols, std::size_t ToStride>
inline void to_columns(const T* __restrict from, T* __restrict to) {
    constexpr std::size_t tile = 16;
    for (std::size_t r0 = 0; r0 < Rows; r0 += tile)
        for (std::size_t c0 = 0; c0 < Cols; c0 += tile)
            for (std::size_t c = c0; c < c0 + tile && c < Cols; ++c)
                for (std::size_t r = r0; r < r0 + tile && r < Rows; ++r) to[c * ToStride + r] = from[r * Cols + c];
    for (std::size_t c = 0; c < Cols; ++c)
        for (std::size_t r = Rows; r < ToStride; ++r) to[c * ToStride + r] = T(0);
}

// The way back: out[r][c] = from[c][r] for the first `rows` columns of a Cols x Stride matrix.
template <class T, std::size_t Cols, std::size_t Stride>
inline void from_columns(const T* __restrict from, T* __restrict out, std::size_t rows) {
    constexpr std::size_t tile = 16;
    for (std::size_t r0 = 0; r0 < rows; r0 += tile)
        for (std::size_t c0 = 0; c0 < Cols; c0 += tile)
            for (std::size_t r = r0; r < r0 + tile && r < rows; ++r)
                for (std::size_t c = c0; c < c0 + tile && c < Cols; ++c) out[r * Cols + c] = from[c * Stride + r];
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
