// Vectors as wide as the target's registers: 64 bytes with AVX-512, 32 with AVX, 16 otherwise.
// The width comes from the compiler's target (-march), never from an assumption; the kernels are
// written once over `simd<T>::lanes` with GCC/Clang vector extensions.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <type_traits>
#include <utility>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

namespace typenet::detail {

#if defined(__AVX512F__)
inline constexpr std::size_t vector_bytes = 64;
#elif defined(__AVX__)
inline constexpr std::size_t vector_bytes = 32;
#else
inline constexpr std::size_t vector_bytes = 16;
#endif

// Bytes: the target's widest by default; 16 or 32 for kernels whose rows are shorter than that.
template <class T, std::size_t Bytes = vector_bytes>
struct simd {
    static constexpr std::size_t lanes = Bytes / sizeof(T);
    typedef T type __attribute__((vector_size(Bytes)));
    // The same vector at any element alignment, and allowed to alias T.
    typedef T unaligned __attribute__((vector_size(Bytes), aligned(sizeof(T)), may_alias));

    [[gnu::always_inline]] static type load(const T* p) { return *reinterpret_cast<const unaligned*>(p); }
    [[gnu::always_inline]] static void store(T* p, type v) { *reinterpret_cast<unaligned*>(p) = v; }
    // Written lane by lane so that compilers emit one broadcast (a `type{} + x` would add -0.0 first).
    [[gnu::always_inline]] static type broadcast(T x) { return splat(x, std::make_index_sequence<lanes>{}); }

    // Square roots, correctly rounded as IEEE asks (the instruction; std::sqrt does not vectorise
    // where it may set errno).
    [[gnu::always_inline]] static type sqrt(type v) {
#if defined(__AVX512F__)
        // The masked forms: GCC 12's _mm512_sqrt_ps starts from an uninitialised vector and warns.
        if constexpr (Bytes == 64 && std::is_same_v<T, float>) return _mm512_mask_sqrt_ps(v, __mmask16(0xFFFF), v);
        if constexpr (Bytes == 64 && std::is_same_v<T, double>) return _mm512_mask_sqrt_pd(v, __mmask8(0xFF), v);
#endif
#if defined(__AVX__)
        if constexpr (Bytes == 32 && std::is_same_v<T, float>) return _mm256_sqrt_ps(v);
        if constexpr (Bytes == 32 && std::is_same_v<T, double>) return _mm256_sqrt_pd(v);
#endif
#if defined(__SSE2__)
        if constexpr (Bytes == 16 && std::is_same_v<T, float>) return _mm_sqrt_ps(v);
        if constexpr (Bytes == 16 && std::is_same_v<T, double>) return _mm_sqrt_pd(v);
#endif
        type r{};
        for (std::size_t i = 0; i < lanes; ++i) r[i] = std::sqrt(v[i]);
        return r;
    }

    // Lane i of the result is the sum of the lanes of v[i], for lanes vectors: a transpose-and-add
    // tree of log2(lanes) levels instead of lanes separate horizontal sums.
    [[gnu::always_inline]] static type sums(const type* v) {
        type ordered[lanes];
        #pragma GCC unroll 16
        for (std::size_t i = 0; i < lanes; ++i) ordered[i] = v[bit_reversed[i]];
        return tree<lanes, lanes / 2>(ordered);
    }

    // Transposes lanes x lanes values in place: afterwards v[i][l] is what v[l][i] was. log2(lanes)
    // rounds, each exchanging blocks of half the previous size between pairs of vectors.
    [[gnu::always_inline]] static void transpose(type* v) { transpose_round<lanes / 2>(v); }

private:
    template <std::size_t Half>
    [[gnu::always_inline]] static void transpose_round(type* v) {
        if constexpr (Half > 0) {
            #pragma GCC unroll 16
            for (std::size_t i = 0; i < lanes; ++i)
                if ((i & Half) == 0) {
                    const type a = v[i], b = v[i + Half];
                    v[i] = exchange_low<Half>(a, b, std::make_index_sequence<lanes>{});
                    v[i + Half] = exchange_high<Half>(a, b, std::make_index_sequence<lanes>{});
                }
            transpose_round<Half / 2>(v);
        }
    }
    template <std::size_t Half, std::size_t... I>
    [[gnu::always_inline]] static type exchange_low(type a, type b, std::index_sequence<I...>) {
        return __builtin_shufflevector(a, b, ((I & Half) ? lanes + I - Half : I)...);
    }
    template <std::size_t Half, std::size_t... I>
    [[gnu::always_inline]] static type exchange_high(type a, type b, std::index_sequence<I...>) {
        return __builtin_shufflevector(a, b, ((I & Half) ? lanes + I : I + Half)...);
    }

    template <std::size_t... I>
    [[gnu::always_inline]] static type splat(T x, std::index_sequence<I...>) {
        return type{((void)I, x)...};
    }
    // i with its log2(lanes) bits reversed, for every i: a table, so that sums() indexes with
    // constants (a call in the loop is left unevaluated at -O2, and the vectors go to memory).
    static constexpr auto bit_reversed = [] {
        std::array<std::size_t, lanes> out{};
        for (std::size_t i = 0; i < lanes; ++i)
            for (std::size_t bit = 1; bit < lanes; bit <<= 1) out[i] = (out[i] << 1) | ((i & bit) ? 1 : 0);
        return out;
    }();
    // Adds the halves of blocks of size 2*Half: lanes of `a` fill the even blocks, lanes of `b` the odd ones.
    template <std::size_t Half, std::size_t... I>
    [[gnu::always_inline]] static type fold(type a, type b, std::index_sequence<I...>) {
        const type low = __builtin_shufflevector(a, b, ((I / Half) % 2 == 0 ? I : lanes + I - Half)...);
        const type high = __builtin_shufflevector(a, b, ((I / Half) % 2 == 0 ? I + Half : lanes + I)...);
        return low + high;
    }
    template <std::size_t Count, std::size_t Half>
    [[gnu::always_inline]] static type tree(const type* v) {
        if constexpr (Count == 1) {
            return v[0];
        } else {
            type next[Count / 2];
            #pragma GCC unroll 16
            for (std::size_t i = 0; i < Count / 2; ++i)
                next[i] = fold<Half>(v[2 * i], v[2 * i + 1], std::make_index_sequence<lanes>{});
            return tree<Count / 2, Half / 2>(next);
        }
    }
};

// A vector of Bytes bytes (16 or 32, narrower than the target's widest), loaded and stored at any
// element alignment: for the few values a short row leaves after its whole vectors.
template <class T, std::size_t Bytes>
using narrow_simd = simd<T, Bytes>;

// The vectors for dot products along rows of the lengths K...: the target's widest, unless a row
// that short would leave a good part of it to scalar tails (a GRU with 4 inputs, a convolution
// window of 24 values under AVX-512); then the widest whose lanes divide every length.
template <class T, std::size_t... K>
constexpr std::size_t dot_vector_bytes() {
    for (std::size_t bytes = vector_bytes; bytes >= 16; bytes /= 2) {
        const std::size_t lanes = bytes / sizeof(T);
        if (((K % lanes == 0 || (bytes == vector_bytes && K >= 2 * lanes)) && ...)) return bytes;
    }
    return vector_bytes;
}

constexpr std::size_t round_up(std::size_t n, std::size_t multiple) { return (n + multiple - 1) / multiple * multiple; }

}  // namespace typenet::detail
