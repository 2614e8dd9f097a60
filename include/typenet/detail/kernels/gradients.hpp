// Matrix products of the backward passes (backward.hpp), every size a compile-time constant. The
// gradients of a layer y = x W^T are products with one operand transposed; these take both in
// PyTorch's layouts and transpose the small one into scratch.
#pragma once

#include <cstddef>

#include "common.hpp"
#include "gemm.hpp"
#include "simd.hpp"

namespace typenet::detail {

// C = A B, or C += A B with Accumulate, for row-major A [M][K], B [K][N], C [M][N]: the gemm kernel
// when N is a whole number of vectors, plain loops (vectorised by the compiler) otherwise.
template <class T, std::size_t M, std::size_t N, std::size_t K, bool Accumulate>
inline void product(const T* A, const T* B, T* C) {
    if constexpr (N % simd<T>::lanes == 0) {
        gemm<T, M, N, K>::template run<void, Accumulate>(A, B, C, nullptr);
    } else {
        for (std::size_t m = 0; m < M; ++m) {
            T* row = C + m * N;
            if constexpr (!Accumulate)
                for (std::size_t n = 0; n < N; ++n) row[n] = T(0);
            for (std::size_t k = 0; k < K; ++k) {
                const T a = A[m * K + k];
                const T* b = B + k * N;
                for (std::size_t n = 0; n < N; ++n) row[n] += a * b[n];
            }
        }
    }
}

// C += A^T B for row-major A [R][M], B [R][N], C [M][N]: a weight's gradient, summed over R rows
// (A the output's gradient, B the input). `scratch` holds M x R scalars (A transposed).
template <class T, std::size_t R, std::size_t M, std::size_t N>
inline void add_transposed_product(const T* A, const T* B, T* C, T* scratch) {
    to_columns<T, R, M, R>(A, scratch);
    product<T, M, N, R, true>(scratch, B, C);
}

// sums[c] += sum over r of A[r][c], A [R][C] row-major: a bias's gradient.
template <class T, std::size_t R, std::size_t C>
inline void add_column_sums(const T* A, T* sums) {
    for (std::size_t r = 0; r < R; ++r)
        for (std::size_t c = 0; c < C; ++c) sums[c] += A[r * C + c];
}

}  // namespace typenet::detail
