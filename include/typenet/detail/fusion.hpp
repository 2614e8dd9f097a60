// Layer fusion: a Sequential runs Conv2d [BatchNorm2d] [ReLU] [MaxPool2d] as one step, and Linear
// ReLU as another. The
// convolution's product is stored once, already scaled by the BatchNorm (running statistics
// folded into a scale and shift per channel), clamped and pooled, instead of four passes over
// memory. Only the types decide, at compile time; the state_dict does not change.
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>

#include "../layers/batch_norm.hpp"
#include "../layers/conv2d.hpp"
#include "../layers/linear.hpp"
#include "../layers/max_pool2d.hpp"
#include "../layers/relu.hpp"
#include "simd.hpp"

namespace typenet::detail {

template <class M>
inline constexpr bool is_conv2d = false;
template <std::size_t I, std::size_t O, size2 K, class... Options>
inline constexpr bool is_conv2d<Conv2d<I, O, K, Options...>> = true;

// A BatchNorm2d with running statistics is an affine map per channel at inference.
template <class M>
inline constexpr bool foldable_batch_norm = false;
template <std::size_t F, class... Options>
inline constexpr bool foldable_batch_norm<BatchNorm2d<F, Options...>> = BatchNorm2d<F, Options...>::track_running_stats;

template <class M>
inline constexpr bool is_relu = std::is_same_v<M, ReLU>;

// Max pooling whose windows all lie inside the input: no padding, no dilation, no ceil_mode.
template <class M>
inline constexpr bool fusable_max_pool = false;
template <size2 K, class... Options>
inline constexpr bool fusable_max_pool<MaxPool2d<K, Options...>> =
    MaxPool2d<K, Options...>::padding_h == 0 && MaxPool2d<K, Options...>::padding_w == 0 &&
    MaxPool2d<K, Options...>::dilation_h == 1 && MaxPool2d<K, Options...>::dilation_w == 1 &&
    !MaxPool2d<K, Options...>::ceil_mode;

// Stores a convolution's output channel: x * scale + shift, then ReLU, then max pooling.
template <class T, bool Relu, class Pool>
struct fused_output {
    const T* scale;
    const T* shift;

    template <shape Out>
    static constexpr std::size_t output_size() {
        if constexpr (std::is_void_v<Pool>) return Out.numel();
        else return Pool::infer(Out).output.numel();
    }

    [[gnu::always_inline]] static T activate(T v) {
        if constexpr (Relu) return v < T(0) ? T(0) : v;
        else return v;
    }

    template <shape Out>
    [[gnu::always_inline]] void store(const T* from, std::size_t channel, T* to) const {
        const T s = scale[channel], b = shift[channel];
        if constexpr (std::is_void_v<Pool>) {
            for (std::size_t p = 0; p < Out[1] * Out[2]; ++p) to[p] = activate(from[p] * s + b);
        } else {
            constexpr shape pooled = Pool::infer(Out).output;
            constexpr std::size_t OW = Out[2];
            for (std::size_t ph = 0; ph < pooled[1]; ++ph)
                for (std::size_t pw = 0; pw < pooled[2]; ++pw) {
                    T best = -std::numeric_limits<T>::infinity();
                    for (std::size_t i = 0; i < Pool::kernel_h; ++i)
                        for (std::size_t j = 0; j < Pool::kernel_w; ++j) {
                            const T v = activate(from[(ph * Pool::stride_h + i) * OW + pw * Pool::stride_w + j] * s + b);
                            if (v > best || std::isnan(v)) best = v;
                        }
                    to[ph * pooled[2] + pw] = best;
                }
        }
    }
};

// The step Conv [BN] [ReLU] [Pool] (BN and Pool void when absent).
template <class Conv, class BN, bool Relu, class Pool>
struct fused_conv {
    static constexpr std::size_t length = 1 + !std::is_void_v<BN> + Relu + !std::is_void_v<Pool>;
    static constexpr std::size_t channels = Conv::out_channels;

    template <class T>
    static constexpr std::size_t scratch_elements(shape in, std::size_t n) {
        return 2 * aligned_elements(channels, sizeof(T)) + Conv::template scratch_elements<T>(in, n);
    }

    // states: the state blocks of the step's layers, in order.
    template <class T, shape In, std::size_t N>
    static void run(const std::byte* const* states, const T* in, T* out, T* scratch) {
        T* scale = scratch;
        T* shift = scratch + aligned_elements(channels, sizeof(T));
        const layer_params<Conv, T> conv{states[0]};
        for (std::size_t c = 0; c < channels; ++c) {
            T conv_bias = T(0);
            if constexpr (Conv::has_bias) conv_bias = conv.template get<1>()[c];
            if constexpr (std::is_void_v<BN>) {
                scale[c] = T(1);
                shift[c] = conv_bias;
            } else {  // as BatchNorm's own kernel: y = x * alpha + beta
                const layer_params<BN, T> bn{states[1]};
                constexpr std::size_t stats = BN::affine ? 2 : 0;
                T alpha = T(1) / std::sqrt(bn.template get<stats + 1>()[c] + T(BN::eps));
                T beta = -bn.template get<stats>()[c] * alpha;
                if constexpr (BN::affine) {
                    alpha *= bn.template get<0>()[c];
                    beta = bn.template get<1>()[c] - bn.template get<stats>()[c] * alpha;
                }
                scale[c] = alpha;
                shift[c] = conv_bias * alpha + beta;
            }
        }
        Conv::template propagate_with<T, In, N>(conv, fused_output<T, Relu, Pool>{scale, shift}, in, out,
                                               scratch + 2 * aligned_elements(channels, sizeof(T)));
    }
};

template <class M>
inline constexpr bool is_linear = false;
template <std::size_t I, std::size_t O, class... Options>
inline constexpr bool is_linear<Linear<I, O, Options...>> = true;

// The step Linear ReLU: the ReLU applied as the products are stored.
template <class Lin>
struct fused_linear {
    static constexpr std::size_t length = 2;

    template <class T>
    static constexpr std::size_t scratch_elements(shape in, std::size_t n) {
        return Lin::template scratch_elements<T>(in, n);
    }
    template <class T, shape In, std::size_t N>
    static void run(const std::byte* const* states, const T* in, T* out, T* scratch) {
        Lin::template propagate_with<T, In, N, true>(layer_params<Lin, T>{states[0]}, in, out, scratch);
    }
};

// The fusion starting at child I of Children (a hana tuple of types), or void when there is none.
template <std::size_t I, class Children, std::size_t Size>
constexpr auto fusion_at() {
    auto child = [](auto k) {
        if constexpr (decltype(k)::value < Size)
            return boost::hana::at(Children{}, k);
        else
            return boost::hana::type_c<void>;
    };
    using Conv = typename decltype(+child(boost::hana::size_c<I>))::type;
    if constexpr (is_linear<Conv>) {
        using Next = typename decltype(+child(boost::hana::size_c<I + 1>))::type;
        if constexpr (is_relu<Next>) return boost::hana::type_c<fused_linear<Conv>>;
        else return boost::hana::type_c<void>;
    } else if constexpr (!is_conv2d<Conv>) {
        return boost::hana::type_c<void>;
    } else {
        using Next1 = typename decltype(+child(boost::hana::size_c<I + 1>))::type;
        constexpr bool bn = foldable_batch_norm<Next1>;
        using Next2 = typename decltype(+child(boost::hana::size_c<I + 1 + bn>))::type;
        constexpr bool relu = is_relu<Next2>;
        using Next3 = typename decltype(+child(boost::hana::size_c<I + 1 + bn + relu>))::type;
        constexpr bool pool = fusable_max_pool<Next3>;
        if constexpr (!bn && !relu && !pool)
            return boost::hana::type_c<void>;
        else
            return boost::hana::type_c<fused_conv<Conv, std::conditional_t<bn, Next1, void>, relu,
                                                  std::conditional_t<pool, Next3, void>>>;
    }
}

}  // namespace typenet::detail
