// Sums, means and variances for the normalisation layers and Softmax, in vectors of the target's
// width (simd.hpp). Kernels that work on columns (a vector's lanes are neighbouring columns, each
// reduced on its own) are written once for a vector and for one column, `scalar_simd<T>` standing
// in for `simd<T>` in the latter.
#pragma once

#include <cmath>
#include <cstddef>

#include "../../math.hpp"
#include "simd.hpp"

namespace typenet::detail {

// simd<T>'s interface over one value: the edge columns of a column kernel.
template <class T>
struct scalar_simd {
    using type = T;
    static constexpr std::size_t lanes = 1;
    [[gnu::always_inline]] static T load(const T* p) { return *p; }
    [[gnu::always_inline]] static void store(T* p, T v) { *p = v; }
    [[gnu::always_inline]] static T broadcast(T v) { return v; }
};

// 1 / sqrt(v), lane by lane: as exact as the C library, and once per normalised group only.
template <class V>
[[gnu::always_inline]] inline V reciprocal_sqrt(V v) {
    return math::detail::each(v, [](auto x) { return decltype(x)(1) / std::sqrt(x); });
}

// The sum of Count contiguous values.
template <class T, std::size_t Count>
[[gnu::always_inline]] inline T sum_of(const T* x) {
    using S = simd<T>;
    constexpr std::size_t L = S::lanes, whole = Count / L * L;
    T sum = 0;
    if constexpr (whole > 0) {
        // Four accumulators: independent additions, and a sum less sensitive to the order.
        typename S::type acc[4] = {S::broadcast(0), S::broadcast(0), S::broadcast(0), S::broadcast(0)};
        for (std::size_t i = 0; i < whole; i += L) acc[(i / L) % 4] += S::load(x + i);
        const typename S::type total = (acc[0] + acc[1]) + (acc[2] + acc[3]);
        for (std::size_t l = 0; l < L; ++l) sum += total[l];
    }
    for (std::size_t i = whole; i < Count; ++i) sum += x[i];
    return sum;
}

// The sum of (x - mean)^2 over Count contiguous values.
template <class T, std::size_t Count>
[[gnu::always_inline]] inline T squared_deviations(const T* x, T mean) {
    using S = simd<T>;
    constexpr std::size_t L = S::lanes, whole = Count / L * L;
    T sum = 0;
    if constexpr (whole > 0) {
        const typename S::type m = S::broadcast(mean);
        typename S::type acc[4] = {S::broadcast(0), S::broadcast(0), S::broadcast(0), S::broadcast(0)};
        for (std::size_t i = 0; i < whole; i += L) {
            const typename S::type d = S::load(x + i) - m;
            acc[(i / L) % 4] += d * d;
        }
        const typename S::type total = (acc[0] + acc[1]) + (acc[2] + acc[3]);
        for (std::size_t l = 0; l < L; ++l) sum += total[l];
    }
    for (std::size_t i = whole; i < Count; ++i) sum += (x[i] - mean) * (x[i] - mean);
    return sum;
}

template <class T>
struct moments {
    T mean, variance;  // the biased variance, as PyTorch's normalisation layers use
};

// Mean and variance of Count contiguous values, in two passes (no cancellation).
template <class T, std::size_t Count>
[[gnu::always_inline]] inline moments<T> moments_of(const T* x) {
    const T mean = sum_of<T, Count>(x) / T(Count);
    return {mean, squared_deviations<T, Count>(x, mean) / T(Count)};
}

// y = x * scale + shift over Count contiguous values (in may equal out).
template <class T, std::size_t Count>
[[gnu::always_inline]] inline void scale_and_shift(const T* in, T* out, T scale, T shift) {
    using S = simd<T>;
    constexpr std::size_t L = S::lanes, whole = Count / L * L;
    const typename S::type s = S::broadcast(scale), b = S::broadcast(shift);
    for (std::size_t i = 0; i < whole; i += L) S::store(out + i, S::load(in + i) * s + b);
    for (std::size_t i = whole; i < Count; ++i) out[i] = in[i] * scale + shift;
}

}  // namespace typenet::detail
