// AvgPool2d: the mean of each window, like nn.AvgPool2d (stride defaults to the kernel size).
//
//     using P1 = typenet::AvgPool2d<2>;                                    // nn.AvgPool2d(2)
//     using P2 = typenet::AvgPool2d<3, typenet::stride<2>, typenet::padding<1>, typenet::ceil_mode<true>,
//                                   typenet::count_include_pad<false>, typenet::divisor_override<4>>;
//     static_assert(typenet::AvgPool2d<2>::infer({8, 7, 7}).output == typenet::shape{8, 3, 3});
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>

#include "../backward.hpp"
#include "../detail/kernels/pooling.hpp"
#include "../detail/kernels/pooling_backward.hpp"
#include "../layer.hpp"
#include "../options.hpp"
#include "conv2d.hpp"  // size2

namespace typenet {

template <size2 KernelSize, class... Options>
struct AvgPool2d {
    static_assert(options_accepted<void(option_kind::stride, option_kind::padding, option_kind::ceil_mode,
                                        option_kind::count_include_pad, option_kind::divisor_override),
                                   Options...>,
                  "AvgPool2d takes the options stride<>, padding<>, ceil_mode<>, count_include_pad<> and "
                  "divisor_override<>, each at most once");
    using stride_type = option_t<option_kind::stride, stride<KernelSize.h, KernelSize.w>, Options...>;
    using padding_type = option_t<option_kind::padding, padding<0>, Options...>;
    static constexpr std::size_t kernel_h = KernelSize.h, kernel_w = KernelSize.w;
    static constexpr std::size_t stride_h = stride_type::h, stride_w = stride_type::w;
    static constexpr std::size_t padding_h = padding_type::h, padding_w = padding_type::w;
    static constexpr bool ceil_mode = option_t<option_kind::ceil_mode, typenet::ceil_mode<false>, Options...>::value;
    static constexpr bool count_include_pad =
        option_t<option_kind::count_include_pad, typenet::count_include_pad<true>, Options...>::value;
    // 0: divide by the window size (PyTorch's None).
    static constexpr std::size_t divisor_override =
        option_t<option_kind::divisor_override, value_option<option_kind::divisor_override, std::size_t(0)>,
                 Options...>::value;
    static_assert(kernel_h >= 1 && kernel_w >= 1, "AvgPool2d: the kernel size must be at least 1");
    static_assert(stride_h >= 1 && stride_w >= 1, "AvgPool2d: the stride must be at least 1");
    static_assert(!detail::count_of_kind<option_kind::divisor_override, Options...> || divisor_override >= 1,
                  "AvgPool2d: divisor_override must be at least 1");

    static constexpr std::string_view type_name = "AvgPool2d";
    static constexpr bool sample_wise = true;
    static constexpr std::array<state_spec, 0> state{};

    static constexpr shape_check infer(shape in) {
        return detail::pool2d_infer(in, {kernel_h, kernel_w, stride_h, stride_w, padding_h, padding_w, kernel_h / 2,
                                         kernel_w / 2, ceil_mode});
    }

    // As PyTorch: windows are clipped to the padded input for the divisor, then to the input for
    // the sum; count_include_pad chooses between the two sizes.
    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<AvgPool2d, T>, const T* in, T* out) {
        constexpr shape Out = infer(In).output;
        constexpr long long H = In[1], W = In[2], OH = Out[1], OW = Out[2];
        for (std::size_t plane = 0; plane < N * In[0]; ++plane) {
            const T* x = in + plane * H * W;
            T* y = out + plane * OH * OW;
            for (long long oh = 0; oh < OH; ++oh) {
                for (long long ow = 0; ow < OW; ++ow) {
                    long long divisor = 0;
                    const detail::pool_window w = window<H, W>(oh, ow, divisor);
                    if (divisor == 0) {
                        y[oh * OW + ow] = T(0);
                        continue;
                    }
                    T sum = 0;
                    for (long long ih = w.h0; ih < w.h1; ++ih)
                        for (long long iw = w.w0; iw < w.w1; ++iw) sum += x[ih * W + iw];
                    y[oh * OW + ow] = sum / T(divisor);
                }
            }
        }
    }

    // The input values output (oh, ow) averages, clipped to the input, and what their sum is divided
    // by (0 for a window wholly in the padding, whose output is 0).
    template <long long H, long long W>
    static constexpr detail::pool_window window(long long oh, long long ow, long long& divisor) {
        long long h0 = oh * (long long)stride_h - (long long)padding_h;
        long long w0 = ow * (long long)stride_w - (long long)padding_w;
        long long h1 = std::min(h0 + (long long)kernel_h, H + (long long)padding_h);
        long long w1 = std::min(w0 + (long long)kernel_w, W + (long long)padding_w);
        const long long padded_size = (h1 - h0) * (w1 - w0);
        h0 = std::max(h0, 0LL);
        w0 = std::max(w0, 0LL);
        h1 = std::min(h1, H);
        w1 = std::min(w1, W);
        divisor = h0 >= h1 || w0 >= w1 ? 0
                  : divisor_override   ? (long long)divisor_override
                  : count_include_pad  ? padded_size
                                       : (h1 - h0) * (w1 - w0);
        return {h0, h1, 1, w0, w1, 1};
    }

    // Training (backward.hpp): each output's gradient, divided by the forward's divisor, goes to
    // every input value its sum read.
    template <class T, shape In, std::size_t N>
    static void backward(const backward_pass<AvgPool2d, T>& p) {
        if (!p.grad_in) return;
        constexpr shape Out = infer(In).output;
        static constexpr long long H = In[1], W = In[2];  // static: std::min takes references
        detail::avg_pool_backward<T, H, W, (long long)Out[1], (long long)Out[2]>(
            N * In[0], p.grad_out, p.grad_in,
            [](long long oh, long long ow, long long& divisor) { return window<H, W>(oh, ow, divisor); });
    }
};

}  // namespace typenet
