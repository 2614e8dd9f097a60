// Pieces shared by the 1-d and adaptive pools: the shape rule of MaxPool1d and AvgPool1d, in
// each layer's own words; the shape [C, 1, L] under which 1-d layers run 2-d kernels; PyTorch's
// NaN-propagating maximum.
#pragma once

#include <cstddef>
#include <string_view>

#include "../../layer.hpp"
#include "common.hpp"

namespace typenet::detail {

struct window1d {
    std::size_t kernel, window;  // window: dilation included
    std::size_t stride, padding;
    bool ceil_mode;
};

struct pool1d_messages {
    std::string_view rank, padding, empty;
};

// PyTorch's rules: padding at most half of kernel_size (without the dilation, as max_pool1d checks
// it), and at least one output value.
constexpr shape_check pool1d_infer(shape in, const window1d& w, const pool1d_messages& says) {
    if (in.rank != 2) return fail(says.rank, 2, in.rank);
    if (w.padding > w.kernel / 2) return fail(says.padding, w.padding, w.kernel / 2);
    const long long length = window_output_size((long long)in[1], (long long)w.window, (long long)w.stride,
                                                (long long)w.padding, w.ceil_mode);
    if (length < 1) return fail(says.empty, w.window, in[1] + 2 * w.padding);
    return {shape{in[0], std::size_t(length)}};
}

// [C, L] as the [C, 1, L] image a 2-d layer's kernel takes: the same values in the same order.
constexpr shape as_image(shape in) { return shape{in[0], 1, in[1]}; }

// max(value, best) that keeps a NaN in best (the maximum so far) or takes one from value:
// PyTorch's `if (val > maxval || isnan(val)) maxval = val`.
template <class T>
[[gnu::always_inline]] inline T nan_max(T value, T best) {
    return (value > best || value != value) ? value : best;
}

}  // namespace typenet::detail
