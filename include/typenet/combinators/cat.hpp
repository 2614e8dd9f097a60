// Cat: expressions concatenated along a dimension, like torch.cat([a, b], dim=1) in a forward
// (dim<d> chooses another dimension, counted as PyTorch does, the batch being 0); and Concat, the
// branches of an Inception or Fire module applied to x and concatenated along the channels.
//
//     using Fire = typenet::Concat<typenet::Conv2d<4, 8, 1>, typenet::Conv2d<4, 8, 3, typenet::padding<1>>>;
//     static_assert(typenet::Model<Fire, typenet::Input<4, 6, 6>>::output_shape == typenet::shape{16, 6, 6});
//     // In a Block: Forward<Cat<Call<"expand1x1", "expand1x1_activation">, Call<"expand3x3", "expand3x3_activation">>>
//
// Every operand must have the same rank and sizes but in the concatenated dimension.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>
#include <utility>

#include "../detail/kernels/common.hpp"
#include "../options.hpp"
#include "block.hpp"

namespace typenet {

template <class... Arguments>
struct Cat : Combinator<Arguments...> {
    static constexpr std::string_view type_name = "Cat";
    // PyTorch's dim (the batch is 0; negative counts from the back).
    static constexpr int dim_option = option_t<option_kind::dim, typenet::dim<1>, Arguments...>::value;

    // The dimension of a per-sample shape of this rank, or rank when out of range.
    static constexpr std::size_t sample_dim(std::size_t rank) {
        const long long d = dim_option < 0 ? dim_option + (long long)rank + 1 : dim_option;
        return d >= 1 && d <= (long long)rank ? std::size_t(d - 1) : rank;
    }

    template <std::size_t K>
    static constexpr shape_check combine_shapes(const std::array<shape, K>& operands) {
        const std::size_t d = sample_dim(operands[0].rank);
        if (d == operands[0].rank)
            return fail("Cat: dim (first number; the batch is dimension 0) is not a dimension of the operands, whose "
                        "rank with the batch is the second number",
                        std::size_t(dim_option < 0 ? -dim_option : dim_option), operands[0].rank + 1);
        shape out = operands[0];
        for (std::size_t k = 1; k < K; ++k) {
            bool agree = operands[k].rank == out.rank;
            for (std::size_t i = 0; agree && i < out.rank; ++i) agree = i == d || operands[k][i] == out[i];
            if (!agree) return fail(shape_error::rule::concat_shapes, operands[0], operands[k]);
            out.dims[d] += operands[k][d];
        }
        return {out};
    }

    // In a Stream (stream.hpp) a step has no time axis, and typenet does not track which dimension
    // of the whole sequence was time ([T, F] or [C, L]), so dim cannot be placed on a step's shape:
    // refused rather than joined along the wrong dimension.
    template <std::size_t K>
    static constexpr shape_check step_combine_shapes(const std::array<shape, K>& operands) {
        return fail("Cat: cannot run one time step at a time: dim (first number) counts the whole sequence's "
                    "dimensions, and a step has lost its time axis ([T, F] or [C, L]; typenet does not track which), "
                    "so which of the step's dimensions (second number: their count) it names is not known. Run the "
                    "whole sequence with a Model.",
                    std::size_t(dim_option < 0 ? -dim_option : dim_option), operands[0].rank);
    }

    // Values before the concatenated dimension (outer) and after it (inner), per sample.
    static constexpr std::size_t outer_size(shape out) {
        std::size_t o = 1;
        for (std::size_t i = 0; i < sample_dim(out.rank); ++i) o *= out[i];
        return o;
    }

    template <class T, auto Shapes, shape Out, std::size_t N>
    static void combine(const std::array<const T*, Shapes.size()>& operands, T* out) {
        constexpr std::size_t d = sample_dim(Out.rank);
        constexpr std::size_t outer = outer_size(Out);
        constexpr std::size_t inner = Out.numel() / outer / Out[d];
        for (std::size_t n = 0; n < N; ++n)
            for (std::size_t o = 0; o < outer; ++o) {
                T* to = out + n * Out.numel() + o * Out[d] * inner;
                [&]<std::size_t... K>(std::index_sequence<K...>) {
                    ((detail::copy_values<Shapes[K][d] * inner>(
                          operands[K] + n * Shapes[K].numel() + o * Shapes[K][d] * inner, to),
                      to += Shapes[K][d] * inner),
                     ...);
                }(std::make_index_sequence<Shapes.size()>{});
            }
    }

    // Training: operand K's gradient is its slice of dL/d(output).
    template <class T, auto Shapes, shape Out, std::size_t N, std::size_t K>
    static void backward_operand(const std::array<const T*, Shapes.size()>&, const T*, const T* grad_out, T* grad) {
        constexpr std::size_t d = sample_dim(Out.rank);
        constexpr std::size_t outer = outer_size(Out);
        constexpr std::size_t inner = Out.numel() / outer / Out[d];
        constexpr std::size_t before = [] {
            std::size_t b = 0;
            for (std::size_t k = 0; k < K; ++k) b += Shapes[k][d];
            return b;
        }();
        constexpr std::size_t size = Shapes[K][d] * inner;
        for (std::size_t n = 0; n < N; ++n)
            for (std::size_t o = 0; o < outer; ++o)
                detail::copy_values<size>(grad_out + n * Out.numel() + (o * Out[d] + before) * inner,
                                          grad + n * Shapes[K].numel() + o * size);
    }
};

namespace detail {
template <class Positions>
struct cat_of_children;
template <std::size_t... K>
struct cat_of_children<std::index_sequence<K...>> {
    using type = Cat<CallAt<K>...>;
};
}  // namespace detail

// The branches applied to x and concatenated along the channels (dim 1), named by position unless
// given as Named<"...", M>.
template <class... Branches>
struct Concat
    : Block<Branches..., Forward<typename detail::cat_of_children<std::index_sequence_for<Branches...>>::type>> {
    static constexpr std::string_view type_name = "Concat";
};

}  // namespace typenet
