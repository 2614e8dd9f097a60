// Layer fusion: a Sequential runs Conv2d [BatchNorm2d] [ReLU] [MaxPool2d] as one step, and Linear
// ReLU as another. The
// convolution's product is stored once, already scaled by the BatchNorm (running statistics
// folded into a scale and shift per channel), clamped and pooled, instead of four passes over
// memory. Only the types decide, at compile time; the state_dict does not change.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <tuple>
#include <type_traits>
#include <utility>

#include <boost/hana/type.hpp>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "../layers/batch_norm.hpp"
#include "../layers/conv2d.hpp"
#include "../layers/dropout.hpp"
#include "../layers/flatten.hpp"
#include "../layers/identity.hpp"
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

// The larger of a running maximum and a new value, NaN winning, as PyTorch's max pooling; for
// scalars and vectors alike.
template <class V>
[[gnu::always_inline]] inline V max_propagating_nan(V best, V v) {
    return ((v > best) | (v != v)) ? v : best;  // `|`, not `||`: a select, not a branch on data
}

// y = x * s + b, then ReLU if asked (NaN stays NaN), over N values.
template <class T, bool Relu, std::size_t N>
[[gnu::always_inline]] inline void scale_shift(const T* x, T* y, T s, T b) {
    using S = simd<T>;
    using V = typename S::type;
    const V vs = S::broadcast(s), vb = S::broadcast(b);
    std::size_t i = 0;
    for (; i + S::lanes <= N; i += S::lanes) {
        V v = S::load(x + i) * vs + vb;
        if constexpr (Relu) v = v < V{} ? V{} : v;
        S::store(y + i, v);
    }
    for (; i < N; ++i) {
        const T v = x[i] * s + b;
        y[i] = Relu && v < T(0) ? T(0) : v;
    }
}

// The even lanes of a then b, and the odd ones.
template <class V, std::size_t... I>
[[gnu::always_inline]] inline V even_lanes(V a, V b, std::index_sequence<I...>) {
    return __builtin_shufflevector(a, b, (2 * I)...);
}
template <class V, std::size_t... I>
[[gnu::always_inline]] inline V odd_lanes(V a, V b, std::index_sequence<I...>) {
    return __builtin_shufflevector(a, b, (2 * I + 1)...);
}
template <class V>
[[gnu::always_inline]] inline V even_lanes(V a, V b) {
    return even_lanes(a, b, std::make_index_sequence<sizeof(V) / sizeof(a[0])>{});
}
template <class V>
[[gnu::always_inline]] inline V odd_lanes(V a, V b) {
    return odd_lanes(a, b, std::make_index_sequence<sizeof(V) / sizeof(a[0])>{});
}

// Max pooling of one H x W plane, windows inside the plane (no padding, no dilation).
template <class T, std::size_t H, std::size_t W, std::size_t KH, std::size_t KW, std::size_t SH, std::size_t SW>
[[gnu::always_inline]] inline void max_pool_plane(const T* plane, T* out) {
    constexpr std::size_t OH = (H - KH) / SH + 1, OW = (W - KW) / SW + 1;
    if constexpr (KH == 2 && KW == 2 && SH == 2 && SW == 2 && W % 2 == 0) {
        // The usual 2x2 window, in vectors and without a branch on the data (NaN checks as
        // branches would cost more than the pooling). Pairs of columns never straddle rows (W is
        // even), so the plane is maxed pairwise as one flat run (even and odd lanes separated by
        // shuffles), then pairs of those half rows. Vectors read up to 2 vectors past the plane
        // (the caller's buffer allows it); a vector that would end past the output plane is stored
        // element by element, up to the end of its row.
        using S = simd<T>;
        using V = typename S::type;
        constexpr std::size_t L = S::lanes, pairs = H * W / 2;
        alignas(64) T half[round_up(pairs, L) + L];
        for (std::size_t k = 0; k < pairs; k += L) {
            const V a = S::load(plane + 2 * k), b = S::load(plane + 2 * k + L);
            S::store(half + k, max_propagating_nan(even_lanes(a, b), odd_lanes(a, b)));
        }
        for (std::size_t oh = 0; oh < OH; ++oh) {
            const T* top = half + 2 * oh * OW;
            for (std::size_t ow = 0; ow < OW; ow += L) {
                const V m = max_propagating_nan(S::load(top + ow), S::load(top + OW + ow));
                if (oh * OW + ow + L <= OH * OW) {
                    S::store(out + oh * OW + ow, m);  // past the row: the next rows overwrite it
                } else {
                    for (std::size_t l = 0; l < OW - ow; ++l) out[oh * OW + ow + l] = m[l];
                }
            }
        }
    } else {
        for (std::size_t oh = 0; oh < OH; ++oh)
            for (std::size_t ow = 0; ow < OW; ++ow) {
                T best = plane[oh * SH * W + ow * SW];
                for (std::size_t i = 0; i < KH; ++i)
                    for (std::size_t j = 0; j < KW; ++j)
                        best = max_propagating_nan(best, plane[(oh * SH + i) * W + ow * SW + j]);
                out[oh * OW + ow] = best;
            }
    }
}

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

    // `from` is the convolution's own scratch row: scaled, shifted and clamped in place (one
    // vectorisable pass), then pooled.
    template <shape Out>
    [[gnu::always_inline]] void store(T* from, std::size_t channel, T* to) const {
        const T s = scale[channel], b = shift[channel];
        constexpr std::size_t pixels = Out[1] * Out[2];
        if constexpr (std::is_void_v<Pool>) {
            scale_shift<T, Relu, pixels>(from, to, s, b);
        } else {
            scale_shift<T, Relu, pixels>(from, from, s, b);
            max_pool_plane<T, Out[1], Out[2], Pool::kernel_h, Pool::kernel_w, Pool::stride_h, Pool::stride_w>(from, to);
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

// Layers that leave the values as they are: Identity, Dropout (in eval mode), Flatten (a reshape).
template <class M>
inline constexpr bool is_no_op = std::is_same_v<M, Identity>;
template <detail::fixed_string P>
inline constexpr bool is_no_op<Dropout<P>> = true;
template <int Start, int End>
inline constexpr bool is_no_op<FlattenDims<Start, End>> = true;

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

// The step Linear [ReLU] {Dropout|Identity} Linear [ReLU] ...: with enough rows for the matrix
// product, the input is transposed once, each Linear multiplies the previous one's transposed
// output (no transposes in between), and the last result is transposed back; with few rows, each
// Linear runs on its own (dot products). Dropout and Identity do nothing.
template <class... Members>
struct fused_linear_chain {
    static constexpr std::size_t length = sizeof...(Members);
    using first = std::tuple_element_t<0, std::tuple<Members...>>;
    static constexpr std::array<bool, length> linear{is_linear<Members>...};
    static constexpr std::array<bool, length> relu{is_relu<Members>...};
    static constexpr std::size_t widest = [] {
        std::size_t w = first::in_features;
        auto widen = [&]<class M>() {
            if constexpr (is_linear<M>) w = M::out_features > w ? M::out_features : w;
        };
        (widen.template operator()<Members>(), ...);
        return w;
    }();
    static constexpr std::size_t last_linear = [] {
        std::size_t last = 0;
        for (std::size_t j = 0; j < length; ++j)
            if (linear[j]) last = j;
        return last;
    }();

    template <class T>
    static constexpr std::size_t rows(shape in, std::size_t n) { return n * in.numel() / first::in_features; }
    template <class T>
    static constexpr bool transposed(shape in, std::size_t n) { return rows<T>(in, n) >= simd<T>::lanes / 2; }
    template <class T>
    static constexpr std::size_t scratch_elements(shape in, std::size_t n) {
        const std::size_t r = transposed<T>(in, n) ? round_up(rows<T>(in, n), simd<T>::lanes) : rows<T>(in, n);
        return 2 * aligned_elements(widest * r, sizeof(T));
    }

    template <class T, shape In, std::size_t N>
    static void run(const std::byte* const* states, const T* in, T* out, T* scratch) {
        constexpr std::size_t R = rows<T>(In, N);
        constexpr bool by_columns = transposed<T>(In, N);
        constexpr std::size_t padded = by_columns ? round_up(R, simd<T>::lanes) : R;
        T* buffers[2] = {scratch, scratch + aligned_elements(widest * padded, sizeof(T))};
#ifdef _OPENMP
        // Many rows and several threads: one parallel region for the whole chain, each thread taking a
        // share of every product's rows, with a barrier between layers (rather than a region each).
        if constexpr (by_columns && work(R) >= (std::size_t(1) << 21)) {
            if (!omp_in_parallel() && omp_get_max_threads() > 1) {
#pragma omp parallel
                run_columns<T, R, padded>(states, in, out, buffers, std::size_t(omp_get_thread_num()),
                                          std::size_t(omp_get_num_threads()));
                return;
            }
        }
#endif
        if constexpr (by_columns) {
            run_columns<T, R, padded>(states, in, out, buffers, 0, 1);
        } else {
            const T* source = in;
            std::size_t current = 0;
            [&]<std::size_t... J>(std::index_sequence<J...>) {
                (step<J, T, R>(states, source, buffers, current, out), ...);
            }(std::make_index_sequence<length>{});
        }
    }

private:
    // Multiply-adds of the chain on R rows.
    static constexpr std::size_t work(std::size_t r) {
        std::size_t w = 0;
        auto add = [&]<class M>() {
            if constexpr (is_linear<M>) w += r * M::in_features * M::out_features;
        };
        (add.template operator()<Members>(), ...);
        return w;
    }

    // The transposed chain, as share `share` of `shares` (threads, with barriers between layers).
    template <class T, std::size_t R, std::size_t padded>
    static void run_columns(const std::byte* const* states, const T* in, T* out, T* const* buffers, std::size_t share,
                            std::size_t shares) {
        constexpr std::size_t columns = first::in_features, L = simd<T>::lanes;
        const std::size_t per_share = round_up((columns + shares - 1) / shares, L);
        to_columns<T, R, columns, padded>(in, buffers[0], std::min(columns, share * per_share),
                                          std::min(columns, (share + 1) * per_share));
        std::size_t current = 0;
        [&]<std::size_t... J>(std::index_sequence<J...>) {
            ([&] {
                using M = std::tuple_element_t<J, std::tuple<Members...>>;
                if constexpr (is_linear<M>) {
                    barrier(shares);
                    constexpr bool relu_after = J + 1 < length && relu[J + 1];
                    const T* bias_values = nullptr;
                    const layer_params<M, T> params{states[J]};
                    if constexpr (M::has_bias) bias_values = params.template get<1>();
                    gemm<T, M::out_features, padded, M::in_features>::template run_share<relu_after>(
                        params.template get<0>(), buffers[current], buffers[current ^ 1], bias_values, share, shares);
                    current ^= 1;
                }
            }(), ...);
        }(std::make_index_sequence<length>{});
        barrier(shares);
        if (share == 0) {
            using Last = std::tuple_element_t<last_linear, std::tuple<Members...>>;
            from_columns<T, Last::out_features, padded>(buffers[current], out, R);
        }
    }

    static void barrier([[maybe_unused]] std::size_t shares) {
#ifdef _OPENMP
        if (shares > 1) {
#pragma omp barrier
        }
#endif
    }

    // One Linear of the chain on its own (few rows: dot products).
    template <std::size_t J, class T, std::size_t R>
    [[gnu::always_inline]] static void step(const std::byte* const* states, const T*& source, T* const* buffers,
                                            std::size_t& current, T* out) {
        using M = std::tuple_element_t<J, std::tuple<Members...>>;
        if constexpr (is_linear<M>) {
            constexpr bool relu_after = J + 1 < length && relu[J + 1];
            T* target = J == last_linear ? out : buffers[current];
            M::template propagate_with<T, shape{M::in_features}, R, relu_after>(layer_params<M, T>{states[J]}, source,
                                                                                target, nullptr);
            source = target;
            current ^= 1;
        }
    }
};

// What each child is, for the fusion rules.
enum class fusion_kind : unsigned char { other, conv, batch_norm, relu, max_pool, linear, no_op };

template <class M>
constexpr fusion_kind kind_of() {
    if constexpr (is_conv2d<M>) return fusion_kind::conv;
    else if constexpr (foldable_batch_norm<M>) return fusion_kind::batch_norm;
    else if constexpr (is_relu<M>) return fusion_kind::relu;
    else if constexpr (fusable_max_pool<M>) return fusion_kind::max_pool;
    else if constexpr (is_linear<M>) return fusion_kind::linear;
    else if constexpr (is_no_op<M>) return fusion_kind::no_op;
    else return fusion_kind::other;
}

// Linear layers in a row, each maybe followed by ReLU, with Dropout or Identity between them.
// At most this many children, which bounds the chain's type and the compiler's work on deep stacks.
inline constexpr std::size_t max_chain = 16;

template <std::size_t Size>
constexpr std::size_t linear_chain_length(const std::array<fusion_kind, Size>& kinds, std::size_t i) {
    std::size_t j = i, end = i, linears = 0;
    while (j < Size && j - i < max_chain) {
        if (kinds[j] == fusion_kind::linear) {
            ++linears;
            j += (j + 1 < Size && kinds[j + 1] == fusion_kind::relu && j + 1 - i < max_chain) ? 2 : 1;
            end = j;
        } else if (kinds[j] == fusion_kind::no_op) {
            ++j;
        } else {
            break;
        }
    }
    return linears >= 2 ? end - i : 0;
}

// How many children the step starting at child i covers: 1 when nothing fuses.
template <std::size_t Size>
constexpr std::size_t fused_length(const std::array<fusion_kind, Size>& kinds, std::size_t i) {
    auto at = [&](std::size_t k) { return k < Size ? kinds[k] : fusion_kind::other; };
    if (kinds[i] == fusion_kind::linear) {
        if (const std::size_t chain = linear_chain_length(kinds, i); chain > 0) return chain;
        return at(i + 1) == fusion_kind::relu ? 2 : 1;
    }
    if (kinds[i] != fusion_kind::conv) return 1;
    std::size_t j = i + 1;
    if (at(j) == fusion_kind::batch_norm) ++j;
    if (at(j) == fusion_kind::relu) ++j;
    if (at(j) == fusion_kind::max_pool) ++j;
    return j - i;
}

// The step type for children I .. I + Length - 1 of Seq (a Sequential), void for one child on
// its own.
template <std::size_t I, std::size_t Length, class Seq>
constexpr auto fusion_type() {
    using First = typename Seq::template child_at<I>;
    if constexpr (Length == 1) {
        return boost::hana::type_c<void>;
    } else if constexpr (is_linear<First>) {
        if constexpr (Length == 2 && is_relu<typename Seq::template child_at<I + 1>>)
            return boost::hana::type_c<fused_linear<First>>;
        else
            return []<std::size_t... J>(std::index_sequence<J...>) {
                return boost::hana::type_c<fused_linear_chain<typename Seq::template child_at<I + J>...>>;
            }(std::make_index_sequence<Length>{});
    } else {
        auto member = []<std::size_t K>(std::integral_constant<std::size_t, K>) {
            if constexpr (K < I + Length) return boost::hana::type_c<typename Seq::template child_at<K>>;
            else return boost::hana::type_c<void>;
        };
        using Next1 = typename decltype(+member(std::integral_constant<std::size_t, I + 1>{}))::type;
        constexpr bool bn = foldable_batch_norm<Next1>;
        using Next2 = typename decltype(+member(std::integral_constant<std::size_t, I + 1 + bn>{}))::type;
        constexpr bool relu = is_relu<Next2>;
        using Next3 = typename decltype(+member(std::integral_constant<std::size_t, I + 1 + bn + relu>{}))::type;
        constexpr bool pool = fusable_max_pool<Next3>;
        return boost::hana::type_c<fused_conv<First, std::conditional_t<bn, Next1, void>, relu,
                                              std::conditional_t<pool, Next3, void>>>;
    }
}

}  // namespace typenet::detail
