// Conv2d: 2-d cross-correlation over [C, H, W] samples, like nn.Conv2d with padding_mode='zeros'.
//
//     using C1 = typenet::Conv2d<1, 32, 3, typenet::padding<1>>;   // nn.Conv2d(1, 32, 3, padding=1)
//     using C2 = typenet::Conv2d<16, 32, typenet::size2{3, 5}, typenet::stride<2>, typenet::dilation<2, 1>,
//                                typenet::groups<4>, typenet::bias<false>>;
//     static_assert(typenet::Conv2d<1, 32, 3>::infer({1, 28, 28}).output == typenet::shape{32, 26, 26});
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "../backward.hpp"
#include "../detail/kernels/gemm.hpp"
#include "../detail/kernels/gradients.hpp"
#include "../detail/kernels/common.hpp"
#include "../detail/kernels/pooling.hpp"
#include "../detail/kernels/simd.hpp"
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
    // A 1x1 convolution with stride 1 and no padding multiplies the weights by the input itself:
    // its rows (channels) are what unfolding would copy, and when a row is whole vectors the
    // product reads them where they are, one sample at a time.
    template <class T>
    static constexpr bool direct(shape in) {
        return kernel_h == 1 && kernel_w == 1 && stride_h == 1 && stride_w == 1 && padding_h == 0 && padding_w == 0 &&
               in[1] * in[2] % detail::simd<T>::lanes == 0;
    }
    // Samples unfolded together: as many as keep the unfolded rows and the product within about
    // 1 MiB (half of a 2 MiB L2), at least one.
    template <class T>
    static constexpr std::size_t samples_per_pass(shape in, std::size_t n) {
        if (direct<T>(in)) return 1;
        std::size_t g = 1;
        while (g < n && (unfolded_rows + OutChannels / groups) * padded_columns<T>(in, g + 1) * sizeof(T) <= 1048576) ++g;
        return g;
    }
    // The unfolded rows, the product, two vectors after it that epilogues may read past a plane, and
    // one zero-bordered input plane. A depthwise convolution needs only the bordered plane (with a
    // few vectors after it, which whole-vector reads may reach) and one output plane.
    template <class T>
    static constexpr std::size_t scratch_elements(shape in, std::size_t n) {
        if constexpr (depthwise) {
#ifdef _OPENMP
            return depthwise_slots * depthwise_slot<T>(in);
#else
            return depthwise_slot<T>(in);
#endif
        }
        if (direct<T>(in)) return OutChannels / groups * in[1] * in[2] + 2 * detail::simd<T>::lanes;
        return (unfolded_rows + OutChannels / groups) * padded_columns<T>(in, samples_per_pass<T>(in, n)) +
               2 * detail::simd<T>::lanes + padded_plane(in);
    }

    // Each channel convolved with its own kernel (groups == in_channels == out_channels): the
    // MobileNet and EfficientNet pattern, computed directly (a product per channel would be a
    // matrix of one row).
    static constexpr bool depthwise = groups > 1 && groups == InChannels && OutChannels == InChannels;

    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<Conv2d, T> params, const T* in, T* out, T* scratch) {
        propagate_with<T, In, N>(params, detail::conv_output<T>{bias_of(params)}, in, out, scratch);
    }

    template <class T>
    static const T* bias_of(layer_params<Conv2d, T> params) {
        if constexpr (has_bias) return params.template get<1>();
        else return nullptr;
    }

    // The convolution followed by `Post`, which stores each output channel plane of each sample:
    // the bias alone (detail::conv_output), or with the layers after it fused in
    // (detail::fused_channels: a BatchNorm, an activation, a pooling).
    static constexpr bool channel_epilogue = true;
    template <class T, shape In, std::size_t N, class Post>
    static void propagate_with(layer_params<Conv2d, T> params, const Post& post, const T* in, T* out, T* scratch) {
        if constexpr (depthwise) {
            propagate_depthwise<T, In, N>(params, post, in, out, scratch);
            return;
        }
        constexpr std::size_t G = samples_per_pass<T>(In, N);
        constexpr std::size_t out_size = Post::template output_size<infer(In).output>();
        std::size_t n = 0;
        for (; n + G <= N; n += G)
            propagate_samples<T, In, G>(params, post, in + n * In.numel(), out + n * out_size, scratch);
        if constexpr (N % G != 0)
            propagate_samples<T, In, N % G>(params, post, in + n * In.numel(), out + n * out_size, scratch);
    }

    // Training (backward.hpp), a few samples at a time (as many as the forward pass unfolds
    // together) side by side, group by group. With C their output pixels padded to whole vectors:
    // the input unfolded as in the forward pass (U [rows][C]), the weights' gradient
    // dW += (U dY^T)^T, and the input's dU = W^T dY folded back onto each sample's pixels (col2im).
    template <class T>
    static constexpr std::size_t backward_scratch_elements(shape in, std::size_t n) {
        const std::size_t C = padded_columns<T>(in, samples_per_pass<T>(in, n)), O = OutChannels / groups;
        return 2 * unfolded_rows * C + 2 * O * C + 2 * unfolded_rows * O + padded_plane(in);
    }
    template <class T, shape In, std::size_t N>
    static void backward(const backward_pass<Conv2d, T>& p) {
        constexpr std::size_t G = samples_per_pass<T>(In, N);
        std::size_t n = 0;
        for (; n + G <= N; n += G) backward_samples<T, In, G, N>(p, n);
        if constexpr (N % G != 0) backward_samples<T, In, N % G, N>(p, n);
    }

private:
    // Samples [first, first + G) of the N.
    template <class T, shape In, std::size_t G, std::size_t N>
    static void backward_samples(const backward_pass<Conv2d, T>& p, std::size_t first) {
        constexpr shape Out = infer(In).output;
        constexpr std::size_t pixels = Out[1] * Out[2], C = padded_columns<T>(In, G);
        constexpr std::size_t R = unfolded_rows, O = OutChannels / groups, I = InChannels / groups;
        constexpr std::size_t in_plane = In[1] * In[2];
        constexpr std::size_t scratch_columns = padded_columns<T>(In, samples_per_pass<T>(In, N));
        static_assert(C <= scratch_columns);
        T* unfolded = p.scratch;                               // [R][C]
        T* unfolded_grad = unfolded + R * scratch_columns;     // [R][C]
        T* grad_out = unfolded_grad + R * scratch_columns;     // [O][C], one group, padded with zeros
        T* grad_out_t = grad_out + O * scratch_columns;        // [C][O]
        T* weight_grad_t = grad_out_t + scratch_columns * O;   // [R][O]
        T* weight_t = weight_grad_t + R * O;                   // [R][O]
        T* plane = weight_t + R * O;                           // a zero-bordered input plane
        const T* weight = p.params.template get<0>();
        for (std::size_t g = 0; g < groups; ++g) {
            for (std::size_t o = 0; o < O; ++o) {
                for (std::size_t n = 0; n < G; ++n)
                    detail::copy_values<pixels>(p.grad_out + ((first + n) * OutChannels + g * O + o) * pixels,
                                                grad_out + o * C + n * pixels);
                std::fill(grad_out + o * C + G * pixels, grad_out + (o + 1) * C, T(0));
            }
            if (p.grads) {
                std::fill_n(plane, padded_plane(In), T(0));
                for (std::size_t n = 0; n < G; ++n)
                    unfold<T, In, Out, C>(p.in + ((first + n) * InChannels + g * I) * in_plane, unfolded + n * pixels,
                                          plane);
                for (std::size_t r = 0; r < R; ++r) std::fill(unfolded + r * C + G * pixels, unfolded + (r + 1) * C, T(0));
                detail::to_columns<T, O, C, O>(grad_out, grad_out_t);
                detail::product<T, R, O, C, false>(unfolded, grad_out_t, weight_grad_t);
                T* dw = p.grads.template get<0>() + g * O * R;
                for (std::size_t o = 0; o < O; ++o)
                    for (std::size_t r = 0; r < R; ++r) dw[o * R + r] += weight_grad_t[r * O + o];
                if constexpr (has_bias) {
                    T* db = p.grads.template get<1>() + g * O;
                    for (std::size_t o = 0; o < O; ++o) {
                        T sum = 0;
                        for (std::size_t c = 0; c < G * pixels; ++c) sum += grad_out[o * C + c];
                        db[o] += sum;
                    }
                }
            }
            if (p.grad_in) {
                detail::to_columns<T, O, R, O>(weight + g * O * R, weight_t);
                detail::product<T, R, C, O, false>(weight_t, grad_out, unfolded_grad);
                for (std::size_t n = 0; n < G; ++n)
                    fold<T, In, Out, C>(unfolded_grad + n * pixels, p.grad_in + ((first + n) * InChannels + g * I) * in_plane,
                                        plane);
            }
        }
    }

    // The reverse of unfold: each row's values added back onto the input pixels they were copied
    // from (a zero-bordered plane takes what falls in the padding), then the plane's inside is x's.
    template <class T, shape In, shape Out, std::size_t columns>
    static void fold(const T* rows, T* x, T* padded) {
        constexpr std::size_t H = In[1], W = In[2], OH = Out[1], OW = Out[2];
        constexpr std::size_t WP = W + 2 * padding_w;
        for (std::size_t ic = 0; ic < InChannels / groups; ++ic) {
            std::fill_n(padded, padded_plane(In), T(0));
            for (std::size_t kh = 0; kh < kernel_h; ++kh)
                for (std::size_t kw = 0; kw < kernel_w; ++kw) {
                    const T* row = rows + ((ic * kernel_h + kh) * kernel_w + kw) * columns;
                    T* to = padded + kh * dilation_h * WP + kw * dilation_w;
                    for (std::size_t oh = 0; oh < OH; ++oh) {
                        T* target = to + oh * stride_h * WP;
                        for (std::size_t ow = 0; ow < OW; ++ow) target[ow * stride_w] += row[oh * OW + ow];
                    }
                }
            for (std::size_t h = 0; h < H; ++h)
                detail::copy_values<W>(padded + (h + padding_h) * WP + padding_w, x + ic * H * W + h * W);
        }
    }

    template <class T, shape In, std::size_t N, class Post>
    static void propagate_samples(layer_params<Conv2d, T> params, const Post& post, const T* in, T* out, T* scratch) {
        constexpr shape Out = infer(In).output;
        constexpr std::size_t pixels = Out[1] * Out[2];
        constexpr std::size_t out_size = Post::template output_size<Out>();
        constexpr std::size_t columns = padded_columns<T>(In, N);
        constexpr std::size_t in_per_group = InChannels / groups, out_per_group = OutChannels / groups;
        const T* weight = params.template get<0>();
        if constexpr (direct<T>(In)) {
            static_assert(N == 1);
            for (std::size_t g = 0; g < groups; ++g) {
                detail::gemm<T, out_per_group, pixels, in_per_group>::run(weight + g * out_per_group * in_per_group,
                                                                          in + g * in_per_group * pixels, scratch, nullptr);
                for (std::size_t oc = 0; oc < out_per_group; ++oc) {
                    const std::size_t channel = g * out_per_group + oc;
                    post.template store<Out>(scratch + oc * pixels, channel, out + channel * (out_size / OutChannels));
                }
            }
            return;
        }
        T* unfolded = scratch;                           // [unfolded_rows][columns]
        T* product = scratch + unfolded_rows * columns;  // [out_per_group][columns]
        T* padded = product + out_per_group * columns + 2 * detail::simd<T>::lanes;
        std::fill_n(padded, padded_plane(In), T(0));
        for (std::size_t g = 0; g < groups; ++g) {
            for (std::size_t n = 0; n < N; ++n)
                unfold<T, In, Out, columns>(in + (n * InChannels + g * in_per_group) * In[1] * In[2],
                                            unfolded + n * pixels, padded);
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

    static constexpr std::size_t padded_plane(shape in) {
        return (in[1] + 2 * padding_h) * (in[2] + 2 * padding_w);
    }

    // The bordered plane and what whole-vector reads of the last output row may reach past it.
    template <class T>
    static constexpr std::size_t depthwise_plane_elements(shape in) {
        return detail::round_up(padded_plane(in) + (stride_w + 1) * detail::simd<T>::lanes + window_w, detail::simd<T>::lanes);
    }

    // Channels are independent: with enough work and OpenMP, threads take a share of them, each
    // with its own slot of scratch (a bordered plane and an output plane).
    template <class T>
    static constexpr std::size_t depthwise_slot(shape in) {
        const shape out = infer(in).output;
        return detail::round_up(depthwise_plane_elements<T>(in) + out[1] * out[2] + 2 * detail::simd<T>::lanes,
                                detail::simd<T>::lanes);
    }
    static constexpr std::size_t depthwise_slots = 8;  // at most this many threads share a depthwise layer

    template <class T, shape In, std::size_t N, class Post>
    static void propagate_depthwise(layer_params<Conv2d, T> params, const Post& post, const T* in, T* out, T* scratch) {
        [[maybe_unused]] constexpr shape Out = infer(In).output;  // used with OpenMP only
        constexpr std::size_t planes = N * InChannels;
#ifdef _OPENMP
        if constexpr (planes * Out[1] * Out[2] * kernel_h * kernel_w >= (std::size_t(1) << 16) && planes > 1) {
            if (!omp_in_parallel() && omp_get_max_threads() > 1) {
                const int threads = std::min<int>(omp_get_max_threads(), int(depthwise_slots));
#pragma omp parallel num_threads(threads)
                {
                    const std::size_t t = std::size_t(omp_get_thread_num()), shares = std::size_t(omp_get_num_threads());
                    depthwise_planes<T, In, N>(params, post, in, out, scratch + t * depthwise_slot<T>(In),
                                               planes * t / shares, planes * (t + 1) / shares);
                }
                return;
            }
        }
#endif
        depthwise_planes<T, In, N>(params, post, in, out, scratch, 0, planes);
    }

    // Planes [first, last) of the N * C (sample, channel) planes.
    template <class T, shape In, std::size_t N, class Post>
    static void depthwise_planes(layer_params<Conv2d, T> params, const Post& post, const T* in, T* out, T* slot,
                                 std::size_t first, std::size_t last) {
        using S = detail::simd<T>;
        using V = typename S::type;
        constexpr std::size_t L = S::lanes;
        constexpr shape Out = infer(In).output;
        constexpr std::size_t H = In[1], W = In[2], OH = Out[1], OW = Out[2], WP = W + 2 * padding_w;
        constexpr std::size_t out_size = Post::template output_size<Out>();
        constexpr std::size_t taps = kernel_h * kernel_w;
        const T* weight = params.template get<0>();
        T* padded = slot;
        T* plane = slot + depthwise_plane_elements<T>(In);
        std::fill_n(padded, depthwise_plane_elements<T>(In), T(0));  // the border stays zero
        for (std::size_t p = first; p < last; ++p) {
            const std::size_t n = p / InChannels, c = p % InChannels;
            const T* x = in + p * H * W;
            for (std::size_t h = 0; h < H; ++h)
                detail::copy_values<W>(x + h * W, padded + (h + padding_h) * WP + padding_w);
            V w[taps];
            for (std::size_t t = 0; t < taps; ++t) w[t] = S::broadcast(weight[c * taps + t]);
            for (std::size_t oh = 0; oh < OH; ++oh) {
                const T* top = padded + oh * stride_h * WP;
                // Whole vectors: the last may run past the row; the next row overwrites that.
                for (std::size_t ow = 0; ow < OW; ow += L) {
                    V acc{};
                    for (std::size_t kh = 0; kh < kernel_h; ++kh)
                        for (std::size_t kw = 0; kw < kernel_w; ++kw)
                            acc += w[kh * kernel_w + kw] *
                                   detail::load_strided<T, stride_w>(top + kh * dilation_h * WP + ow * stride_w + kw * dilation_w);
                    S::store(plane + oh * OW + ow, acc);
                }
            }
            post.template store<Out>(plane, c, out + n * out_size + c * (out_size / OutChannels));
        }
    }

    // rows[(ic * kernel_h + kh) * kernel_w + kw][oh * OW + ow] = x[ic][ih][iw], zero in the padding;
    // rows are `columns` apart (the samples of a batch sit side by side). Each input plane is first
    // copied into the middle of a zero-bordered plane (`padded`, whose border stays zero), so that
    // every row is made of plain copies of OW values, without a test per value.
    template <class T, shape In, shape Out, std::size_t columns>
    [[gnu::always_inline]] static void unfold(const T* x, T* rows, T* padded) {
        constexpr std::size_t H = In[1], W = In[2], OH = Out[1], OW = Out[2];
        constexpr std::size_t HP = H + 2 * padding_h, WP = W + 2 * padding_w;
        constexpr bool pad = padding_h != 0 || padding_w != 0;
        for (std::size_t ic = 0; ic < InChannels / groups; ++ic) {
            const T* plane = x + ic * H * W;
            if constexpr (pad) {
                for (std::size_t h = 0; h < H; ++h)
                    detail::copy_values<W>(plane + h * W, padded + (h + padding_h) * WP + padding_w);
                plane = padded;
            }
            for (std::size_t kh = 0; kh < kernel_h; ++kh) {
                for (std::size_t kw = 0; kw < kernel_w; ++kw) {
                    T* row = rows + ((ic * kernel_h + kh) * kernel_w + kw) * columns;
                    const T* from = plane + kh * dilation_h * WP + kw * dilation_w;
                    for (std::size_t oh = 0; oh < OH; ++oh) {
                        const T* source = from + oh * stride_h * WP;
                        if constexpr (stride_w == 1) {
                            detail::copy_values<OW>(source, row + oh * OW);
                        } else {
                            for (std::size_t ow = 0; ow < OW; ++ow) row[oh * OW + ow] = source[ow * stride_w];
                        }
                    }
                }
            }
        }
        (void)HP;
    }

public:
};

}  // namespace typenet
