// MultiheadAttention as self-attention: nn.MultiheadAttention(embed_dim, num_heads) called as
// attn(x, x, x, need_weights=False)[0], on a per-sample sequence [S, embed_dim]. Its state is
// PyTorch's, in PyTorch's order: the packed in_proj_weight [3E, E] (query, key and value
// projections one under the other) and in_proj_bias [3E], then out_proj.weight [E, E] and
// out_proj.bias [E]; bias<false> drops both biases, as PyTorch's bias=False does.
//
//     using Attn = typenet::MultiheadAttention<64, 4>;                      // nn.MultiheadAttention(64, 4)
//     using Masked = typenet::MultiheadAttention<64, 4, typenet::causal<true>, typenet::bias<false>>;
//     using M = typenet::Model<Attn, typenet::Input<32, 64>>;               // 32 positions of 64 features
//     static_assert(M::output_shape == typenet::shape{32, 64});
//     static_assert(M::state_dict[2].key == "out_proj.weight" && Masked::state.size() == 2);
//
// Options:
// - causal<true>: position i attends to positions j <= i only, PyTorch's
//   attn_mask=nn.Transformer.generate_square_subsequent_mask(S) (-inf above the diagonal);
// - key_padding_mask<true>: PyTorch's key_padding_mask, given per forward call: the Model then
//   takes, beside the input, which positions of each sample are padding (mask(n, j) true: key j of
//   sample n is ignored, its score -inf), or each sample's valid length. Every position is still
//   computed, the padded ones included, as nn.MultiheadAttention computes them; a query that sees
//   no valid key (all keys padding, or causal<true> with the keys up to it padding) gives NaN, as
//   in PyTorch. Mean<1, key_padding_mask<true>> averages the valid positions only (mean.hpp).
//
//     using Padded = typenet::MultiheadAttention<64, 4, typenet::key_padding_mask<true>>;
//     using P = typenet::Model<Padded, typenet::Input<32, 64>, float, 8>;  // up to 8 samples a call
//     static_assert(P::takes_key_padding_mask && P::key_padding_positions == 32);
//     auto padded = std::make_unique<P>();
//     auto x = std::make_unique<P::batch_input_type<2>>();
//     auto y = std::make_unique<P::batch_output_type<2>>();
//     P::batch_key_padding_mask_type<2> mask{};          // all false: no padding
//     for (std::size_t j = 20; j < 32; ++j) mask(1, j) = true;  // sample 1: 20 positions, then padding
//     padded->forward(*x, *y, mask);
//     padded->forward(*x, *y, {32, 20});                 // the same, as valid lengths
//
// - batch_first<b>: accepted for symmetry with the constructor; it only changes how PyTorch is
//   called ([N, S, E] or [S, N, E]). A typenet batch is always [N, S, E], each sample contiguous.
// Not supported: attention weights (need_weights), a float key_padding_mask (added to the scores),
// kdim/vdim, add_bias_kv, add_zero_attn, and cross-attention (query differing from key/value).
//
// The kernel, per sample: the three projections in one product of in_proj_weight with the
// transposed input; per head, the scores transposed (keys by queries, q / sqrt(head_dim) as
// PyTorch scales it), a softmax down each column, the values times those probabilities; then
// out_proj. Every product is detail::gemm, on weights in PyTorch's layout.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string_view>

#include "../detail/kernels/common.hpp"
#include "../detail/kernels/gemm.hpp"
#include "../detail/kernels/simd.hpp"
#include "../detail/key_padding.hpp"
#include "../layer.hpp"
#include "../math.hpp"
#include "../options.hpp"

namespace typenet {

namespace option_kind {
struct causal {};
}  // namespace option_kind
template <bool B> struct causal : value_option<option_kind::causal, B> {};
// batch_first<> is options.hpp's (shared with the recurrent layers).

template <std::size_t EmbedDim, std::size_t NumHeads, class... Options>
struct MultiheadAttention {
    static_assert(EmbedDim >= 1 && NumHeads >= 1, "MultiheadAttention: embed_dim and num_heads must be at least 1");
    static_assert(EmbedDim % NumHeads == 0, "MultiheadAttention: embed_dim must be divisible by num_heads");
    static_assert(options_accepted<void(option_kind::bias, option_kind::causal, option_kind::batch_first,
                                        option_kind::key_padding_mask),
                                   Options...>,
                  "MultiheadAttention takes the options bias<>, causal<>, batch_first<> and key_padding_mask<>, "
                  "each at most once");

    static constexpr std::size_t embed_dim = EmbedDim;
    static constexpr std::size_t num_heads = NumHeads;
    static constexpr std::size_t head_dim = EmbedDim / NumHeads;
    static constexpr bool has_bias = option_t<option_kind::bias, bias<true>, Options...>::value;
    static constexpr bool is_causal = option_t<option_kind::causal, causal<false>, Options...>::value;
    static constexpr bool reads_key_padding_mask =
        option_t<option_kind::key_padding_mask, key_padding_mask<false>, Options...>::value;

    static constexpr std::string_view type_name = "MultiheadAttention";
    static constexpr auto state = [] {
        constexpr std::size_t E = EmbedDim;
        if constexpr (has_bias)
            return std::array{parameter("in_proj_weight", {3 * E, E}), parameter("in_proj_bias", {3 * E}),
                              parameter("out_proj.weight", {E, E}), parameter("out_proj.bias", {E})};
        else
            return std::array{parameter("in_proj_weight", {3 * E, E}), parameter("out_proj.weight", {E, E})};
    }();
    // With a mask, sample n must be the call's sample n (detail/key_padding.hpp).
    static constexpr bool sample_wise = !reads_key_padding_mask;

    static constexpr shape_check infer(shape in) {
        if (in.rank != 2)
            return fail("MultiheadAttention: takes a sequence [S, embed_dim] per sample (first number: 2, second: "
                        "the rank it gets)",
                        2, in.rank);
        if (in[1] != EmbedDim)
            return fail("MultiheadAttention: the input's features (second number) must equal embed_dim (first number)",
                        EmbedDim, in[1]);
        return {in};
    }

    // Positions padded to whole vectors: the products run along them.
    template <class T>
    static constexpr std::size_t padded(std::size_t positions) {
        return detail::round_up(positions, detail::simd<T>::lanes);
    }
    template <class T>
    static constexpr std::size_t scratch_elements(shape in, std::size_t) {
        const std::size_t S = in[0], P = padded<T>(S);
        return 5 * EmbedDim * P + S * head_dim + P * P;
    }

    // Softmax down each of the P columns of scores [Rows][P], P a whole number of vectors: the lanes
    // run along the columns (queries), each normalised on its own, the maximum subtracted first.
    template <class T, std::size_t Rows, std::size_t P>
    static void softmax_columns(T* scores) {
        using Sd = detail::simd<T>;
        using V = typename Sd::type;
        for (std::size_t i = 0; i < P; i += Sd::lanes) {
            T* column = scores + i;
            V max = Sd::load(column);
            for (std::size_t j = 1; j < Rows; ++j) max = math::max(max, Sd::load(column + j * P));
            V sum = Sd::broadcast(T(0));
            for (std::size_t j = 0; j < Rows; ++j) {
                const V e = math::exp(Sd::load(column + j * P) - max);  // exp(-inf) = 0: masked out
                Sd::store(column + j * P, e);
                sum += e;
            }
            const V scale = Sd::broadcast(T(1)) / sum;
            for (std::size_t j = 0; j < Rows; ++j) Sd::store(column + j * P, Sd::load(column + j * P) * scale);
        }
    }

    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<MultiheadAttention, T> params, const T* in, T* out, T* scratch) {
        constexpr std::size_t S = In[0], E = EmbedDim, D = head_dim, P = padded<T>(S);
        const T* in_weight = params.template get<0>();
        const T* in_bias = nullptr;
        const T* out_weight;
        const T* out_bias = nullptr;
        if constexpr (has_bias) {
            in_bias = params.template get<1>();
            out_weight = params.template get<2>();
            out_bias = params.template get<3>();
        } else {
            out_weight = params.template get<1>();
        }
        T* columns = scratch;               // [E][P]: the input transposed, then the output before its transpose
        T* qkv = columns + E * P;           // [3E][P]: queries, keys, values, a row per feature
        T* heads = qkv + 3 * E * P;         // [E][P]: every head's output, a row per feature
        T* keys = heads + E * P;            // [S][D]: one head's keys, a row per position
        T* probabilities = keys + S * D;    // [P][P]: keys by queries; rows past S stay zero
        for (std::size_t i = S * P; i < P * P; ++i) probabilities[i] = T(0);
        const detail::key_padding padding =
            reads_key_padding_mask ? detail::call_key_padding(type_name) : detail::key_padding{};

        for (std::size_t n = 0; n < N; ++n) {
            detail::to_columns<T, S, E, P>(in + n * S * E, columns);
            detail::gemm<T, 3 * E, P, E>::run(in_weight, columns, qkv, in_bias);
            // q / sqrt(head_dim), as PyTorch scales the queries before the product.
            const T root = T(std::sqrt(double(D)));
            for (std::size_t i = 0; i < E * P; ++i) qkv[i] /= root;
            for (std::size_t h = 0; h < NumHeads; ++h) {
                const T* queries = qkv + h * D * P;
                const T* values = qkv + (2 * E + h * D) * P;
                detail::from_columns<T, D, P>(qkv + (E + h * D) * P, keys, S);
                // scores[j][i] = k_j . q_i: column i holds query i's scores over the keys j.
                detail::gemm<T, S, P, D>::run(keys, queries, probabilities, nullptr);
                if constexpr (is_causal)
                    for (std::size_t j = 1; j < S; ++j)
                        for (std::size_t i = 0; i < j; ++i)
                            probabilities[j * P + i] = -std::numeric_limits<T>::infinity();
                // A padded key: no query attends to it (its row of scores is -inf).
                if constexpr (reads_key_padding_mask)
                    for (std::size_t j = 0; j < S; ++j)
                        if (padding.padded(n, j))
                            for (std::size_t i = 0; i < P; ++i)
                                probabilities[j * P + i] = -std::numeric_limits<T>::infinity();
                softmax_columns<T, S, P>(probabilities);
                // head[d][i] = sum_j v_j[d] p[j][i] (the padded rows of p are zero).
                detail::gemm<T, D, P, P>::run(values, probabilities, heads + h * D * P, nullptr);
            }
            detail::gemm<T, E, P, E>::run(out_weight, heads, columns, out_bias);
            detail::from_columns<T, E, P>(columns, out + n * S * E, S);
        }
    }
};

}  // namespace typenet
