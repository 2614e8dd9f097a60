// Matrix products for the layers' kernels, with every size a compile-time constant.
//
// gemm: C = A B (+ a bias per row of C), A broadcast element by element, B and C walked in
// vectors. Layers arrange their activations so that B is them (im2col rows for Conv2d, the
// transposed input for Linear) and A is the weights in PyTorch's own layout: no weight is ever
// repacked, so the model's state block stays the single source of truth.
//
// dot_rows: y[n] = x . W[n] for a few rows x (Linear on one sample), W in PyTorch's layout.
#pragma once

#include <algorithm>
#include <cstddef>
#include <type_traits>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "simd.hpp"

namespace typenet::detail {

// Registers available for a tile: 32 vector registers with AVX-512, 16 otherwise.
inline constexpr std::size_t vector_registers = vector_bytes == 64 ? 32 : 16;

// C[M][N] = A[M][K] B[K][N] (+ bias[m] on row m), then Act::apply (an elementwise layer, see
// elementwise.hpp) unless Act is void. Row strides: K for A,
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

    template <class Act = void>
    [[gnu::always_inline]] static void run(const T* A, const T* B, T* C, const T* bias) {
#ifdef _OPENMP
        if constexpr (M * N * K >= parallel_work && M >= 2 * MR) {
            if (!omp_in_parallel() && omp_get_max_threads() > 1) {
#pragma omp parallel
                run_share<Act>(A, B, C, bias, std::size_t(omp_get_thread_num()), std::size_t(omp_get_num_threads()));
                return;
            }
        }
#endif
        rows<Act>(A, B, C, bias, 0, M);
    }

    // The rows of C that share `share` of `shares` computes: whole tiles of MR rows, the last share
    // taking the rows left over. Callers already on several threads split a product this way.
    template <class Act = void>
    [[gnu::always_inline]] static void run_share(const T* A, const T* B, T* C, const T* bias, std::size_t share,
                                                 std::size_t shares) {
        const std::size_t tiles = M / MR, per_share = (tiles + shares - 1) / shares;
        const std::size_t begin = std::min(tiles, share * per_share) * MR;
        const std::size_t end = share + 1 == shares ? M : std::min(tiles, (share + 1) * per_share) * MR;
        rows<Act>(A, B, C, bias, begin, end);
    }

private:
    // Rows [m_begin, m_end) of C; m_begin is a multiple of MR.
    template <class Act>
    [[gnu::always_inline]] static void rows(const T* A, const T* B, T* C, const T* bias, std::size_t m_begin,
                                            std::size_t m_end) {
        for (std::size_t n0 = 0; n0 + NV * L <= N; n0 += NV * L) panel<NV, Act>(A, B, C, bias, n0, m_begin, m_end);
        if constexpr (vectors % NV != 0)
            panel<vectors % NV, Act>(A, B, C, bias, N - (vectors % NV) * L, m_begin, m_end);
    }

    template <std::size_t NVt, class Act>
    [[gnu::always_inline]] static void panel(const T* A, const T* B, T* C, const T* bias, std::size_t n0,
                                             std::size_t m_begin, std::size_t m_end) {
        for (std::size_t k0 = 0; k0 < K; k0 += KC) {
            const std::size_t k1 = k0 + KC < K ? k0 + KC : K;
            std::size_t m0 = m_begin;
            for (; m0 + MR <= m_end; m0 += MR) tile<MR, NVt, Act>(A, B, C, bias, m0, n0, k0, k1);
            if constexpr (M % MR != 0)
                if (m0 < m_end) tile<M % MR, NVt, Act>(A, B, C, bias, m0, n0, k0, k1);
        }
    }

    template <std::size_t MRt, std::size_t NVt, class Act>
    [[gnu::always_inline]] static void tile(const T* A, const T* B, T* C, const T* bias, std::size_t m0,
                                            std::size_t n0, std::size_t k0, std::size_t k1) {
        V acc[MRt][NVt];
        for (std::size_t i = 0; i < MRt; ++i)
            for (std::size_t j = 0; j < NVt; ++j)
                acc[i][j] = k0 == 0 ? V{} : S::load(C + (m0 + i) * N + n0 + j * L);
        for (std::size_t k = k0; k < k1; ++k) {
            V b[NVt];
            for (std::size_t j = 0; j < NVt; ++j) b[j] = S::load(B + k * N + n0 + j * L);
            for (std::size_t i = 0; i < MRt; ++i) {
                const V a = S::broadcast(A[(m0 + i) * K + k]);
                for (std::size_t j = 0; j < NVt; ++j) acc[i][j] += a * b[j];
            }
        }
        const bool last = k1 == K;
        for (std::size_t i = 0; i < MRt; ++i) {
            const V add = (last && bias) ? S::broadcast(bias[m0 + i]) : V{};
            for (std::size_t j = 0; j < NVt; ++j) {
                V v = acc[i][j] + add;
                if constexpr (!std::is_void_v<Act>)
                    if (last) v = Act::apply(v);
                S::store(C + (m0 + i) * N + n0 + j * L, v);
            }
        }
    }
};

// y[r][n] = x[r] . W[n] (+ bias[n]) for R rows x of length K and N rows W of length K, all
// contiguous: Linear on a handful of samples, where the weights are read once and memory speed
// is what counts. Vectors run along K; a tile's sums are finished with simd::sums.
template <class T, std::size_t R, std::size_t N, std::size_t K>
struct dot_rows {
    using S = simd<T>;
    using V = typename S::type;
    static constexpr std::size_t L = S::lanes;
    static constexpr std::size_t NR = L;  // rows of W per tile: one vector of results
    static constexpr std::size_t K_vectors = K / L;

    [[gnu::always_inline]] static void run(const T* x, const T* W, T* y, const T* bias) {
        for (std::size_t r = 0; r < R; ++r) {
            std::size_t n0 = 0;
            for (; n0 + NR <= N; n0 += NR) {
                V acc[NR];
                for (std::size_t j = 0; j < NR; ++j) acc[j] = V{};
                for (std::size_t kv = 0; kv < K_vectors; ++kv) {
                    const V xv = S::load(x + r * K + kv * L);
                    for (std::size_t j = 0; j < NR; ++j) acc[j] += xv * S::load(W + (n0 + j) * K + kv * L);
                }
                V out = S::sums(acc);
                if constexpr (K % L != 0)
                    for (std::size_t j = 0; j < NR; ++j)
                        for (std::size_t k = K_vectors * L; k < K; ++k) out[j] += x[r * K + k] * W[(n0 + j) * K + k];
                if (bias) out += S::load(bias + n0);
                S::store(y + r * N + n0, out);
            }
            for (; n0 < N; ++n0) {  // the last rows of W, fewer than a vector
                V acc{};
                for (std::size_t kv = 0; kv < K_vectors; ++kv)
                    acc += S::load(x + r * K + kv * L) * S::load(W + n0 * K + kv * L);
                T sum = 0;
                for (std::size_t l = 0; l < L; ++l) sum += acc[l];
                for (std::size_t k = K_vectors * L; k < K; ++k) sum += x[r * K + k] * W[n0 * K + k];
                y[r * N + n0] = bias ? sum + bias[n0] : sum;
            }
        }
    }
};

}  // namespace typenet::detail
