// Narrow: a slice of `Length` entries of one dimension, starting at `Start`, like
// torch.narrow(x, dim, start, length) or x[:, start:start + length] in a forward. Dimensions count
// the batch as 0, as in PyTorch; a negative Start counts from the end. Two Narrows are what
// x.chunk(2, dim=1) gives (ShuffleNetV2 splits its channels so). It does not run in a Stream (see
// step_infer).
//
//     using FirstHalf = typenet::Narrow<1, 0, 4>;    // x[:, :4]
//     using LastRows = typenet::Narrow<-2, -3, 3>;   // x[..., -3:, :]
//     static_assert(FirstHalf::infer({8, 5, 5}).output == typenet::shape{4, 5, 5});
//     static_assert(LastRows::infer({8, 5, 6}).output == typenet::shape{8, 3, 6});
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "../backward.hpp"
#include "../detail/kernels/common.hpp"
#include "../layer.hpp"

namespace typenet {

template <int Dim, long long Start, std::size_t Length>
struct Narrow {
    static_assert(Dim != 0, "Narrow: dim 0 is the batch, which typenet keeps whole");
    static constexpr std::string_view type_name = "Narrow";
    static constexpr std::array<state_spec, 0> state{};
    static constexpr bool sample_wise = true;

    // The dimension of a per-sample shape of this rank that is narrowed, or rank if there is none.
    static constexpr std::size_t sample_dim(std::size_t rank) {
        const long long d = Dim < 0 ? Dim + (long long)rank + 1 : Dim;
        return d >= 1 && d <= (long long)rank ? std::size_t(d - 1) : rank;
    }
    static constexpr std::size_t first(std::size_t size) {
        return std::size_t(Start < 0 ? Start + (long long)size : Start);
    }

    // The values after the narrowed dimension, which move together.
    static constexpr std::size_t inner_size(shape in) {
        std::size_t i = 1;
        for (std::size_t k = sample_dim(in.rank) + 1; k < in.rank; ++k) i *= in[k];
        return i;
    }

    static constexpr shape_check infer(shape in) {
        const std::size_t d = sample_dim(in.rank);
        if (d == in.rank)
            return fail("Narrow: dim (first number; the batch is dimension 0) is not a dimension of the input, whose "
                        "rank with the batch is the second number",
                        std::size_t(Dim < 0 ? -Dim : Dim), in.rank + 1);
        if (Start < -(long long)in[d])
            return fail("Narrow: a negative start counts from the end; its magnitude (first number) exceeds the size "
                        "of the narrowed dimension (second number)",
                        std::size_t(-Start), in[d]);
        if (first(in[d]) + Length > in[d])
            return fail("Narrow: start + length (first number) runs past the end of the narrowed dimension (second "
                        "number)",
                        first(in[d]) + Length, in[d]);
        shape out = in;
        out.dims[d] = Length;
        return {out};
    }

    // In a Stream (stream.hpp), the same reason as Cat's (cat.hpp): Dim counts the whole sequence's
    // dimensions, and which of a step's it names depends on where time was, which is not tracked.
    static constexpr shape_check step_infer(shape step_in) {
        return fail("Narrow: cannot run one time step at a time: dim (first number) counts the whole sequence's "
                    "dimensions, and a step has lost its time axis ([T, F] or [C, L]; typenet does not track which), "
                    "so which of the step's dimensions (second number: their count) it names is not known. Run the "
                    "whole sequence with a Model.",
                    std::size_t(Dim < 0 ? -Dim : Dim), step_in.rank);
    }

    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<Narrow, T>, const T* in, T* out) {
        constexpr std::size_t d = sample_dim(In.rank), inner = inner_size(In);
        constexpr std::size_t outer = N * In.numel() / (In[d] * inner);
        for (std::size_t o = 0; o < outer; ++o)
            detail::copy_values<Length * inner>(in + (o * In[d] + first(In[d])) * inner, out + o * Length * inner);
    }

    // Training (backward.hpp): the gradient goes back into the slice, the rest of the input gets 0.
    template <class T, shape In, std::size_t N>
    static void backward(const backward_pass<Narrow, T>& p) {
        if (!p.grad_in) return;
        constexpr std::size_t d = sample_dim(In.rank), inner = inner_size(In);
        constexpr std::size_t outer = N * In.numel() / (In[d] * inner);
        for (std::size_t i = 0; i < N * In.numel(); ++i) p.grad_in[i] = T(0);
        for (std::size_t o = 0; o < outer; ++o)
            detail::copy_values<Length * inner>(p.grad_out + o * Length * inner,
                                                p.grad_in + (o * In[d] + first(In[d])) * inner);
    }
};

}  // namespace typenet
