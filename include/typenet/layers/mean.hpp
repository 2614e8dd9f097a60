// Mean<dim>: the mean over one dimension, which disappears, like torch.mean(x, dim) in a forward
// (keepdim=False). Dims are PyTorch's: the batch is dim 0 (refused), a sample's dimensions 1, 2,
// ...; negative ones count from the back. The pooling of a sequence classifier: [S, E] -> [E].
// With key_padding_mask<true>, over a sample's first dimension, it averages the positions the
// call's key padding mask leaves valid (multihead_attention.hpp), PyTorch's
// (x * valid).sum(1) / valid.sum(1) with valid = ~mask; a sample with none gives NaN (0 / 0).
//
//     using Pool = typenet::Mean<1>;   // x.mean(dim=1) on [N, S, E]
//     static_assert(Pool::infer({64, 32}).output == typenet::shape{32});
//     static_assert(typenet::Mean<-1>::infer({4, 5}).output == typenet::shape{4});
//     static_assert(typenet::Mean<1, typenet::key_padding_mask<true>>::reads_key_padding_mask);
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "../backward.hpp"
#include "../detail/key_padding.hpp"
#include "../layer.hpp"
#include "../options.hpp"

namespace typenet {

template <int Dim, class... Options>
struct Mean {
    static_assert(Dim != 0, "Mean: dim 0 is the batch dimension, which typenet keeps apart; Mean<1> averages over a "
                            "sample's first dimension, Mean<-1> over its last");
    static_assert(options_accepted<void(option_kind::key_padding_mask), Options...>,
                  "Mean takes one option, key_padding_mask<>, at most once");
    static constexpr std::string_view type_name = "Mean";
    static constexpr std::array<state_spec, 0> state{};
    static constexpr bool reads_key_padding_mask =
        option_t<option_kind::key_padding_mask, key_padding_mask<false>, Options...>::value;
    // With a mask, sample n must be the call's sample n (detail/key_padding.hpp).
    static constexpr bool sample_wise = !reads_key_padding_mask;

    // The averaged dimension as an index into the per-sample shape, or -1 when out of range.
    static constexpr long long reduced_dim(shape in) {
        const long long rank = (long long)in.rank + 1;  // with the batch dimension
        const long long d = Dim < 0 ? Dim + rank : Dim;
        return d >= 1 && d < rank ? d - 1 : -1;
    }

    // The values after the averaged dimension: [outer, size, inner] -> [outer, inner].
    static constexpr std::size_t inner_size(shape in) {
        std::size_t n = 1;
        for (std::size_t i = std::size_t(reduced_dim(in)) + 1; i < in.rank; ++i) n *= in[i];
        return n;
    }

    static constexpr shape_check infer(shape in) {
        if (reduced_dim(in) < 0 || in.rank < 2)
            return fail("Mean: dim must name one of a sample's dimensions (counting the batch as 0), and a sample "
                        "needs two dimensions at least, one left after the mean (first number: 2, second: the input's "
                        "rank per sample)",
                        2, in.rank);
        if (reads_key_padding_mask && reduced_dim(in) != 0)
            return fail("Mean with key_padding_mask<true>: averages a sequence over its positions, a sample's first "
                        "dimension: Mean<1, key_padding_mask<true>> (first number: that dim, second: this Mean's)",
                        1, std::size_t(reduced_dim(in) + 1));
        shape out;
        for (std::size_t i = 0; i < in.rank; ++i)
            if ((long long)i != reduced_dim(in)) out.dims[out.rank++] = in[i];
        return {out};
    }

    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<Mean, T>, const T* in, T* out) {
        constexpr std::size_t d = std::size_t(reduced_dim(In)), size = In[d], inner = inner_size(In);
        constexpr std::size_t outer = N * In.numel() / (size * inner);
        if constexpr (reads_key_padding_mask) {
            // Over the valid positions only (outer is the sample); none valid gives 0 / 0, NaN, as
            // PyTorch's (x * valid).sum(1) / valid.sum(1).
            const detail::key_padding padding = detail::call_key_padding("Mean");
            for (std::size_t n = 0; n < outer; ++n) {
                T* y = out + n * inner;
                const T* x = in + n * size * inner;
                for (std::size_t i = 0; i < inner; ++i) y[i] = T(0);
                std::size_t count = 0;
                for (std::size_t k = 0; k < size; ++k) {
                    if (padding.padded(n, k)) continue;
                    ++count;
                    for (std::size_t i = 0; i < inner; ++i) y[i] += x[k * inner + i];
                }
                for (std::size_t i = 0; i < inner; ++i) y[i] /= T(count);
            }
            return;
        }
        // The sum, then one division by the count (as torch.mean: sum, then div_).
        for (std::size_t o = 0; o < outer; ++o) {
            T* y = out + o * inner;
            const T* x = in + o * size * inner;
            for (std::size_t i = 0; i < inner; ++i) y[i] = x[i];
            for (std::size_t k = 1; k < size; ++k)
                for (std::size_t i = 0; i < inner; ++i) y[i] += x[k * inner + i];
            for (std::size_t i = 0; i < inner; ++i) y[i] /= T(size);
        }
    }

    // Training (backward.hpp): each averaged value gets the mean's gradient divided by the count;
    // with a key padding mask (the forward's, which Trainable keeps for backward), the valid
    // positions only, the padded ones none.
    template <class T, shape In, std::size_t N>
    static void backward(const backward_pass<Mean, T>& p) {
        if (!p.grad_in) return;
        constexpr std::size_t size = In[std::size_t(reduced_dim(In))], inner = inner_size(In);
        constexpr std::size_t outer = N * In.numel() / (size * inner);
        if constexpr (reads_key_padding_mask) {
            const detail::key_padding padding = detail::call_key_padding("Mean");
            for (std::size_t n = 0; n < outer; ++n) {
                std::size_t count = 0;
                for (std::size_t k = 0; k < size; ++k) count += !padding.padded(n, k);
                for (std::size_t k = 0; k < size; ++k)
                    for (std::size_t i = 0; i < inner; ++i)
                        p.grad_in[(n * size + k) * inner + i] =
                            padding.padded(n, k) ? T(0) : p.grad_out[n * inner + i] / T(count);
            }
            return;
        }
        for (std::size_t o = 0; o < outer; ++o)
            for (std::size_t k = 0; k < size; ++k)
                for (std::size_t i = 0; i < inner; ++i)
                    p.grad_in[(o * size + k) * inner + i] = p.grad_out[o * inner + i] / T(size);
    }
};

}  // namespace typenet
