// Elementary functions that work on a scalar and on a vector of any width (the target's,
// detail/kernels/simd.hpp, or a narrower one) alike, for elementwise layers (elementwise.hpp) and
// users' own activations:
//
//     template <class V> V silu(V x) { return x * typenet::math::sigmoid(x); }   // V: float, or 16 floats
//     static_assert(typenet::math::splat<float>(0.5) == 0.5f);
//
// Scalars use the C library. float vectors use polynomials and rational functions accurate to a
// few units in the last place (exp, expm1, log1p: relative error below 3e-7; tanh: below 3.5e-7,
// checked on every float up to 12; erf: absolute error below 5e-7), computed lane-parallel;
// double vectors call the C library lane by lane, so float64 results stay exact to the last bits,
// as PyTorch's.
#pragma once

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>

namespace typenet::math {

namespace detail {
template <class V>
struct element_of {
    using type = std::remove_cvref_t<decltype(std::declval<V>()[0])>;
};
template <class V>
    requires std::is_arithmetic_v<V>
struct element_of<V> {
    using type = V;
};
}  // namespace detail

// The scalar type of V: V itself, or the element of a vector.
template <class V>
using element_t = typename detail::element_of<V>::type;

template <class V>
inline constexpr bool is_vector = !std::is_arithmetic_v<V>;

template <class V>
inline constexpr std::size_t lanes = sizeof(V) / sizeof(element_t<V>);

// `value` in every lane (a scalar when V is one): the way to write a constant in generic code.
template <class V>
[[gnu::always_inline]] constexpr V splat(double value) {
    if constexpr (is_vector<V>) {
        return [&]<std::size_t... I>(std::index_sequence<I...>) {
            return V{((void)I, element_t<V>(value))...};
        }(std::make_index_sequence<lanes<V>>{});
    } else {
        return V(value);
    }
}

// Lane-wise selection without a branch on the data: condition ? a : b.
template <class V, class C>
[[gnu::always_inline]] inline V select(C condition, V a, V b) {
    return condition ? a : b;
}

template <class V>
[[gnu::always_inline]] inline V abs(V x) {
    return select(x < splat<V>(0), -x, x);
}
template <class V>
[[gnu::always_inline]] inline V min(V a, V b) {  // b when either is NaN
    return select(a < b, a, b);
}
template <class V>
[[gnu::always_inline]] inline V max(V a, V b) {  // b when either is NaN
    return select(a > b, a, b);
}

namespace detail {

// f applied to every lane of a vector, or to a scalar.
template <class V, class F>
[[gnu::always_inline]] inline V each(V x, F f) {
    if constexpr (is_vector<V>) {
        V out;
        for (std::size_t i = 0; i < lanes<V>; ++i) out[i] = f(x[i]);
        return out;
    } else {
        return f(x);
    }
}

template <class V>
inline constexpr bool float_vector = is_vector<V> && std::is_same_v<element_t<V>, float>;

// An int32 vector with the lanes of V (float vectors only).
template <std::size_t Bytes>
struct int_vector_of {
    typedef std::int32_t type __attribute__((vector_size(Bytes)));
};
template <class V>
using int_vector = typename int_vector_of<sizeof(V)>::type;

// e^r - 1 for |r| <= ln(2)/2, Taylor to degree 7 (the remainder is below 2e-9 relative).
template <class V>
[[gnu::always_inline]] inline V expm1_reduced(V r) {
    V p = splat<V>(1.0 / 5040);
    p = p * r + splat<V>(1.0 / 720);
    p = p * r + splat<V>(1.0 / 120);
    p = p * r + splat<V>(1.0 / 24);
    p = p * r + splat<V>(1.0 / 6);
    p = p * r + splat<V>(0.5);
    p = p * r + splat<V>(1);
    return p * r;
}

// x = n ln2 + r, |r| <= ln(2)/2 (up to rounding), n = round(x / ln2) an integer as a float; ln2
// split in two for exactness. Adding 1.5 * 2^23 rounds to an integer in one operation and leaves
// n in the low bits of the sum, where pow2_of_sum takes it: a shorter chain of dependent
// operations than converting to integers and back, which the gates of a recurrent layer wait on
// at every step.
inline constexpr float round_magic = 12582912.0f;  // 1.5 * 2^23
template <class V>
[[gnu::always_inline]] inline void reduce(V x, V& n, V& r, V& sum) {
    sum = x * splat<V>(1.4426950408889634) + splat<V>(round_magic);
    n = sum - splat<V>(round_magic);
    r = x - n * splat<V>(0.693359375) - n * splat<V>(-2.12194440e-4);
}
// 2^n from reduce's sum: its bits are those of 1.5 * 2^23 plus n; n + 127 goes to the exponent.
template <class V>
[[gnu::always_inline]] inline V pow2_of_sum(V sum) {
    const int_vector<V> bits = (std::bit_cast<int_vector<V>>(sum) - 0x4b400000 + 127) << 23;
    return std::bit_cast<V>(bits);
}

}  // namespace detail

template <class V>
[[gnu::always_inline]] inline V exp(V x) {
    if constexpr (detail::float_vector<V>) {
        const V lo = splat<V>(-87.0), hi = splat<V>(88.0);
        V clamped = select(x < lo, lo, select(x > hi, hi, x));
        clamped = select(x != x, splat<V>(0), clamped);  // NaN: computed on 0, restored below
        V n, r, sum;
        detail::reduce(clamped, n, r, sum);
        V y = (detail::expm1_reduced(r) + splat<V>(1)) * detail::pow2_of_sum(sum);
        y = select(x > splat<V>(88.72283935546875), splat<V>(std::numeric_limits<double>::infinity()), y);
        y = select(x < splat<V>(-87.0), splat<V>(0), y);  // e^-87 = 1.6e-38: denormals flushed
        return select(x != x, x, y);
    } else {
        return detail::each(x, [](auto v) { return std::exp(v); });
    }
}

template <class V>
[[gnu::always_inline]] inline V expm1(V x) {
    if constexpr (detail::float_vector<V>) {
        // Near 0 the reduced polynomial itself (no cancellation); elsewhere exp(x) - 1.
        const V small = detail::expm1_reduced(x);
        return select(abs(x) < splat<V>(0.34657359027997264), small, exp(x) - splat<V>(1));
    } else {
        return detail::each(x, [](auto v) { return std::expm1(v); });
    }
}

// log(1 + x) for x > -1.
template <class V>
[[gnu::always_inline]] inline V log1p(V x) {
    if constexpr (detail::float_vector<V>) {
        // u = 1 + x = m 2^e with m in [sqrt(1/2), sqrt(2)); log(m) = 2 atanh(s), s = (m-1)/(m+1).
        // log1p(x) = log(u) * x / (u - 1) corrects the rounding of 1 + x (exact when u == 1).
        using I = detail::int_vector<V>;
        const V u = splat<V>(1) + x;
        const I bits = std::bit_cast<I>(u);
        // Exponent relative to sqrt(1/2): m = u / 2^e in [0.7071, 1.4142).
        const I shifted = bits - 0x3f3504f3;
        const I e = shifted >> 23;
        const I mbits = (shifted & 0x007fffff) + 0x3f3504f3;
        const V m = std::bit_cast<V>(mbits);
        const V s = (m - splat<V>(1)) / (m + splat<V>(1)), s2 = s * s;
        V p = splat<V>(2.0 / 9);
        p = p * s2 + splat<V>(2.0 / 7);
        p = p * s2 + splat<V>(2.0 / 5);
        p = p * s2 + splat<V>(2.0 / 3);
        p = p * s2 + splat<V>(2);
        const V log_u = p * s + __builtin_convertvector(e, V) * splat<V>(0.6931471805599453);
        const V corrected = select(u == splat<V>(1), x, log_u * (x / (u - splat<V>(1))));
        // +inf stays +inf; -1 gives -inf; below -1 and NaN give NaN.
        V y = select(u == splat<V>(std::numeric_limits<double>::infinity()), u, corrected);
        y = select(u == splat<V>(0), splat<V>(-std::numeric_limits<double>::infinity()), y);
        return select((u < splat<V>(0)) | (x != x), splat<V>(std::numeric_limits<double>::quiet_NaN()), y);
    } else {
        return detail::each(x, [](auto v) { return std::log1p(v); });
    }
}

template <class V>
[[gnu::always_inline]] inline V tanh(V x) {
    if constexpr (detail::float_vector<V>) {
        // tanh|x| = a P(a^2) / Q(a^2) for a = |x| < 8.3, P and Q of degree 4 fitted for the least
        // largest relative error (tools/math/fit_tanh.py); 1 beyond (tanh(8.3) = 1 - 1.2e-7). No
        // exp: a recurrent layer's gates wait on tanh at every step, and this is half the latency.
        const V a = min(abs(x), splat<V>(8.3));
        const V s = a * a;
        V p = splat<V>(1.464823817798333e-08);
        p = p * s + splat<V>(2.1508576537598856e-05);
        p = p * s + splat<V>(0.0035491781309247017);
        p = p * s + splat<V>(0.13425879180431366);
        p = p * s + splat<V>(1.0);
        V q = splat<V>(8.295128282043152e-07);
        q = q * s + splat<V>(0.0003373962244950235);
        q = q * s + splat<V>(0.026079988107085228);
        q = q * s + splat<V>(0.4675920307636261);
        q = q * s + splat<V>(1.0);
        V y = select(abs(x) >= splat<V>(8.3), splat<V>(1), a * (p / q));
        y = select(x < splat<V>(0), -y, y);
        return select(x != x, x, y);
    } else {
        return detail::each(x, [](auto v) { return std::tanh(v); });
    }
}

template <class V>
[[gnu::always_inline]] inline V erf(V x) {
    if constexpr (detail::float_vector<V>) {
        // Abramowitz & Stegun 7.1.26: 1 - (a1 t + ... + a5 t^5) e^{-x^2}, t = 1 / (1 + p |x|).
        const V a = abs(x);
        const V t = splat<V>(1) / (splat<V>(1) + splat<V>(0.3275911) * a);
        V p = splat<V>(1.061405429);
        p = p * t + splat<V>(-1.453152027);
        p = p * t + splat<V>(1.421413741);
        p = p * t + splat<V>(-0.284496736);
        p = p * t + splat<V>(0.254829592);
        const V y = splat<V>(1) - p * t * exp(-a * a);
        return select(x != x, x, select(x < splat<V>(0), -y, y));
    } else {
        return detail::each(x, [](auto v) { return std::erf(v); });
    }
}

// 1 / (1 + e^-x), as PyTorch computes it.
template <class V>
[[gnu::always_inline]] inline V sigmoid(V x) {
    return splat<V>(1) / (splat<V>(1) + exp(-x));
}

}  // namespace typenet::math
