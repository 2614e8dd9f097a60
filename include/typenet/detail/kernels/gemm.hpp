// Matrix products for the layers' kernels, with every size a compile-time constant.
//
// gemm: C = A B (+ a bias per row of C), A broadcast element by element, B and C walked in
// vectors. Layers arrange their activations so that B is them (im2col rows for Conv2d, the
// transposed input for Linear) and A is the weights in PyTorch's own layout: no weight is ever
// repacked, so the model's state block stays the single source of truth.
//
// dot_rows: y[n] = x . W[n] for a few rows x (Linear on one sample), W in PyTorch's layout.
//
// The loops over a tile's accumulators carry `#pragma GCC unroll`: GCC unrolls them fully at -O3
// but not at -O2 (CMake's RelWithDebInfo), where the accumulators would then live in memory and
// every kernel here ran 3 to 4 times slower.
#pragma once

#include <algorithm>
#include <cstddef>
#include <utility>
#include <type_traits>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "simd.hpp"

namespace typenet::detail {

// Registers available for a tile: 32 vector registers with AVX-512, 16 otherwise.
inline constexpr std::size_t vector_registers = vector_bytes == 64 ? 32 : 16;

// C[M][N] = A[M][K] B[K][N] (+ bias[m] on row m), then Act::apply (an elementwise layer, see
// elementwise.hpp) unless Act is void; with Accumulate, C += A B (gradients). Row strides: K for A,
// N for B and C. N must be a multiple of simd<T>::lanes (callers pad).
template <class T, std::size_t M, std::size_t N, std::size_t K, std::size_t MR_override = 0, std::size_t NV_override = 0,
          std::size_t KC_override = 0>
struct gemm {
    using S = simd<T>;
    using V = typename S::type;
    static constexpr std::size_t L = S::lanes;
    static_assert(N % L == 0, "gemm: pad N to a multiple of the vector width");
    static constexpr std::size_t vectors = N / L;
    // Tile: MR rows of A by NV vectors of B, MR * NV accumulators + NV vectors of B + 1 broadcast.
    static constexpr std::size_t NV_default = vectors < (vector_registers == 32 ? 4 : 2) ? vectors : (vector_registers == 32 ? 4 : 2);
    static constexpr std::size_t NV = NV_override ? NV_override : NV_default;
    static constexpr std::size_t MR_max = (vector_registers - NV - 2) / NV < 6 ? (vector_registers - NV - 2) / NV : 6;
    static constexpr std::size_t MR = MR_override ? MR_override : (M < MR_max ? M : MR_max);
    // Rows of B per pass: NV vectors by KC rows fill about 32 KiB, half of a typical L1.
    static constexpr std::size_t KC_budget = 32768 / (NV * L * sizeof(T));
    static constexpr std::size_t KC = KC_override ? KC_override : (K < KC_budget ? K : (KC_budget > 0 ? KC_budget : 1));

    // Products of at least this many multiply-adds are split across OpenMP threads by rows of C,
    // when the caller is not already running on several threads.
    static constexpr std::size_t parallel_work = std::size_t(1) << 21;

    template <class Act = void, bool Accumulate = false>
    [[gnu::always_inline]] static void run(const T* A, const T* B, T* C, const T* bias) {
#ifdef _OPENMP
        if constexpr (M * N * K >= parallel_work && M >= 2 * MR) {
            if (!omp_in_parallel() && omp_get_max_threads() > 1) {
#pragma omp parallel
                run_share<Act, Accumulate>(A, B, C, bias, std::size_t(omp_get_thread_num()),
                                           std::size_t(omp_get_num_threads()));
                return;
            }
        }
#endif
        rows<Act, Accumulate>(A, B, C, bias, 0, M);
    }

    // The rows of C that share `share` of `shares` computes: whole tiles of MR rows, the last share
    // taking the rows left over. Callers already on several threads split a product this way.
    template <class Act = void, bool Accumulate = false>
    [[gnu::always_inline]] static void run_share(const T* A, const T* B, T* C, const T* bias, std::size_t share,
                                                 std::size_t shares) {
        const std::size_t tiles = M / MR, per_share = (tiles + shares - 1) / shares;
        const std::size_t begin = std::min(tiles, share * per_share) * MR;
        const std::size_t end = share + 1 == shares ? M : std::min(tiles, (share + 1) * per_share) * MR;
        rows<Act, Accumulate>(A, B, C, bias, begin, end);
    }

private:
    // Rows [m_begin, m_end) of C; m_begin is a multiple of MR.
    template <class Act, bool Accumulate>
    [[gnu::always_inline]] static void rows(const T* A, const T* B, T* C, const T* bias, std::size_t m_begin,
                                            std::size_t m_end) {
        for (std::size_t n0 = 0; n0 + NV * L <= N; n0 += NV * L) panel<NV, Act, Accumulate>(A, B, C, bias, n0, m_begin, m_end);
        if constexpr (vectors % NV != 0)
            panel<vectors % NV, Act, Accumulate>(A, B, C, bias, N - (vectors % NV) * L, m_begin, m_end);
    }

    template <std::size_t NVt, class Act, bool Accumulate>
    [[gnu::always_inline]] static void panel(const T* A, const T* B, T* C, const T* bias, std::size_t n0,
                                             std::size_t m_begin, std::size_t m_end) {
        for (std::size_t k0 = 0; k0 < K; k0 += KC) {
            const std::size_t k1 = k0 + KC < K ? k0 + KC : K;
            std::size_t m0 = m_begin;
            for (; m0 + MR <= m_end; m0 += MR) tile<MR, NVt, Act, Accumulate>(A, B, C, bias, m0, n0, k0, k1);
            if constexpr (M % MR != 0)
                if (m0 < m_end) tile<M % MR, NVt, Act, Accumulate>(A, B, C, bias, m0, n0, k0, k1);
        }
    }

    template <std::size_t MRt, std::size_t NVt, class Act, bool Accumulate>
    [[gnu::always_inline]] static void tile(const T* A, const T* B, T* C, const T* bias, std::size_t m0,
                                            std::size_t n0, std::size_t k0, std::size_t k1) {
        V acc[MRt][NVt];
        #pragma GCC unroll 16
        for (std::size_t i = 0; i < MRt; ++i)
            #pragma GCC unroll 16
            for (std::size_t j = 0; j < NVt; ++j)
                acc[i][j] = k0 == 0 && !Accumulate ? V{} : S::load(C + (m0 + i) * N + n0 + j * L);
        for (std::size_t k = k0; k < k1; ++k) {
            V b[NVt];
            #pragma GCC unroll 16
            for (std::size_t j = 0; j < NVt; ++j) b[j] = S::load(B + k * N + n0 + j * L);
            #pragma GCC unroll 16
            for (std::size_t i = 0; i < MRt; ++i) {
                const V a = S::broadcast(A[(m0 + i) * K + k]);
                #pragma GCC unroll 16
                for (std::size_t j = 0; j < NVt; ++j) acc[i][j] += a * b[j];
            }
        }
        const bool last = k1 == K;
        #pragma GCC unroll 16
        for (std::size_t i = 0; i < MRt; ++i) {
            const V add = (last && bias) ? S::broadcast(bias[m0 + i]) : V{};
            #pragma GCC unroll 16
            for (std::size_t j = 0; j < NVt; ++j) {
                V v = acc[i][j] + add;
                if constexpr (!std::is_void_v<Act>)
                    if (last) v = Act::apply(v);
                S::store(C + (m0 + i) * N + n0 + j * L, v);
            }
        }
    }
};

// Rows 0 .. Rows - 1 (at most a vector's lanes) of y = W1 x1 + W2 x2 (+ b1 + b2), W1 [Rows][K1] and
// W2 [Rows][K2] row-major, K2 = 0 for one product: vectors run along K, each row's sums are
// finished together with S::sums (a transpose-and-add tree, log2(lanes) deep, however few rows).
template <class T, class S, std::size_t Rows, std::size_t K1, std::size_t K2>
[[gnu::always_inline]] inline void dot_tile(const T* x1, const T* W1, const T* x2, const T* W2, T* y, const T* b1,
                                            const T* b2) {
    using V = typename S::type;
    constexpr std::size_t L = S::lanes;
    V acc[L];
    #pragma GCC unroll 16
    for (std::size_t j = 0; j < L; ++j) acc[j] = V{};
    #pragma GCC unroll 16
    for (std::size_t kv = 0; kv < K1 / L; ++kv) {
        const V xv = S::load(x1 + kv * L);
        #pragma GCC unroll 16
        for (std::size_t j = 0; j < Rows; ++j) acc[j] += xv * S::load(W1 + j * K1 + kv * L);
    }
    #pragma GCC unroll 16
    for (std::size_t kv = 0; kv < K2 / L; ++kv) {
        const V xv = S::load(x2 + kv * L);
        #pragma GCC unroll 16
        for (std::size_t j = 0; j < Rows; ++j) acc[j] += xv * S::load(W2 + j * K2 + kv * L);
    }
    V out{};
    if constexpr (K1 / L + K2 / L > 0) out = S::sums(acc);  // rows shorter than a vector: tails only
    if constexpr (K1 % L != 0)
        #pragma GCC unroll 16
        for (std::size_t j = 0; j < Rows; ++j)
            for (std::size_t k = K1 / L * L; k < K1; ++k) out[j] += x1[k] * W1[j * K1 + k];
    if constexpr (K2 % L != 0)
        #pragma GCC unroll 16
        for (std::size_t j = 0; j < Rows; ++j)
            for (std::size_t k = K2 / L * L; k < K2; ++k) out[j] += x2[k] * W2[j * K2 + k];
    if constexpr (Rows == L) {
        if (b1) out += b2 ? S::load(b1) + S::load(b2) : S::load(b1);
        S::store(y, out);
    } else if constexpr (Rows * sizeof(T) == 16 || Rows * sizeof(T) == 32) {
        // The first Rows lanes as one narrower vector, stored at once: the next layer's vector load
        // of these values is then forwarded from one store, not stalled behind Rows of them.
        using N = simd<T, Rows * sizeof(T)>;
        typename N::type part = [&]<std::size_t... I>(std::index_sequence<I...>) {
            return typename N::type{out[I]...};
        }(std::make_index_sequence<Rows>{});
        if (b1) part += b2 ? N::load(b1) + N::load(b2) : N::load(b1);
        N::store(y, part);
    } else {
        #pragma GCC unroll 16
        for (std::size_t j = 0; j < Rows; ++j) y[j] = b1 ? out[j] + (b2 ? b1[j] + b2[j] : b1[j]) : out[j];
    }
}

// y[r][n] = x[r] . W[n] (+ bias[n]) for R rows x of length K and N rows W of length K, all
// contiguous: Linear on a handful of samples, where the weights are read once and memory speed
// is what counts. Tiles of a vector's lanes of rows of W (dot_tile).
template <class T, std::size_t R, std::size_t N, std::size_t K>
struct dot_rows {
    using S = simd<T, dot_vector_bytes<T, K>()>;
    static constexpr std::size_t NR = S::lanes;  // rows of W per tile: one vector of results

    // Tiles of W outside, rows of x inside: a tile read from memory serves every row. Each value
    // is computed as with R = 1.
    [[gnu::always_inline]] static void run(const T* x, const T* W, T* y, const T* bias) {
        for (std::size_t n0 = 0; n0 + NR <= N; n0 += NR)
            for (std::size_t r = 0; r < R; ++r)
                dot_tile<T, S, NR, K, 0>(x + r * K, W + n0 * K, x, W, y + r * N + n0, bias ? bias + n0 : nullptr,
                                         nullptr);
        if constexpr (N % NR != 0) {  // the last rows of W, fewer than a vector
            constexpr std::size_t n0 = N / NR * NR;
            for (std::size_t r = 0; r < R; ++r)
                dot_tile<T, S, N % NR, K, 0>(x + r * K, W + n0 * K, x, W, y + r * N + n0, bias ? bias + n0 : nullptr,
                                             nullptr);
        }
    }
};

}  // namespace typenet::detail
