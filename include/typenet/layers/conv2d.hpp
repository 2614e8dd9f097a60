// Conv2d: 2-d cross-correlation over [C, H, W] samples, like nn.Conv2d with padding_mode='zeros'.
//
//     using C1 = typenet::Conv2d<1, 32, 3, typenet::padding<1>>;   // nn.Conv2d(1, 32, 3, padding=1)
//     using C2 = typenet::Conv2d<16, 32, typenet::size2{3, 5}, typenet::stride<2>, typenet::dilation<2, 1>,
//                                typenet::groups<4>, typenet::bias<false>>;
//     static_assert(typenet::Conv2d<1, 32, 3>::infer({1, 28, 28}).output == typenet::shape{32, 26, 26});
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "../detail/kernels.hpp"
#include "../layer.hpp"
#include "../options.hpp"

namespace typenet {

// A (height, width) pair, PyTorch's _size_2_t: 3 means 3x3, size2{3, 5} means 3x5.
struct size2 {
    std::size_t h = 0, w = 0;
    constexpr size2(std::size_t both) : h(both), w(both) {}
    constexpr size2(std::size_t height, std::size_t width) : h(height), w(width) {}
};

template <std::size_t InChannels, std::size_t OutChannels, size2 KernelSize, class... Options>
struct Conv2d {
    static_assert(options_accepted<void(option_kind::stride, option_kind::padding, option_kind::dilation,
                                        option_kind::groups, option_kind::bias),
                                   Options...>,
                  "Conv2d takes the options stride<>, padding<>, dilation<>, groups<> and bias<>, each at most once");
    using stride_type = option_t<option_kind::stride, stride<1>, Options...>;
    using padding_type = option_t<option_kind::padding, padding<0>, Options...>;
    using dilation_type = option_t<option_kind::dilation, dilation<1>, Options...>;

    static constexpr std::size_t in_channels = InChannels, out_channels = OutChannels;
    static constexpr std::size_t kernel_h = KernelSize.h, kernel_w = KernelSize.w;
    static constexpr std::size_t stride_h = stride_type::h, stride_w = stride_type::w;
    static constexpr std::size_t padding_h = padding_type::h, padding_w = padding_type::w;
    static constexpr std::size_t dilation_h = dilation_type::h, dilation_w = dilation_type::w;
    static constexpr std::size_t groups = option_t<option_kind::groups, typenet::groups<1>, Options...>::value;
    static constexpr bool has_bias = option_t<option_kind::bias, bias<true>, Options...>::value;
    static_assert(InChannels >= 1 && OutChannels >= 1, "Conv2d: in_channels and out_channels must be at least 1");
    static_assert(kernel_h >= 1 && kernel_w >= 1, "Conv2d: the kernel size must be at least 1");
    static_assert(stride_h >= 1 && stride_w >= 1, "Conv2d: the stride must be at least 1");
    static_assert(dilation_h >= 1 && dilation_w >= 1, "Conv2d: the dilation must be at least 1");
    static_assert(groups >= 1, "Conv2d: groups must be at least 1");

    // Dilation included: the extent of the input one output value sees.
    static constexpr std::size_t window_h = dilation_h * (kernel_h - 1) + 1;
    static constexpr std::size_t window_w = dilation_w * (kernel_w - 1) + 1;

    static constexpr std::string_view type_name = "Conv2d";
    static constexpr auto state = [] {
        constexpr shape weight{OutChannels, InChannels / groups, kernel_h, kernel_w};
        if constexpr (has_bias)
            return std::array{parameter("weight", weight), parameter("bias", {OutChannels})};
        else
            return std::array{parameter("weight", weight)};
    }();

    static constexpr shape_check infer(shape in) {
        using shape_error::rule;
        if (in.rank != 3) return fail(rule::input_rank, 3, in.rank);
        if (InChannels % groups) return fail(rule::groups_in_channels, groups, InChannels);
        if (OutChannels % groups) return fail(rule::groups_out_channels, groups, OutChannels);
        if (in[0] != InChannels) return fail(rule::in_channels, InChannels, in[0]);
        if (window_h > in[1] + 2 * padding_h) return fail(rule::kernel_height, window_h, in[1] + 2 * padding_h);
        if (window_w > in[2] + 2 * padding_w) return fail(rule::kernel_width, window_w, in[2] + 2 * padding_w);
        return {shape{OutChannels, (in[1] + 2 * padding_h - window_h) / stride_h + 1,
                      (in[2] + 2 * padding_w - window_w) / stride_w + 1}};
    }

    // Reference kernel: direct convolution, zero padding skipped.
    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<Conv2d, T> params, const T* in, T* out) {
        constexpr shape Out = infer(In).output;
        constexpr long long H = In[1], W = In[2], OH = Out[1], OW = Out[2];
        constexpr std::size_t in_per_group = InChannels / groups, out_per_group = OutChannels / groups;
        const T* weight = params.template get<0>();
        for (std::size_t n = 0; n < N; ++n) {
            const T* x = in + n * In.numel();
            T* y = out + n * Out.numel();
            for (std::size_t oc = 0; oc < OutChannels; ++oc) {
                const std::size_t first_ic = oc / out_per_group * in_per_group;
                const T* w = weight + oc * in_per_group * kernel_h * kernel_w;
                for (long long oh = 0; oh < OH; ++oh) {
                    for (long long ow = 0; ow < OW; ++ow) {
                        T sum = 0;
                        for (std::size_t ic = 0; ic < in_per_group; ++ic) {
                            const T* plane = x + (first_ic + ic) * H * W;
                            for (std::size_t kh = 0; kh < kernel_h; ++kh) {
                                const long long ih = oh * (long long)stride_h - (long long)padding_h + (long long)(kh * dilation_h);
                                if (ih < 0 || ih >= H) continue;
                                for (std::size_t kw = 0; kw < kernel_w; ++kw) {
                                    const long long iw = ow * (long long)stride_w - (long long)padding_w + (long long)(kw * dilation_w);
                                    if (iw < 0 || iw >= W) continue;
                                    sum += plane[ih * W + iw] * w[(ic * kernel_h + kh) * kernel_w + kw];
                                }
                            }
                        }
                        if constexpr (has_bias) sum += params.template get<1>()[oc];
                        y[(oc * OH + oh) * OW + ow] = sum;
                    }
                }
            }
        }
    }
};

}  // namespace typenet
