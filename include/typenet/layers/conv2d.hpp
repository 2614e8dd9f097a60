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

#include "../detail/gemm.hpp"
#include "../detail/kernels.hpp"
#include "../detail/simd.hpp"
#include "../layer.hpp"
#include "../options.hpp"

namespace typenet {

// A (height, width) pair, PyTorch's _size_2_t: 3 means 3x3, size2{3, 5} means 3x5.
struct size2 {
    std::size_t h = 0, w = 0;
    constexpr size2(std::size_t both) : h(both), w(both) {}
    constexpr size2(std::size_t height, std::size_t width) : h(height), w(width) {}
};

namespace detail {

// A convolution's output stored as it is, plus the bias: one channel plane of one sample.
template <class T>
struct conv_output {
    const T* bias;  // null without bias

    template <shape Out>
    static constexpr std::size_t output_size() { return Out.numel(); }

    template <shape Out>
    [[gnu::always_inline]] void store(T* from, std::size_t channel, T* to) const {
        constexpr std::size_t pixels = Out[1] * Out[2];
        const T b = bias ? bias[channel] : T(0);
        for (std::size_t p = 0; p < pixels; ++p) to[p] = from[p] + b;
    }
};

}  // namespace detail

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
    static constexpr bool sample_wise = true;
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

    // The kernel: the input of all N samples is unfolded into rows (im2col: one row per weight
    // position (ic, kh, kw), one column per output pixel of every sample, padded to whole
    // vectors), and each group's weights, in PyTorch's layout, multiply those rows. Putting the
    // samples side by side keeps vectors full when images are small (7x7 = 49 pixels).
    static constexpr std::size_t unfolded_rows = InChannels / groups * kernel_h * kernel_w;
    template <class T>
    static constexpr std::size_t padded_columns(shape in, std::size_t n) {
        const shape out = infer(in).output;
        return detail::round_up(n * out[1] * out[2], detail::simd<T>::lanes);
    }
    // Samples unfolded together: as many as keep the unfolded rows and the product within about
    // 512 KiB (a quarter of a 2 MiB L2), at least one.
    template <class T>
    static constexpr std::size_t samples_per_pass(shape in, std::size_t n) {
        std::size_t g = 1;
        while (g < n && (unfolded_rows + OutChannels / groups) * padded_columns<T>(in, g + 1) * sizeof(T) <= 524288) ++g;
        return g;
    }
    // The unfolded rows, the product, and two vectors after it that epilogues may read past a plane.
    template <class T>
    static constexpr std::size_t scratch_elements(shape in, std::size_t n) {
        return (unfolded_rows + OutChannels / groups) * padded_columns<T>(in, samples_per_pass<T>(in, n)) +
               2 * detail::simd<T>::lanes;
    }

    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<Conv2d, T> params, const T* in, T* out, T* scratch) {
        const T* bias_values = nullptr;
        if constexpr (has_bias) bias_values = params.template get<1>();
        propagate_with<T, In, N>(params, detail::conv_output<T>{bias_values}, in, out, scratch);
    }

    // The convolution followed by `Post`, which stores each output channel of each sample: the
    // bias alone (detail::conv_output), or with what follows fused in (detail::fused_conv).
    template <class T, shape In, std::size_t N, class Post>
    static void propagate_with(layer_params<Conv2d, T> params, const Post& post, const T* in, T* out, T* scratch) {
        constexpr std::size_t G = samples_per_pass<T>(In, N);
        constexpr std::size_t out_size = Post::template output_size<infer(In).output>();
        std::size_t n = 0;
        for (; n + G <= N; n += G)
            propagate_samples<T, In, G>(params, post, in + n * In.numel(), out + n * out_size, scratch);
        if constexpr (N % G != 0)
            propagate_samples<T, In, N % G>(params, post, in + n * In.numel(), out + n * out_size, scratch);
    }

private:
    template <class T, shape In, std::size_t N, class Post>
    static void propagate_samples(layer_params<Conv2d, T> params, const Post& post, const T* in, T* out, T* scratch) {
        constexpr shape Out = infer(In).output;
        constexpr std::size_t pixels = Out[1] * Out[2];
        constexpr std::size_t out_size = Post::template output_size<Out>();
        constexpr std::size_t columns = padded_columns<T>(In, N);
        constexpr std::size_t in_per_group = InChannels / groups, out_per_group = OutChannels / groups;
        const T* weight = params.template get<0>();
        T* unfolded = scratch;                           // [unfolded_rows][columns]
        T* product = scratch + unfolded_rows * columns;  // [out_per_group][columns]
        for (std::size_t g = 0; g < groups; ++g) {
            for (std::size_t n = 0; n < N; ++n)
                unfold<T, In, Out, columns>(in + (n * InChannels + g * in_per_group) * In[1] * In[2],
                                            unfolded + n * pixels);
            for (std::size_t c = N * pixels; c < columns; ++c)
                for (std::size_t r = 0; r < unfolded_rows; ++r) unfolded[r * columns + c] = T(0);
            detail::gemm<T, out_per_group, columns, unfolded_rows>::run(weight + g * out_per_group * unfolded_rows,
                                                                        unfolded, product, nullptr);
            for (std::size_t n = 0; n < N; ++n)
                for (std::size_t oc = 0; oc < out_per_group; ++oc) {
                    const std::size_t channel = g * out_per_group + oc;
                    post.template store<Out>(product + oc * columns + n * pixels, channel,
                                             out + n * out_size + channel * (out_size / OutChannels));
                }
        }
    }

    // The output columns [first, last) whose input column ow * stride - padding + kw * dilation
    // lies inside the image, for each kw: outside them the row holds zeros (padding).
    template <std::size_t W, std::size_t OW>
    static constexpr auto valid_columns = [] {
        std::array<std::array<std::size_t, 2>, kernel_w> range{};
        for (std::size_t kw = 0; kw < kernel_w; ++kw) {
            std::size_t first = OW, last = 0;
            for (std::size_t ow = 0; ow < OW; ++ow) {
                const long long iw = (long long)(ow * stride_w + kw * dilation_w) - (long long)padding_w;
                if (iw >= 0 && iw < (long long)W) {
                    if (first == OW) first = ow;
                    last = ow + 1;
                }
            }
            range[kw] = {first, first == OW ? OW : last};
        }
        return range;
    }();

    // rows[(ic * kernel_h + kh) * kernel_w + kw][oh * OW + ow] = x[ic][ih][iw], zero in the padding;
    // rows are `columns` apart (the samples of a batch sit side by side).
    template <class T, shape In, shape Out, std::size_t columns>
    [[gnu::always_inline]] static void unfold(const T* x, T* rows) {
        constexpr std::size_t H = In[1], W = In[2], OH = Out[1], OW = Out[2];
        for (std::size_t ic = 0; ic < InChannels / groups; ++ic) {
            for (std::size_t kh = 0; kh < kernel_h; ++kh) {
                for (std::size_t kw = 0; kw < kernel_w; ++kw) {
                    T* row = rows + ((ic * kernel_h + kh) * kernel_w + kw) * columns;
                    if constexpr (stride_h == 1 && stride_w == 1 && OW == W) {
                        unfold_same_width<T, H, W, OH>(x + ic * H * W, row, kh, kw);
                        continue;
                    }
                    const std::size_t first = valid_columns<W, OW>[kw][0], last = valid_columns<W, OW>[kw][1];
                    const long long shift = (long long)(kw * dilation_w) - (long long)padding_w;
                    for (std::size_t oh = 0; oh < OH; ++oh) {
                        T* r = row + oh * OW;
                        const long long ih = (long long)(oh * stride_h + kh * dilation_h) - (long long)padding_h;
                        if (ih < 0 || ih >= (long long)H) {
                            for (std::size_t ow = 0; ow < OW; ++ow) r[ow] = T(0);
                            continue;
                        }
                        const T* source = x + (ic * H + std::size_t(ih)) * W;
                        for (std::size_t ow = 0; ow < first; ++ow) r[ow] = T(0);
                        if constexpr (stride_w == 1) {  // a contiguous run: a copy the compiler vectorises
                            const T* from = source + (long long)first + shift;
                            for (std::size_t ow = first; ow < last; ++ow) r[ow] = from[ow - first];
                        } else {
                            for (std::size_t ow = first; ow < last; ++ow)
                                r[ow] = source[std::size_t((long long)(ow * stride_w) + shift)];
                        }
                        for (std::size_t ow = last; ow < OW; ++ow) r[ow] = T(0);
                    }
                }
            }
        }
    }

    // Stride 1 with the output as wide as the input (padding that keeps the size): for a given
    // (kh, kw) the row is the input plane shifted by a constant, so one long contiguous copy
    // does it, then the columns that fell into the padding are zeroed.
    template <class T, std::size_t H, std::size_t W, std::size_t OH>
    [[gnu::always_inline]] static void unfold_same_width(const T* __restrict plane, T* __restrict row, std::size_t kh,
                                                         std::size_t kw) {
        const long long row_shift = (long long)(kh * dilation_h) - (long long)padding_h;  // ih = oh + row_shift
        const long long shift = (long long)(kw * dilation_w) - (long long)padding_w;      // iw = ow + shift
        const std::size_t oh_first = std::size_t(row_shift < 0 ? -row_shift : 0);
        const std::size_t oh_last = std::size_t((long long)H - row_shift < (long long)OH ? (long long)H - row_shift : (long long)OH);
        for (std::size_t i = 0; i < oh_first * W; ++i) row[i] = T(0);
        for (std::size_t i = oh_last * W; i < OH * W; ++i) row[i] = T(0);
        if (oh_first >= oh_last) return;
        // row[q] = plane[q + row_shift * W + shift] for q in the valid rows, except where the column
        // wraps into the neighbouring row (zeroed below).
        const std::size_t begin = oh_first * W + std::size_t(shift < 0 ? -shift : 0);
        const std::size_t end = oh_last * W - std::size_t(shift > 0 ? shift : 0);
        const T* source = plane + std::size_t((long long)begin + row_shift * (long long)W + shift);
        for (std::size_t q = begin; q < end; ++q) row[q] = source[q - begin];
        for (std::size_t oh = oh_first; oh < oh_last; ++oh) {
            for (long long c = 0; c < -shift; ++c) row[oh * W + std::size_t(c)] = T(0);
            for (long long c = 0; c < shift; ++c) row[oh * W + W - 1 - std::size_t(c)] = T(0);
        }
    }

public:
};

}  // namespace typenet
