// Transpose: swaps two dimensions of a sample, like torch.transpose(x, dim0, dim1) (x.transpose(1, 2))
// in a module's forward. Dimensions are counted as PyTorch counts them on the batched tensor: the
// batch is dim 0 (which typenet keeps apart, so 0 is refused), a sample's dimensions are 1, 2, ...;
// negative ones count from the back. The usual case: a Conv1d's [C, L] to a recurrent layer's [T, F].
//
//     using ChannelsLast = typenet::Transpose<1, 2>;           // x.transpose(1, 2) on [N, C, L]
//     static_assert(ChannelsLast::infer({16, 100}).output == typenet::shape{100, 16});
//     static_assert(typenet::Transpose<-1, 1>::infer({2, 3, 4}).output == typenet::shape{4, 3, 2});
//
// In a Stream (stream.hpp) a step of a [C, L] or [T, F] sample has one dimension left, and
// Transpose of the two steps as the identity; a step of higher rank is refused (which of its
// dimensions is time is not known to the layer).
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "../backward.hpp"
#include "../detail/kernels/common.hpp"
#include "../layer.hpp"

namespace typenet {

template <int Dim0, int Dim1>
struct Transpose : detail::identity_step<Transpose<Dim0, Dim1>> {
    static_assert(Dim0 != 0 && Dim1 != 0,
                  "Transpose: dim 0 is the batch dimension, which typenet keeps apart. Dims count the batch as 0, "
                  "as in PyTorch: Transpose<1, 2> swaps a sample's first two dimensions.");
    static constexpr std::string_view type_name = "Transpose";
    static constexpr std::array<state_spec, 0> state{};
    static constexpr bool sample_wise = true;

    // A dim as an index into the per-sample shape of rank `rank`, or -1 when out of range.
    static constexpr long long sample_dim(int dim, std::size_t rank) {
        const long long batched = (long long)rank + 1, d = dim < 0 ? dim + batched : dim;
        return d >= 1 && d < batched ? d - 1 : -1;
    }

    static constexpr shape_check infer(shape in) {
        for (int dim : {Dim0, Dim1})
            if (sample_dim(dim, in.rank) < 0) {
                const long long batched = (long long)in.rank + 1, d = dim < 0 ? dim + batched : dim;
                return fail("Transpose: each dim (first number, counted from the front with the batch as 0; 0 when a "
                            "negative dim reaches the batch or before) must lie between 1 and the input's rank with "
                            "the batch dimension (second number), excluded",
                            std::size_t(d < 0 ? 0 : d), std::size_t(batched));
            }
        shape out = in;
        out.dims[std::size_t(sample_dim(Dim0, in.rank))] = in[std::size_t(sample_dim(Dim1, in.rank))];
        out.dims[std::size_t(sample_dim(Dim1, in.rank))] = in[std::size_t(sample_dim(Dim0, in.rank))];
        return {out};
    }

    // [outer, A, middle, B, inner] -> [outer, B, middle, A, inner], A and B the swapped dimensions.
    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<Transpose, T>, const T* in, T* out) {
        constexpr long long d0 = sample_dim(Dim0, In.rank), d1 = sample_dim(Dim1, In.rank);
        constexpr std::size_t p = std::size_t(d0 < d1 ? d0 : d1), q = std::size_t(d0 < d1 ? d1 : d0);
        constexpr auto product = [](std::size_t from, std::size_t to) {
            std::size_t n = 1;
            for (std::size_t i = from; i < to; ++i) n *= In[i];
            return n;
        };
        constexpr std::size_t A = In[p], B = In[q], middle = product(p + 1, q), inner = product(q + 1, In.rank);
        constexpr std::size_t outer = N * product(0, p);
        for (std::size_t o = 0; o < outer; ++o)
            for (std::size_t b = 0; b < B; ++b)
                for (std::size_t m = 0; m < middle; ++m)
                    for (std::size_t a = 0; a < A; ++a)
                        for (std::size_t i = 0; i < inner; ++i)
                            out[(((o * B + b) * middle + m) * A + a) * inner + i] =
                                in[(((o * A + a) * middle + m) * B + b) * inner + i];
    }

    // Training (backward.hpp): the gradient transposed back, the same swap on the output's shape.
    template <class T, shape In, std::size_t N>
    static void backward(const backward_pass<Transpose, T>& p) {
        if (p.grad_in) propagate<T, infer(In).output, N>({nullptr}, p.grad_out, p.grad_in);
    }

    // One step of a stream: a step of a rank-2 sample is one dimension, which both dims name.
    static constexpr shape_check step_infer(shape step_in) {
        if (step_in.rank != 1)
            return fail("Transpose: steps only when a step has rank 1 (first number), i.e. on [C, L] or [T, F] "
                        "samples; this step has another rank (second number).",
                        1, step_in.rank);
        const shape_check whole = infer(shape{step_in[0], 1});
        if (!whole.ok()) return whole;
        return {step_in};
    }
};

}  // namespace typenet
