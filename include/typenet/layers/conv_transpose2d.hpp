// ConvTranspose2d: the transposed 2-d convolution over [C, H, W] samples (the gradient of Conv2d
// with respect to its input), like nn.ConvTranspose2d with padding_mode='zeros'. The output is
// (H - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1 high, and as wide
// by the same rule; the weight is [in, out / groups, kh, kw], as in PyTorch.
// (PyTorch's forward(input, output_size) argument is not supported: give output_padding instead.)
//
//     using Up = typenet::ConvTranspose2d<16, 8, 4, typenet::stride<2>, typenet::padding<1>>;
//     static_assert(Up::infer({16, 7, 7}).output == typenet::shape{8, 14, 14});
//     static_assert(Up::state[0].shape == typenet::shape{16, 8, 4, 4});
//     using Odd = typenet::ConvTranspose2d<4, 6, typenet::size2{3, 2}, typenet::stride<2, 3>, typenet::output_padding<1, 2>,
//                                          typenet::groups<2>, typenet::dilation<1, 2>, typenet::bias<false>>;
//     static_assert(Odd::infer({4, 5, 3}).output == typenet::shape{6, 12, 11});
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>

#include "../backward.hpp"
#include "../detail/kernels/gemm.hpp"
#include "../detail/kernels/common.hpp"
#include "../detail/kernels/simd.hpp"
#include "../layer.hpp"
#include "../options.hpp"
#include "conv2d.hpp"  // size2

namespace typenet {

namespace option_kind {
struct output_padding {};
}  // namespace option_kind
// Rows and columns added to one side of a transposed convolution's output (PyTorch's
// output_padding): output_padding<1> or output_padding<h, w>.
template <std::size_t H, std::size_t W = H>
struct output_padding : size2_option<option_kind::output_padding, H, W> {};

template <std::size_t InChannels, std::size_t OutChannels, size2 KernelSize, class... Options>
struct ConvTranspose2d {
    static_assert(options_accepted<void(option_kind::stride, option_kind::padding, option_kind::output_padding,
                                        option_kind::groups, option_kind::bias, option_kind::dilation),
                                   Options...>,
                  "ConvTranspose2d takes the options stride<>, padding<>, output_padding<>, groups<>, bias<> and "
                  "dilation<>, each at most once");
    using stride_type = option_t<option_kind::stride, stride<1>, Options...>;
    using padding_type = option_t<option_kind::padding, padding<0>, Options...>;
    using output_padding_type = option_t<option_kind::output_padding, output_padding<0>, Options...>;
    using dilation_type = option_t<option_kind::dilation, dilation<1>, Options...>;

    static constexpr std::size_t in_channels = InChannels, out_channels = OutChannels;
    static constexpr std::size_t kernel_h = KernelSize.h, kernel_w = KernelSize.w;
    static constexpr std::size_t stride_h = stride_type::h, stride_w = stride_type::w;
    static constexpr std::size_t padding_h = padding_type::h, padding_w = padding_type::w;
    static constexpr std::size_t output_padding_h = output_padding_type::h, output_padding_w = output_padding_type::w;
    static constexpr std::size_t dilation_h = dilation_type::h, dilation_w = dilation_type::w;
    static constexpr std::size_t groups = option_t<option_kind::groups, typenet::groups<1>, Options...>::value;
    static constexpr bool has_bias = option_t<option_kind::bias, bias<true>, Options...>::value;
    static_assert(InChannels >= 1 && OutChannels >= 1,
                  "ConvTranspose2d: in_channels and out_channels must be at least 1");
    static_assert(kernel_h >= 1 && kernel_w >= 1, "ConvTranspose2d: the kernel size must be at least 1");
    static_assert(stride_h >= 1 && stride_w >= 1, "ConvTranspose2d: the stride must be at least 1");
    static_assert(dilation_h >= 1 && dilation_w >= 1, "ConvTranspose2d: the dilation must be at least 1");
    static_assert(groups >= 1, "ConvTranspose2d: groups must be at least 1");
    // PyTorch refuses the same: the extra rows would lie beyond any window's reach.
    static_assert((output_padding_h < stride_h || output_padding_h < dilation_h) &&
                      (output_padding_w < stride_w || output_padding_w < dilation_w),
                  "ConvTranspose2d: output_padding must be smaller than the stride or the dilation, in each "
                  "dimension, as PyTorch requires");

    static constexpr std::string_view type_name = "ConvTranspose2d";
    static constexpr bool sample_wise = true;
    static constexpr auto state = [] {
        constexpr shape weight{InChannels, OutChannels / groups, kernel_h, kernel_w};
        if constexpr (has_bias)
            return std::array{parameter("weight", weight), parameter("bias", {OutChannels})};
        else
            return std::array{parameter("weight", weight)};
    }();

    // The output size before the padding is taken off both sides.
    static constexpr std::size_t full_size(std::size_t in, std::size_t stride, std::size_t dilation,
                                           std::size_t kernel, std::size_t output_padding) {
        return (in - 1) * stride + dilation * (kernel - 1) + output_padding + 1;
    }

    static constexpr shape_check infer(shape in) {
        if (in.rank != 3)
            return fail("ConvTranspose2d: takes a per-sample input [C, H, W] of rank 3 (first number), the input "
                        "has another rank (second number; the batch dimension is not counted).",
                        3, in.rank);
        if (InChannels % groups)
            return fail("ConvTranspose2d: in_channels (second number) must be divisible by groups (first number).",
                        groups, InChannels);
        if (OutChannels % groups)
            return fail("ConvTranspose2d: out_channels (second number) must be divisible by groups (first number).",
                        groups, OutChannels);
        if (in[0] != InChannels)
            return fail("ConvTranspose2d: in_channels (first number) must equal the channels of its input (second "
                        "number), i.e. the out_channels of the layer before it.",
                        InChannels, in[0]);
        const std::size_t full_h = full_size(in[1], stride_h, dilation_h, kernel_h, output_padding_h);
        const std::size_t full_w = full_size(in[2], stride_w, dilation_w, kernel_w, output_padding_w);
        if (2 * padding_h >= full_h)
            return fail("ConvTranspose2d: the padding taken off the output's height (first number: 2 * padding) "
                        "leaves nothing of it (second number: (H - 1) * stride + dilation * (kernel - 1) + "
                        "output_padding + 1). Use less padding, or a larger kernel, stride or input.",
                        2 * padding_h, full_h);
        if (2 * padding_w >= full_w)
            return fail("ConvTranspose2d: the padding taken off the output's width (first number: 2 * padding) "
                        "leaves nothing of it (second number: (W - 1) * stride + dilation * (kernel - 1) + "
                        "output_padding + 1). Use less padding, or a larger kernel, stride or input.",
                        2 * padding_w, full_w);
        return {shape{OutChannels, full_h - 2 * padding_h, full_w - 2 * padding_w}};
    }

    // The kernel, per group: the product of the transposed weights [out/g * kh * kw][in/g] with the
    // input's pixels [in/g][pixels of the samples side by side] gives, for every input pixel, what
    // it adds to each output position of its window; those columns are then added into the output
    // (col2im), which starts as the bias.
    static constexpr std::size_t group_in = InChannels / groups;
    static constexpr std::size_t product_rows = OutChannels / groups * kernel_h * kernel_w;
    static constexpr std::size_t weight_elements = InChannels * product_rows;

    template <class T>
    static constexpr std::size_t padded_columns(shape in, std::size_t n) {
        return detail::round_up(n * in[1] * in[2], detail::simd<T>::lanes);
    }
    // Samples multiplied together: as many as keep the input rows and the product within about
    // 1 MiB (half of a 2 MiB L2), at least one.
    template <class T>
    static constexpr std::size_t samples_per_pass(shape in, std::size_t n) {
        std::size_t g = 1;
        while (g < n && (group_in + product_rows) * padded_columns<T>(in, g + 1) * sizeof(T) <= 1048576) ++g;
        return g;
    }
    // The transposed weights of every group, then the input rows and the product of one pass.
    template <class T>
    static constexpr std::size_t scratch_elements(shape in, std::size_t n) {
        return detail::aligned_elements(weight_elements, sizeof(T)) +
               (group_in + product_rows) * padded_columns<T>(in, samples_per_pass<T>(in, n));
    }

    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<ConvTranspose2d, T> params, const T* in, T* out, T* scratch) {
        const T* weight = params.template get<0>();
        T* transposed = scratch;  // per group: [product_rows][group_in]
        for (std::size_t g = 0; g < groups; ++g)
            detail::to_columns<T, group_in, product_rows, group_in>(weight + g * group_in * product_rows,
                                                                    transposed + g * group_in * product_rows);
        T* work = scratch + detail::aligned_elements(weight_elements, sizeof(T));
        constexpr std::size_t G = samples_per_pass<T>(In, N);
        constexpr std::size_t in_size = In.numel(), out_size = infer(In).output.numel();
        std::size_t n = 0;
        for (; n + G <= N; n += G) propagate_samples<T, In, G>(params, transposed, in + n * in_size, out + n * out_size, work);
        if constexpr (N % G != 0)
            propagate_samples<T, In, N % G>(params, transposed, in + n * in_size, out + n * out_size, work);
    }

    // Training (backward.hpp). The layer is the input's gradient of the convolution with the same
    // weight, stride, padding, dilation and groups (`gradient_conv`, from OutChannels to
    // InChannels), so its own gradients are that convolution's: dL/dx is gradient_conv applied to
    // dL/dy, and dL/dweight is gradient_conv's weight gradient with dL/dy as its input and x as its
    // output's gradient. When output_padding reaches a whole stride (possible with a larger
    // dilation), gradient_conv's output would be longer than x: plain loops then.
    using gradient_conv = Conv2d<OutChannels, InChannels, KernelSize, typenet::stride<stride_h, stride_w>,
                                 typenet::padding<padding_h, padding_w>, typenet::dilation<dilation_h, dilation_w>,
                                 typenet::groups<groups>, bias<false>>;
    template <class T>
    static constexpr std::size_t backward_scratch_elements(shape in, std::size_t n) {
        const shape out = infer(in).output;
        return std::max(gradient_conv::template scratch_elements<T>(out, n),
                        gradient_conv::template backward_scratch_elements<T>(out, n));
    }
    template <class T, shape In, std::size_t N>
    static void backward(const backward_pass<ConvTranspose2d, T>& p) {
        constexpr shape Out = infer(In).output;
        constexpr std::size_t out_pixels = Out[1] * Out[2];
        if constexpr (has_bias) {
            if (p.grads) {
                T* db = p.grads.template get<1>();
                for (std::size_t n = 0; n < N; ++n)
                    for (std::size_t oc = 0; oc < OutChannels; ++oc) {
                        const T* dy = p.grad_out + (n * OutChannels + oc) * out_pixels;
                        T sum = 0;
                        for (std::size_t i = 0; i < out_pixels; ++i) sum += dy[i];
                        db[oc] += sum;
                    }
            }
        }
        if constexpr (gradient_conv::infer(Out).output == In) {
            if (p.grad_in)
                gradient_conv::template propagate<T, Out, N>(layer_params<gradient_conv, T>{p.params.base}, p.grad_out,
                                                             p.grad_in, p.scratch);
            if (p.grads)
                gradient_conv::template backward<T, Out, N>(backward_pass<gradient_conv, T>{
                    layer_params<gradient_conv, T>{p.params.base}, layer_state<gradient_conv, T>{p.grads.base},
                    p.grad_out, p.in, p.in, nullptr, nullptr, p.scratch, p.training});
        } else {
            backward_loops<T, In, Out, N>(p);
        }
    }

private:
    template <class T, shape In, shape Out, std::size_t N>
    static void backward_loops(const backward_pass<ConvTranspose2d, T>& p) {
        constexpr std::size_t H = In[1], W = In[2], OH = Out[1], OW = Out[2], group_out = OutChannels / groups;
        const T* weight = p.params.template get<0>();
        T* dweight = p.grads ? p.grads.template get<0>() : nullptr;
        for (std::size_t n = 0; n < N; ++n)
            for (std::size_t ic = 0; ic < InChannels; ++ic) {
                const std::size_t g = ic / group_in;
                for (std::size_t ih = 0; ih < H; ++ih)
                    for (std::size_t iw = 0; iw < W; ++iw) {
                        const T x = p.in[((n * InChannels + ic) * H + ih) * W + iw];
                        T sum = 0;
                        for (std::size_t o = 0; o < group_out; ++o) {
                            const T* dy = p.grad_out + (n * OutChannels + g * group_out + o) * OH * OW;
                            const std::size_t w0 = (ic * group_out + o) * kernel_h * kernel_w;
                            for (std::size_t kh = 0; kh < kernel_h; ++kh) {
                                // The output row ih * stride + kh * dilation - padding, if inside.
                                const std::size_t row = ih * stride_h + kh * dilation_h;
                                if (row < padding_h || row - padding_h >= OH) continue;
                                for (std::size_t kw = 0; kw < kernel_w; ++kw) {
                                    const std::size_t column = iw * stride_w + kw * dilation_w;
                                    if (column < padding_w || column - padding_w >= OW) continue;
                                    const T d = dy[(row - padding_h) * OW + column - padding_w];
                                    sum += weight[w0 + kh * kernel_w + kw] * d;
                                    if (dweight) dweight[w0 + kh * kernel_w + kw] += x * d;
                                }
                            }
                        }
                        if (p.grad_in) p.grad_in[((n * InChannels + ic) * H + ih) * W + iw] = sum;
                    }
            }
    }

    template <class T, shape In, std::size_t N>
    static void propagate_samples(layer_params<ConvTranspose2d, T> params, const T* transposed, const T* in, T* out,
                                  T* work) {
        constexpr shape Out = infer(In).output;
        constexpr std::size_t pixels = In[1] * In[2], out_pixels = Out[1] * Out[2];
        constexpr std::size_t columns = padded_columns<T>(In, N);
        constexpr std::size_t group_out = OutChannels / groups;
        T* rows = work;                            // [group_in][columns]
        T* product = work + group_in * columns;    // [product_rows][columns]
        const T* bias_values = nullptr;
        if constexpr (has_bias) bias_values = params.template get<1>();
        for (std::size_t n = 0; n < N; ++n)
            for (std::size_t oc = 0; oc < OutChannels; ++oc)
                std::fill_n(out + (n * OutChannels + oc) * out_pixels, out_pixels, bias_values ? bias_values[oc] : T(0));
        for (std::size_t g = 0; g < groups; ++g) {
            for (std::size_t ic = 0; ic < group_in; ++ic) {
                T* row = rows + ic * columns;
                for (std::size_t n = 0; n < N; ++n)
                    detail::copy_values<pixels>(in + (n * InChannels + g * group_in + ic) * pixels, row + n * pixels);
                for (std::size_t c = N * pixels; c < columns; ++c) row[c] = T(0);
            }
            detail::gemm<T, product_rows, columns, group_in>::run(transposed + g * group_in * product_rows, rows,
                                                                  product, nullptr);
            for (std::size_t n = 0; n < N; ++n)
                for (std::size_t oc = 0; oc < group_out; ++oc)
                    add_windows<T, In, Out>(product + oc * kernel_h * kernel_w * columns + n * pixels, columns,
                                            out + (n * OutChannels + g * group_out + oc) * out_pixels);
        }
    }

    // The input positions i whose window reaches output position o = i * stride - padding + offset
    // inside [0, out): [first, last).
    struct input_range {
        std::size_t first, last;
    };
    static constexpr input_range reaching(std::size_t in, std::size_t out, std::size_t stride, std::size_t padding,
                                          std::size_t offset) {
        // o >= 0: i * stride >= padding - offset; o < out: i * stride < out + padding - offset.
        const std::size_t first = offset >= padding ? 0 : (padding - offset + stride - 1) / stride;
        const std::size_t limit = out + padding > offset ? (out + padding - offset + stride - 1) / stride : 0;
        const std::size_t last = std::min(in, limit);
        return {first, std::max(first, last)};
    }

    // col2im for one output channel: kernel position (kh, kw) of every input pixel adds its row of
    // the product to the output position it reaches.
    template <class T, shape In, shape Out>
    [[gnu::always_inline]] static void add_windows(const T* product, std::size_t columns, T* plane) {
        constexpr std::size_t H = In[1], W = In[2], OH = Out[1], OW = Out[2];
        for (std::size_t kh = 0; kh < kernel_h; ++kh) {
            const input_range rows = reaching(H, OH, stride_h, padding_h, kh * dilation_h);
            for (std::size_t kw = 0; kw < kernel_w; ++kw) {
                const input_range cols = reaching(W, OW, stride_w, padding_w, kw * dilation_w);
                const T* from = product + (kh * kernel_w + kw) * columns;
                for (std::size_t ih = rows.first; ih < rows.last; ++ih) {
                    // Both positions are in the output by the ranges, so the differences are not negative.
                    T* to = plane + (ih * stride_h + kh * dilation_h - padding_h) * OW;
                    const T* source = from + ih * W;
                    for (std::size_t iw = cols.first; iw < cols.last; ++iw)
                        to[iw * stride_w + kw * dilation_w - padding_w] += source[iw];
                }
            }
        }
    }

public:
};

}  // namespace typenet
