// Layer fusion: a chain (Sequential, or a Block's Then) runs some runs of layers as one step. What
// fuses is decided by what layers declare, never by their names (see layer.hpp):
//
// - a layer with `channel_epilogue` (Conv2d) computes each output channel plane and hands it to an
//   epilogue, which may apply, as it stores the plane: a layer with `affine_per_channel`
//   (BatchNorm2d on running statistics: its scale and shift folded with the bias), then an
//   elementwise layer (elementwise.hpp: ReLU, SiLU, ...), then a pooling with `pools_in_epilogue`
//   (MaxPool2d without padding): one pass over memory instead of four;
// - Linear layers (`linear_chain_member`) in a row, each maybe followed by an elementwise layer,
//   with value-preserving layers between them, run as one step that keeps activations transposed;
// - a value-preserving layer (Identity, Dropout, Flatten: `value_preserving`) is skipped.
//
// Only the types decide, at compile time; the state_dict does not change.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include <boost/hana/type.hpp>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "../elementwise.hpp"
#include "../layer.hpp"
#include "kernels/gemm.hpp"
#include "kernels/common.hpp"
#include "kernels/simd.hpp"

namespace typenet::detail {

template <class M>
inline constexpr bool channel_epilogue_layer = requires { requires M::channel_epilogue; };
template <class M>
inline constexpr bool affine_per_channel_layer = requires { requires M::affine_per_channel; };
template <class M>
inline constexpr bool elementwise_layer = requires { requires M::elementwise; };
template <class M>
inline constexpr bool epilogue_pool_layer = requires { requires M::pools_in_epilogue; };
template <class M>
inline constexpr bool linear_chain_layer = requires { requires M::linear_chain_member; };
template <class M>
inline constexpr bool value_preserving_layer = requires { requires M::value_preserving; };

// What each child of a chain is, for the fusion rules.
enum class fusion_kind : unsigned char { other, channel_producer, affine, elementwise, pool, linear, no_op };

template <class M>
constexpr fusion_kind kind_of() {
    if constexpr (channel_epilogue_layer<M>) return fusion_kind::channel_producer;
    else if constexpr (affine_per_channel_layer<M>) return fusion_kind::affine;
    else if constexpr (elementwise_layer<M>) return fusion_kind::elementwise;
    else if constexpr (epilogue_pool_layer<M>) return fusion_kind::pool;
    else if constexpr (linear_chain_layer<M>) return fusion_kind::linear;
    else if constexpr (value_preserving_layer<M>) return fusion_kind::no_op;
    else return fusion_kind::other;
}

// y = x * s + b, then Act (an elementwise layer, or void) over N values.
template <class T, class Act, std::size_t N>
[[gnu::always_inline]] inline void scale_shift(const T* x, T* y, T s, T b) {
    using S = simd<T>;
    using V = typename S::type;
    const V vs = S::broadcast(s), vb = S::broadcast(b);
    constexpr std::size_t whole = N / S::lanes * S::lanes;
    for (std::size_t v = 0; v < N / S::lanes; ++v) {
        V value = S::load(x + v * S::lanes) * vs + vb;
        if constexpr (!std::is_void_v<Act>) value = Act::apply(value);
        S::store(y + v * S::lanes, value);
    }
    for (std::size_t i = whole; i < N; ++i) {
        T value = x[i] * s + b;
        if constexpr (!std::is_void_v<Act>) value = Act::apply(value);
        y[i] = value;
    }
}

// Stores a producer's output channel: x * scale + shift, then Act, then Pool (each void if absent).
template <class T, class Act, class Pool>
struct fused_output {
    const T* scale;
    const T* shift;

    template <shape Out>
    static constexpr std::size_t output_size() {
        if constexpr (std::is_void_v<Pool>) return Out.numel();
        else return Pool::infer(Out).output.numel();
    }

    // `from` is the producer's own scratch row: scaled, shifted and activated in place (one
    // vectorisable pass), then pooled.
    template <shape Out>
    [[gnu::always_inline]] void store(T* from, std::size_t channel, T* to) const {
        const T s = scale[channel], b = shift[channel];
        constexpr std::size_t pixels = Out.numel() / Out[0];
        if constexpr (std::is_void_v<Pool>) {
            scale_shift<T, Act, pixels>(from, to, s, b);
        } else {
            scale_shift<T, Act, pixels>(from, from, s, b);
            Pool::template pool_plane<T, Out[1], Out[2]>(from, to);
        }
    }
};

// The step Producer [Affine] [Act] [Pool] (void when absent).
template <class Producer, class Affine, class Act, class Pool>
struct fused_channels {
    static constexpr std::size_t length =
        1 + !std::is_void_v<Affine> + !std::is_void_v<Act> + !std::is_void_v<Pool>;
    static constexpr std::size_t channels = Producer::out_channels;

    template <class T>
    static constexpr std::size_t scratch_elements(shape in, std::size_t n) {
        return 2 * aligned_elements(channels, sizeof(T)) + Producer::template scratch_elements<T>(in, n);
    }

    // states: the state blocks of the step's layers, in order.
    template <class T, shape In, std::size_t N>
    static void run(const std::byte* const* states, const T* in, T* out, T* scratch) {
        T* scale = scratch;
        T* shift = scratch + aligned_elements(channels, sizeof(T));
        const layer_params<Producer, T> producer{states[0]};
        const T* bias = Producer::bias_of(producer);
        for (std::size_t c = 0; c < channels; ++c) {
            const T producer_bias = bias ? bias[c] : T(0);
            if constexpr (std::is_void_v<Affine>) {
                scale[c] = T(1);
                shift[c] = producer_bias;
            } else {
                T alpha, beta;
                Affine::affine_coefficients(layer_params<Affine, T>{states[1]}, c, alpha, beta);
                scale[c] = alpha;
                shift[c] = producer_bias * alpha + beta;
            }
        }
        Producer::template propagate_with<T, In, N>(producer, fused_output<T, Act, Pool>{scale, shift}, in, out,
                                                    scratch + 2 * aligned_elements(channels, sizeof(T)));
    }
};

// The step Linear Act: the activation applied as the products are stored.
template <class Lin, class Act>
struct fused_linear {
    static constexpr std::size_t length = 2;

    template <class T>
    static constexpr std::size_t scratch_elements(shape in, std::size_t n) {
        return Lin::template scratch_elements<T>(in, n);
    }
    template <class T, shape In, std::size_t N>
    static void run(const std::byte* const* states, const T* in, T* out, T* scratch) {
        Lin::template propagate_with<T, In, N, Act>(layer_params<Lin, T>{states[0]}, in, out, scratch);
    }
};

// The elementwise layer at position J + 1 of Members, if there is one (void otherwise).
template <std::size_t J, class... Members>
constexpr auto activation_after() {
    if constexpr (J + 1 < sizeof...(Members)) {
        using Next = std::tuple_element_t<J + 1, std::tuple<Members...>>;
        if constexpr (elementwise_layer<Next>) return std::type_identity<Next>{};
        else return std::type_identity<void>{};
    } else {
        return std::type_identity<void>{};
    }
}

// The step Linear [Act] {no-op} Linear [Act] ...: with enough rows for the matrix product, the
// input is transposed once, each Linear multiplies the previous one's transposed output (no
// transposes in between), and the last result is transposed back; with few rows, each Linear runs
// on its own (dot products). Value-preserving layers do nothing.
template <class... Members>
struct fused_linear_chain {
    static constexpr std::size_t length = sizeof...(Members);
    using first = std::tuple_element_t<0, std::tuple<Members...>>;
    static constexpr std::array<bool, length> linear{linear_chain_layer<Members>...};
    static constexpr std::size_t widest = [] {
        std::size_t w = first::in_features;
        auto widen = [&]<class M>() {
            if constexpr (linear_chain_layer<M>) w = M::out_features > w ? M::out_features : w;
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
    template <std::size_t J>
    using activation_at = typename decltype(activation_after<J, Members...>())::type;

    // Multiply-adds of the chain on R rows.
    static constexpr std::size_t work(std::size_t r) {
        std::size_t w = 0;
        auto add = [&]<class M>() {
            if constexpr (linear_chain_layer<M>) w += r * M::in_features * M::out_features;
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
                if constexpr (linear_chain_layer<M>) {
                    barrier(shares);
                    const T* bias_values = nullptr;
                    const layer_params<M, T> params{states[J]};
                    if constexpr (M::has_bias) bias_values = params.template get<1>();
                    gemm<T, M::out_features, padded, M::in_features>::template run_share<activation_at<J>>(
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
        if constexpr (linear_chain_layer<M>) {
            T* target = J == last_linear ? out : buffers[current];
            M::template propagate_with<T, shape{M::in_features}, R, activation_at<J>>(layer_params<M, T>{states[J]},
                                                                                    source, target, nullptr);
            source = target;
            current ^= 1;
        }
    }
};

// Linear layers in a row, each maybe followed by an elementwise layer, with value-preserving layers
// between them. At most this many children, which bounds the chain's type and the compiler's work
// on deep stacks.
inline constexpr std::size_t max_chain = 16;

template <std::size_t Size>
constexpr std::size_t linear_chain_length(const std::array<fusion_kind, Size>& kinds, std::size_t i) {
    std::size_t j = i, end = i, linears = 0;
    while (j < Size && j - i < max_chain) {
        if (kinds[j] == fusion_kind::linear) {
            ++linears;
            j += (j + 1 < Size && kinds[j + 1] == fusion_kind::elementwise && j + 1 - i < max_chain) ? 2 : 1;
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
        return at(i + 1) == fusion_kind::elementwise ? 2 : 1;
    }
    if (kinds[i] != fusion_kind::channel_producer) return 1;
    std::size_t j = i + 1;
    if (at(j) == fusion_kind::affine) ++j;
    if (at(j) == fusion_kind::elementwise) ++j;
    if (at(j) == fusion_kind::pool) ++j;
    return j - i;
}

// The step type for children I .. I + Length - 1 of List (which has child_at<K>), void for one
// child on its own.
template <std::size_t I, std::size_t Length, class List>
constexpr auto fusion_type() {
    using First = typename List::template child_at<I>;
    if constexpr (Length == 1) {
        return boost::hana::type_c<void>;
    } else if constexpr (linear_chain_layer<First>) {
        using Second = typename List::template child_at<I + 1>;
        if constexpr (Length == 2 && elementwise_layer<Second>)
            return boost::hana::type_c<fused_linear<First, Second>>;
        else
            return []<std::size_t... J>(std::index_sequence<J...>) {
                return boost::hana::type_c<fused_linear_chain<typename List::template child_at<I + J>...>>;
            }(std::make_index_sequence<Length>{});
    } else {
        auto member = []<std::size_t K>(std::integral_constant<std::size_t, K>) {
            if constexpr (K < I + Length) return boost::hana::type_c<typename List::template child_at<K>>;
            else return boost::hana::type_c<void>;
        };
        using Next1 = typename decltype(+member(std::integral_constant<std::size_t, I + 1>{}))::type;
        constexpr bool affine = affine_per_channel_layer<Next1>;
        using Next2 = typename decltype(+member(std::integral_constant<std::size_t, I + 1 + affine>{}))::type;
        constexpr bool act = elementwise_layer<Next2>;
        using Next3 = typename decltype(+member(std::integral_constant<std::size_t, I + 1 + affine + act>{}))::type;
        constexpr bool pool = epilogue_pool_layer<Next3>;
        return boost::hana::type_c<fused_channels<First, std::conditional_t<affine, Next1, void>,
                                                  std::conditional_t<act, Next2, void>,
                                                  std::conditional_t<pool, Next3, void>>>;
    }
}

}  // namespace typenet::detail
