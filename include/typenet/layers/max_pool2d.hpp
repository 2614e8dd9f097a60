// MaxPool2d: the maximum of each window, like nn.MaxPool2d (stride defaults to the kernel size;
// padding counts as -inf; NaN propagates).
//
//     using P1 = typenet::MaxPool2d<2>;                                    // nn.MaxPool2d(2)
//     using P2 = typenet::MaxPool2d<3, typenet::stride<2>, typenet::padding<1>, typenet::ceil_mode<true>>;
//     static_assert(typenet::MaxPool2d<2>::infer({32, 28, 28}).output == typenet::shape{32, 14, 14});
#pragma once

#include <array>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string_view>

#include "../backward.hpp"
#include "../detail/kernels/pooling.hpp"
#include "../detail/kernels/pooling_backward.hpp"
#include "../layer.hpp"
#include "../options.hpp"
#include "conv2d.hpp"  // size2

namespace typenet {

template <size2 KernelSize, class... Options>
struct MaxPool2d {
    static_assert(options_accepted<void(option_kind::stride, option_kind::padding, option_kind::dilation,
                                        option_kind::ceil_mode),
                                   Options...>,
                  "MaxPool2d takes the options stride<>, padding<>, dilation<> and ceil_mode<>, each at most once");
    using stride_type = option_t<option_kind::stride, stride<KernelSize.h, KernelSize.w>, Options...>;
    using padding_type = option_t<option_kind::padding, padding<0>, Options...>;
    using dilation_type = option_t<option_kind::dilation, dilation<1>, Options...>;
    static constexpr std::size_t kernel_h = KernelSize.h, kernel_w = KernelSize.w;
    static constexpr std::size_t stride_h = stride_type::h, stride_w = stride_type::w;
    static constexpr std::size_t padding_h = padding_type::h, padding_w = padding_type::w;
    static constexpr std::size_t dilation_h = dilation_type::h, dilation_w = dilation_type::w;
    static constexpr bool ceil_mode = option_t<option_kind::ceil_mode, typenet::ceil_mode<false>, Options...>::value;
    static_assert(kernel_h >= 1 && kernel_w >= 1, "MaxPool2d: the kernel size must be at least 1");
    static_assert(stride_h >= 1 && stride_w >= 1, "MaxPool2d: the stride must be at least 1");
    static_assert(dilation_h >= 1 && dilation_w >= 1, "MaxPool2d: the dilation must be at least 1");
    static constexpr std::size_t window_h = dilation_h * (kernel_h - 1) + 1;
    static constexpr std::size_t window_w = dilation_w * (kernel_w - 1) + 1;

    static constexpr std::string_view type_name = "MaxPool2d";
    static constexpr bool sample_wise = true;
    static constexpr std::array<state_spec, 0> state{};

    // Windows inside the input (no padding, dilation or ceil_mode): a convolution before it pools each
    // output plane as it stores it (detail/fusion.hpp), with this.
    static constexpr bool pools_in_epilogue =
        padding_h == 0 && padding_w == 0 && dilation_h == 1 && dilation_w == 1 && !ceil_mode;
    // `plane` may be read up to two vectors past its end.
    template <class T, std::size_t H, std::size_t W>
    [[gnu::always_inline]] static void pool_plane(const T* plane, T* out) {
        detail::max_pool_plane<T, H, W, kernel_h, kernel_w, stride_h, stride_w>(plane, out);
    }

    static constexpr shape_check infer(shape in) {
        // PyTorch bounds the padding by half of the kernel, dilation not counted.
        return detail::pool2d_infer(in, {window_h, window_w, stride_h, stride_w, padding_h, padding_w, kernel_h / 2,
                                         kernel_w / 2, ceil_mode});
    }

    // The plane with a border of -inf wide enough for every window (padding, and ceil_mode's last
    // window), and what whole-vector reads may reach past it.
    static constexpr std::size_t bordered_height(shape in) {
        const shape out = infer(in).output;
        const std::size_t need = (out[1] - 1) * stride_h + window_h;
        return need > in[1] + padding_h ? need : in[1] + padding_h;
    }
    static constexpr std::size_t bordered_width(shape in) {
        const shape out = infer(in).output;
        const std::size_t need = (out[2] - 1) * stride_w + window_w;
        return need > in[2] + padding_w ? need : in[2] + padding_w;
    }
    template <class T>
    static constexpr std::size_t scratch_elements(shape in, std::size_t) {
        return bordered_height(in) * bordered_width(in) + (stride_w + 1) * detail::simd<T>::lanes;
    }

    // Each plane is copied into the middle of the bordered plane, then every window is a maximum
    // over values that are all there: no test per position, whole vectors along each output row.
    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<MaxPool2d, T>, const T* in, T* out, T* scratch) {
        using S = detail::simd<T>;
        constexpr std::size_t L = S::lanes;
        constexpr shape Out = infer(In).output;
        constexpr std::size_t H = In[1], W = In[2], OH = Out[1], OW = Out[2];
        constexpr std::size_t HB = bordered_height(In), WB = bordered_width(In);
        std::fill_n(scratch, scratch_elements<T>(In, N), -std::numeric_limits<T>::infinity());
        for (std::size_t plane = 0; plane < N * In[0]; ++plane) {
            const T* x = in + plane * H * W;
            T* y = out + plane * OH * OW;
            for (std::size_t h = 0; h < H; ++h) detail::copy_values<W>(x + h * W, scratch + (h + padding_h) * WB + padding_w);
            for (std::size_t oh = 0; oh < OH; ++oh) {
                const T* top = scratch + oh * stride_h * WB;
                std::size_t ow = 0;
                for (; ow + L <= OW; ow += L) {
                    auto best = detail::load_strided<T, stride_w>(top + ow * stride_w);
                    for (std::size_t kh = 0; kh < kernel_h; ++kh)
                        for (std::size_t kw = 0; kw < kernel_w; ++kw)
                            best = detail::max_propagating_nan(
                                best, detail::load_strided<T, stride_w>(top + kh * dilation_h * WB + ow * stride_w + kw * dilation_w));
                    S::store(y + oh * OW + ow, best);
                }
                for (; ow < OW; ++ow) {
                    T best = top[ow * stride_w];
                    for (std::size_t kh = 0; kh < kernel_h; ++kh)
                        for (std::size_t kw = 0; kw < kernel_w; ++kw)
                            best = detail::max_propagating_nan(best, top[kh * dilation_h * WB + ow * stride_w + kw * dilation_w]);
                    y[oh * OW + ow] = best;
                }
            }
        }
        (void)HB;
    }

    // Training (backward.hpp): each output's gradient goes to its window's maximum (PyTorch's
    // choice among ties and NaN: detail/kernels/pooling_backward.hpp).
    template <class T, shape In, std::size_t N>
    static void backward(const backward_pass<MaxPool2d, T>& p) {
        if (!p.grad_in) return;
        constexpr shape Out = infer(In).output;
        constexpr long long H = In[1], W = In[2];
        detail::max_pool_backward<T, H, W, (long long)Out[1], (long long)Out[2]>(
            N * In[0], p.in, p.grad_out, p.grad_in, [](long long oh, long long ow) {
                return detail::strided_max_window(oh, ow, H, W, kernel_h, kernel_w, stride_h, stride_w, padding_h,
                                                  padding_w, dilation_h, dilation_w);
            });
    }
};

}  // namespace typenet
