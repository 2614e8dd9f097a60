// MaxPool2d: the maximum of each window, like nn.MaxPool2d (stride defaults to the kernel size;
// padding counts as -inf; NaN propagates).
//
//     using P1 = typenet::MaxPool2d<2>;                                    // nn.MaxPool2d(2)
//     using P2 = typenet::MaxPool2d<3, typenet::stride<2>, typenet::padding<1>, typenet::ceil_mode<true>>;
//     static_assert(typenet::MaxPool2d<2>::infer({32, 28, 28}).output == typenet::shape{32, 14, 14});
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string_view>

#include "../detail/pooling.hpp"
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
        return detail::pool2d_infer(in, {window_h, window_w, stride_h, stride_w, padding_h, padding_w, window_h / 2,
                                         window_w / 2, ceil_mode});
    }

    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<MaxPool2d, T>, const T* in, T* out) {
        constexpr shape Out = infer(In).output;
        constexpr long long H = In[1], W = In[2], OH = Out[1], OW = Out[2];
        for (std::size_t plane = 0; plane < N * In[0]; ++plane) {
            const T* x = in + plane * H * W;
            T* y = out + plane * OH * OW;
            for (long long oh = 0; oh < OH; ++oh) {
                for (long long ow = 0; ow < OW; ++ow) {
                    T best = -std::numeric_limits<T>::infinity();
                    for (std::size_t kh = 0; kh < kernel_h; ++kh) {
                        const long long ih = oh * (long long)stride_h - (long long)padding_h + (long long)(kh * dilation_h);
                        if (ih < 0 || ih >= H) continue;
                        for (std::size_t kw = 0; kw < kernel_w; ++kw) {
                            const long long iw = ow * (long long)stride_w - (long long)padding_w + (long long)(kw * dilation_w);
                            if (iw < 0 || iw >= W) continue;
                            const T v = x[ih * W + iw];
                            if (v > best || std::isnan(v)) best = v;
                        }
                    }
                    y[oh * OW + ow] = best;
                }
            }
        }
    }
};

}  // namespace typenet
