// Elementwise operations over operands of broadcast shapes (NumPy's and PyTorch's rule: shapes
// aligned at their last dimension; in each dimension the sizes are equal or one of them is 1),
// with every stride a compile-time constant. Dimensions in which every operand is either whole or
// broadcast alike are merged first, so [C, 1, 1] * [C, H, W] runs as C rows of H*W values times a
// scalar: inner loops over contiguous values or one repeated value, which vectorise.
#pragma once

#include <array>
#include <cstddef>
#include <utility>

#include "../../shape.hpp"

namespace typenet::detail {

// The broadcast of two per-sample shapes, or false.
constexpr bool broadcast_shape(const shape& a, const shape& b, shape& out) {
    const std::size_t rank = a.rank > b.rank ? a.rank : b.rank;
    if (rank > max_rank) return false;
    shape result;
    result.rank = rank;
    for (std::size_t i = 0; i < rank; ++i) {
        const std::size_t da = i < rank - a.rank ? 1 : a[i - (rank - a.rank)];
        const std::size_t db = i < rank - b.rank ? 1 : b[i - (rank - b.rank)];
        if (da != db && da != 1 && db != 1) return false;
        result.dims[i] = da == 1 ? db : da;
    }
    out = result;
    return true;
}

template <std::size_t K>
struct broadcast_plan {
    std::size_t rank = 0;                                       // after merging
    std::size_t dims[max_rank] = {};
    std::array<std::array<std::size_t, max_rank>, K> strides{};  // per operand, 0 where broadcast
};

// K operand shapes broadcast to `out`.
template <std::size_t K>
constexpr broadcast_plan<K> plan_broadcast(const std::array<shape, K>& operands, const shape& out) {
    // Each operand's size in every dimension of `out`.
    std::array<std::array<std::size_t, max_rank>, K> sizes{};
    for (std::size_t k = 0; k < K; ++k)
        for (std::size_t i = 0; i < out.rank; ++i) {
            const std::size_t lead = out.rank - operands[k].rank;
            sizes[k][i] = i < lead ? 1 : operands[k][i - lead];
        }
    auto whole = [&](std::size_t k, std::size_t i) { return sizes[k][i] == out[i]; };
    broadcast_plan<K> p;
    std::array<std::array<bool, max_rank>, K> merged_whole{};
    for (std::size_t i = 0; i < out.rank; ++i) {
        if (out[i] == 1) continue;  // contributes nothing
        bool same = p.rank > 0;
        for (std::size_t k = 0; k < K && same; ++k) same = merged_whole[k][p.rank - 1] == whole(k, i);
        if (same) {
            p.dims[p.rank - 1] *= out[i];
        } else {
            p.dims[p.rank] = out[i];
            for (std::size_t k = 0; k < K; ++k) merged_whole[k][p.rank] = whole(k, i);
            ++p.rank;
        }
    }
    if (p.rank == 0) {  // a single value
        p.rank = 1;
        p.dims[0] = 1;
        for (std::size_t k = 0; k < K; ++k) merged_whole[k][0] = true;
    }
    for (std::size_t k = 0; k < K; ++k) {
        std::size_t stride = 1;
        for (std::size_t i = p.rank; i-- > 0;) {
            p.strides[k][i] = merged_whole[k][i] ? stride : 0;
            if (merged_whole[k][i]) stride *= p.dims[i];
        }
    }
    return p;
}

// The operands' offsets at outer index o: an odometer over the merged outer dimensions.
template <std::size_t K>
[[gnu::always_inline]] constexpr std::array<std::size_t, K> outer_offsets(const broadcast_plan<K>& p, std::size_t o) {
    std::array<std::size_t, K> base{};
    for (std::size_t i = p.rank - 1; i-- > 0;) {
        const std::size_t index = o % p.dims[i];
        o /= p.dims[i];
        for (std::size_t k = 0; k < K; ++k) base[k] += index * p.strides[k][i];
    }
    return base;
}

// out[i] = op(operands[0][...], operands[1][...], ...) folded left to right, for N samples;
// operand k holds N samples of Shapes[k]; out may be operands[0] when Shapes[0] == Out.
template <class T, auto Shapes, shape Out, std::size_t N, class Op>
[[gnu::always_inline]] inline void broadcast_apply(const std::array<const T*, Shapes.size()>& operands, T* out, Op op) {
    constexpr std::size_t K = Shapes.size();
    static constexpr broadcast_plan<K> p = plan_broadcast(Shapes, Out);
    constexpr std::size_t inner = p.dims[p.rank - 1];
    constexpr std::size_t outer_count = Out.numel() / inner;
    for (std::size_t n = 0; n < N; ++n) {
        std::array<const T*, K> sample{};
        for (std::size_t k = 0; k < K; ++k) sample[k] = operands[k] + n * Shapes[k].numel();
        T* y = out + n * Out.numel();
        for (std::size_t o = 0; o < outer_count; ++o) {
            const std::array<std::size_t, K> base = outer_offsets(p, o);
            [&]<std::size_t... J>(std::index_sequence<J...>) {
                const T* x[K] = {(sample[J] + base[J])...};
                T* row = y + o * inner;
                for (std::size_t i = 0; i < inner; ++i) {
                    // Each operand's value: contiguous, or the same one repeated (stride 0).
                    T acc = x[0][p.strides[0][p.rank - 1] ? i : 0];
                    ((J == 0 ? void() : void(acc = op(acc, x[J][p.strides[J][p.rank - 1] ? i : 0]))), ...);
                    row[i] = acc;
                }
            }(std::make_index_sequence<K>{});
        }
    }
}

// The gradient of operand J of broadcast_apply's result (training): `grad` (N samples of Shapes[J])
// gets term(g, x) summed over the output positions that read each of its values, where g is
// dL/d(out) at the position and x the operands' values there (Add: g; Mul: g times the others).
template <class T, auto Shapes, shape Out, std::size_t N, std::size_t J, class Term>
inline void broadcast_gradient(const std::array<const T*, Shapes.size()>& operands, const T* grad_out, T* grad,
                               Term term) {
    constexpr std::size_t K = Shapes.size();
    static constexpr broadcast_plan<K> p = plan_broadcast(Shapes, Out);
    constexpr std::size_t inner = p.dims[p.rank - 1];
    constexpr std::size_t outer_count = Out.numel() / inner;
    for (std::size_t i = 0; i < N * Shapes[J].numel(); ++i) grad[i] = T(0);
    for (std::size_t n = 0; n < N; ++n) {
        std::array<const T*, K> sample{};
        for (std::size_t k = 0; k < K; ++k) sample[k] = operands[k] + n * Shapes[k].numel();
        const T* g = grad_out + n * Out.numel();
        T* target = grad + n * Shapes[J].numel();
        for (std::size_t o = 0; o < outer_count; ++o) {
            const std::array<std::size_t, K> base = outer_offsets(p, o);
            for (std::size_t i = 0; i < inner; ++i) {
                std::array<T, K> x{};
                for (std::size_t k = 0; k < K; ++k) x[k] = sample[k][base[k] + (p.strides[k][p.rank - 1] ? i : 0)];
                target[base[J] + (p.strides[J][p.rank - 1] ? i : 0)] += term(g[o * inner + i], x);
            }
        }
    }
}

}  // namespace typenet::detail
