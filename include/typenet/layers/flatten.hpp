// Flatten: merges every dimension of a sample, like nn.Flatten(). FlattenDims<start_dim, end_dim>
// merges only some, like nn.Flatten(start_dim, end_dim): dimensions count the batch as 0, as in
// PyTorch, and the batch itself cannot be merged.
//
//     static_assert(typenet::Flatten::infer({128, 4, 4}).output == typenet::shape{2048});
//     static_assert(typenet::FlattenDims<2>::infer({3, 4, 5}).output == typenet::shape{3, 20});
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "../detail/kernels/common.hpp"
#include "../backward.hpp"
#include "../layer.hpp"

namespace typenet {

template <int StartDim = 1, int EndDim = -1>
struct FlattenDims {
    static_assert(StartDim != 0, "Flatten: start_dim 0 would merge the batch dimension, which typenet keeps apart");
    static constexpr std::string_view type_name = "Flatten";
    static constexpr std::array<state_spec, 0> state{};
    static constexpr bool in_place = true;
    static constexpr bool sample_wise = true;
    static constexpr bool value_preserving = true;  // a chain skips it (detail/chain.hpp)

    static constexpr shape_check infer(shape in) {
        const long long rank = (long long)in.rank + 1;  // with the batch dimension
        const long long start = StartDim < 0 ? StartDim + rank : StartDim;
        const long long end = EndDim < 0 ? EndDim + rank : EndDim;
        using shape_error::rule;
        auto clamp = [](long long d) { return std::size_t(d < 0 ? 0 : d); };
        if (start < 1 || start >= rank) return fail(rule::flatten_start_dim, clamp(start), std::size_t(rank));
        if (end < 1 || end >= rank) return fail(rule::flatten_end_dim, clamp(end), std::size_t(rank));
        if (end < start) return fail(rule::flatten_dim_order, std::size_t(start), std::size_t(end));
        shape out;
        for (long long d = 1; d < rank; ++d) {
            if (d <= start || d > end) out.dims[out.rank++] = in[std::size_t(d - 1)];
            else out.dims[out.rank - 1] *= in[std::size_t(d - 1)];
        }
        return {out};
    }

    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<FlattenDims, T>, const T* in, T* out) {
        detail::copy_if_distinct(in, out, N * In.numel());
    }
    template <class T, shape In, std::size_t N>
    static void backward(const backward_pass<FlattenDims, T>& p) {  // training (backward.hpp): the same copy
        if (p.grad_in) detail::copy_if_distinct(p.grad_out, p.grad_in, N * In.numel());
    }
};

using Flatten = FlattenDims<1, -1>;

}  // namespace typenet
