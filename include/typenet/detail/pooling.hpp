// The shape rule shared by MaxPool2d and AvgPool2d.
#pragma once

#include <cstddef>

#include "../layer.hpp"
#include "kernels.hpp"

namespace typenet::detail {

struct window2d {
    std::size_t window_h, window_w;        // dilation included
    std::size_t stride_h, stride_w;
    std::size_t padding_h, padding_w;
    std::size_t max_padding_h, max_padding_w;  // PyTorch: at most half of the (effective) kernel
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

}  // namespace typenet::detail
