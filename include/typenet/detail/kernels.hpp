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
