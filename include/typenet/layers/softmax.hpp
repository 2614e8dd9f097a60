// Softmax and LogSoftmax along one dimension, like nn.Softmax(dim) and nn.LogSoftmax(dim).
// Dimensions are PyTorch's: the batch is dim 0 (which typenet keeps apart, so dim 0 is refused),
// a sample's dimensions are 1, 2, ...; negative ones count from the back.
//
//     using Probabilities = typenet::Softmax<1>;      // nn.Softmax(dim=1), over the classes of [N, C]
//     using LogProbabilities = typenet::LogSoftmax<-1>;  // nn.LogSoftmax(dim=-1)
//     static_assert(typenet::Softmax<-1>::normalized_dim(typenet::shape{3, 4, 5}) == 2);
//
// Both subtract the maximum first (no overflow), and run in vectors along the contiguous
// dimension: along the normalised dimension itself when it is the last one, otherwise across the
// positions after it (each lane normalising its own column).
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string_view>

#include "../backward.hpp"
#include "../detail/kernels/reductions.hpp"
#include "../detail/kernels/simd.hpp"
#include "../layer.hpp"
#include "../math.hpp"

namespace typenet {

namespace detail {

template <class Self, int Dim, bool Log>
struct softmax {
    static_assert(Dim != 0, "Softmax/LogSoftmax: dim 0 is the batch dimension, which typenet keeps apart. Dims count "
                            "the batch as 0, as in PyTorch: Softmax<1> normalises over a sample's first dimension, "
                            "Softmax<-1> over its last.");
    static constexpr int dim = Dim;
    static constexpr std::array<state_spec, 0> state{};
    static constexpr bool in_place = true;
    static constexpr bool sample_wise = true;

    // The normalised dimension as an index into the per-sample shape, or -1 when dim is out of range.
    static constexpr long long normalized_dim(shape in) {
        const long long rank = (long long)in.rank + 1;  // with the batch dimension
        const long long d = Dim < 0 ? Dim + rank : Dim;
        return d >= 1 && d < rank ? d - 1 : -1;
    }

    static constexpr shape_check infer(shape in) {
        if (normalized_dim(in) < 0) {
            const long long rank = (long long)in.rank + 1, d = Dim < 0 ? Dim + rank : Dim;
            return fail("Softmax/LogSoftmax: dim (first number, counted from the front with the batch as 0; 0 when a "
                        "negative dim reaches the batch or before) must lie between 1 and the input's rank with the "
                        "batch dimension (second number), excluded",
                        std::size_t(d < 0 ? 0 : d), std::size_t(rank));
        }
        return {in};
    }

    // The normalised lines of N samples: `outer` blocks of `size` values `inner` apart.
    struct lines_of {
        std::size_t size, inner, outer;
    };
    template <shape In, std::size_t N>
    static constexpr lines_of lines() {
        const std::size_t d = std::size_t(normalized_dim(In));
        std::size_t inner = 1;
        for (std::size_t i = d + 1; i < In.rank; ++i) inner *= In[i];
        return {In[d], inner, N * In.numel() / (In[d] * inner)};
    }

    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<Self, T>, const T* in, T* out) {
        constexpr lines_of l = lines<In, N>();
        constexpr std::size_t size = l.size, inner = l.inner, outer = l.outer;
        for (std::size_t o = 0; o < outer; ++o) {
            if constexpr (inner == 1) row<T, size>(in + o * size, out + o * size);
            else columns<T, size, inner>(in + o * size * inner, out + o * size * inner);
        }
    }

    // Training (backward.hpp), from the output y along each normalised line: Softmax's
    // dL/dx = y (dy - sum(dy y)); LogSoftmax's dL/dx = dy - e^y sum(dy), as PyTorch's.
    template <class T, shape In, std::size_t N>
    static void backward(const backward_pass<Self, T>& p) {
        if (!p.grad_in) return;
        constexpr lines_of l = lines<In, N>();
        constexpr std::size_t size = l.size, inner = l.inner, outer = l.outer;
        for (std::size_t o = 0; o < outer; ++o)
            for (std::size_t j = 0; j < inner; ++j) {
                const std::size_t at = o * size * inner + j;
                const T* y = p.out + at;
                const T* dy = p.grad_out + at;
                T* dx = p.grad_in + at;
                T sum = 0;
                for (std::size_t k = 0; k < size; ++k) sum += Log ? dy[k * inner] : dy[k * inner] * y[k * inner];
                for (std::size_t k = 0; k < size; ++k) {
                    if constexpr (Log) dx[k * inner] = dy[k * inner] - std::exp(y[k * inner]) * sum;
                    else dx[k * inner] = y[k * inner] * (dy[k * inner] - sum);
                }
            }
    }

private:
    // One contiguous run of Size values (in may equal out).
    template <class T, std::size_t Size>
    static void row(const T* in, T* out) {
        using S = simd<T>;
        using V = typename S::type;
        constexpr std::size_t L = S::lanes, whole = Size / L * L;
        T max = -std::numeric_limits<T>::infinity();
        if constexpr (whole > 0) {
            V m = S::load(in);
            for (std::size_t i = L; i < whole; i += L) m = math::max(m, S::load(in + i));
            for (std::size_t l = 0; l < L; ++l) max = math::max(max, T(m[l]));
        }
        for (std::size_t i = whole; i < Size; ++i) max = math::max(max, in[i]);

        const V vmax = S::broadcast(max);
        V sums = S::broadcast(T(0));
        for (std::size_t i = 0; i < whole; i += L) {
            const V e = math::exp(S::load(in + i) - vmax);
            if constexpr (!Log) S::store(out + i, e);
            sums += e;
        }
        T sum = 0;
        for (std::size_t l = 0; l < L && whole > 0; ++l) sum += sums[l];
        for (std::size_t i = whole; i < Size; ++i) {
            const T e = math::exp(in[i] - max);
            if constexpr (!Log) out[i] = e;
            sum += e;
        }

        if constexpr (Log) {
            // x - max - log(sum), as PyTorch's kernel.
            const T log_sum = std::log(sum);
            const V vlog = S::broadcast(log_sum);
            for (std::size_t i = 0; i < whole; i += L) S::store(out + i, S::load(in + i) - vmax - vlog);
            for (std::size_t i = whole; i < Size; ++i) out[i] = in[i] - max - log_sum;
        } else {
            const T scale = T(1) / sum;
            const V vscale = S::broadcast(scale);
            for (std::size_t i = 0; i < whole; i += L) S::store(out + i, S::load(out + i) * vscale);
            for (std::size_t i = whole; i < Size; ++i) out[i] *= scale;
        }
    }

    // Size rows of Inner values: every column is normalised on its own, lanes along the rows.
    template <class T, std::size_t Size, std::size_t Inner>
    static void columns(const T* in, T* out) {
        using S = simd<T>;
        using V = typename S::type;
        constexpr std::size_t L = S::lanes;
        std::size_t j = 0;
        for (; j + L <= Inner; j += L) column_block<T, V, S, Size, Inner>(in + j, out + j);
        for (; j < Inner; ++j) column_block<T, T, scalar_simd<T>, Size, Inner>(in + j, out + j);
    }

    // The columns starting at `in`: a vector of them (V = simd<T>::type) or one (V = T).
    template <class T, class V, class S, std::size_t Size, std::size_t Inner>
    [[gnu::always_inline]] static void column_block(const T* in, T* out) {
        V max = S::load(in);
        for (std::size_t k = 1; k < Size; ++k) max = math::max(max, S::load(in + k * Inner));
        V sum = S::broadcast(T(0));
        for (std::size_t k = 0; k < Size; ++k) {
            const V e = math::exp(S::load(in + k * Inner) - max);
            if constexpr (!Log) S::store(out + k * Inner, e);
            sum += e;
        }
        if constexpr (Log) {
            const V log_sum = math::detail::each(sum, [](T s) { return std::log(s); });
            for (std::size_t k = 0; k < Size; ++k) S::store(out + k * Inner, S::load(in + k * Inner) - max - log_sum);
        } else {
            const V scale = S::broadcast(T(1)) / sum;
            for (std::size_t k = 0; k < Size; ++k) S::store(out + k * Inner, S::load(out + k * Inner) * scale);
        }
    }
};

}  // namespace detail

template <int Dim>
struct Softmax : detail::softmax<Softmax<Dim>, Dim, false> {
    static constexpr std::string_view type_name = "Softmax";
};

template <int Dim>
struct LogSoftmax : detail::softmax<LogSoftmax<Dim>, Dim, true> {
    static constexpr std::string_view type_name = "LogSoftmax";
};

}  // namespace typenet
