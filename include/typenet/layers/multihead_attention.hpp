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
// - dropout<p>: PyTorch's dropout on the attention weights, in a Trainable's train() mode only
//   (the masks from its generator, backward.hpp); 0 by default, as in PyTorch.
// It trains (trainable.hpp): the backward pass reads the projections, each head's probabilities
// and the heads' outputs the training forward keeps.
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

#include "../backward.hpp"
#include "../detail/kernels/common.hpp"
#include "../detail/kernels/gemm.hpp"
#include "../detail/kernels/gradients.hpp"
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
                                        option_kind::key_padding_mask, option_kind::dropout),
                                   Options...>,
                  "MultiheadAttention takes the options bias<>, causal<>, batch_first<>, key_padding_mask<> and "
                  "dropout<>, each at most once");

    static constexpr std::size_t embed_dim = EmbedDim;
    static constexpr std::size_t num_heads = NumHeads;
    static constexpr std::size_t head_dim = EmbedDim / NumHeads;
    static constexpr bool has_bias = option_t<option_kind::bias, bias<true>, Options...>::value;
    static constexpr bool is_causal = option_t<option_kind::causal, causal<false>, Options...>::value;
    static constexpr bool reads_key_padding_mask =
        option_t<option_kind::key_padding_mask, key_padding_mask<false>, Options...>::value;
    // The dropout on the attention weights in train() mode (PyTorch's dropout argument, 0 by default).
    static constexpr double dropout_p = option_t<option_kind::dropout, dropout<"0">, Options...>::value;
    static_assert(dropout_p >= 0 && dropout_p <= 1, "MultiheadAttention: dropout<p> is a probability between 0 and 1");

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
        run<T, In, N>(params, in, out, scratch, nullptr, nullptr);
    }

    // Training (backward.hpp). The forward of a training step is propagate's, and it keeps, per
    // sample, what the backward pass reads: the projections [3E][S] (the queries already divided by
    // sqrt(head_dim)), every head's probabilities [H][S keys][S queries] before dropout and, with
    // dropout, after it [H][S][S], then the heads' outputs [S][E], a row per position.
    template <class T>
    static constexpr std::size_t saved_elements(shape in, std::size_t n) {
        const std::size_t S = in[0];
        return n * sample_saved(S);
    }
    template <class T, shape In, std::size_t N>
    static void train_propagate(const train_pass<MultiheadAttention, T>& p) {
        run<T, In, N>(p.state.params(), p.in, p.out, p.scratch, p.saved,
                      p.training && dropout_p > 0 ? p.random : nullptr);
    }
    template <class T>
    static constexpr std::size_t backward_scratch_elements(shape in, std::size_t) {
        const std::size_t S = in[0];
        return 9 * EmbedDim * S + 2 * S * S + S * head_dim;  // the products' operands, backward's comments
    }
    template <class T, shape In, std::size_t N>
    static void backward(const backward_pass<MultiheadAttention, T>& p);

private:
    static constexpr std::size_t sample_saved(std::size_t S) {
        return 4 * EmbedDim * S + (dropout_p > 0 ? 2 : 1) * NumHeads * S * S;
    }

    // The forward pass; with `saved`, what backward needs is kept there, and with `random` (train()
    // mode, dropout > 0) the probabilities go through dropout before they weigh the values.
    template <class T, shape In, std::size_t N>
    static void run(layer_params<MultiheadAttention, T> params, const T* in, T* out, T* scratch, T* saved,
                    random_bits* random) {
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
            T* const kept = saved ? saved + n * sample_saved(S) : nullptr;  // [3E][S], [H][S][S] (x2), [S][E]
            if (kept)
                for (std::size_t f = 0; f < 3 * E; ++f)
                    for (std::size_t i = 0; i < S; ++i) kept[f * S + i] = qkv[f * P + i];
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
                if (kept) {
                    T* const before = kept + 3 * E * S + h * S * S;
                    for (std::size_t j = 0; j < S; ++j)
                        for (std::size_t i = 0; i < S; ++i) before[j * S + i] = probabilities[j * P + i];
                    if constexpr (dropout_p > 0) {
                        // PyTorch's dropout on the attention weights: zero with probability p, else
                        // scaled by 1 / (1 - p); the identity in eval() mode.
                        T* const after = kept + 3 * E * S + (NumHeads + h) * S * S;
                        const dropout_draw<T> draw{dropout_p};
                        for (std::size_t j = 0; j < S; ++j)
                            for (std::size_t i = 0; i < S; ++i) {
                                T& v = probabilities[j * P + i];
                                if (random) {
                                    const T factor = draw(*random);
                                    v = factor == T(0) ? T(0) : v * factor;  // a dropped NaN is 0 too
                                }
                                after[j * S + i] = v;
                            }
                    }
                }
                // head[d][i] = sum_j v_j[d] p[j][i] (the padded rows of p are zero).
                detail::gemm<T, D, P, P>::run(values, probabilities, heads + h * D * P, nullptr);
            }
            if (kept) detail::from_columns<T, E, P>(heads, kept + sample_saved(S) - E * S, S);  // [S][E]
            detail::gemm<T, E, P, E>::run(out_weight, heads, columns, out_bias);
            detail::from_columns<T, E, P>(columns, out + n * S * E, S);
        }
    }
};

template <std::size_t EmbedDim, std::size_t NumHeads, class... Options>
template <class T, shape In, std::size_t N>
void MultiheadAttention<EmbedDim, NumHeads, Options...>::backward(const backward_pass<MultiheadAttention, T>& p) {
    // Per sample, from out = heads W_o^T + b_o, heads_h = V_h A_h (A the probabilities, after
    // dropout), A = dropout(softmax(K_h^T Q_h)) down each query's column, [Q; K; V] = W_in x^T + b_in
    // with Q divided by sqrt(head_dim): each product's gradient in reverse (detail::product, the gemm
    // kernel on whole vectors), the parameters' summed over the samples.
    constexpr std::size_t S = In[0], E = EmbedDim, D = head_dim, H = NumHeads;
    const T* in_weight = p.params.template get<0>();
    const T* out_weight = p.params.template get<has_bias ? 2 : 1>();
    T* in_weight_grad = nullptr;
    T* in_bias_grad = nullptr;
    T* out_weight_grad = nullptr;
    T* out_bias_grad = nullptr;
    if (p.grads) {
        in_weight_grad = p.grads.template get<0>();
        out_weight_grad = p.grads.template get<has_bias ? 2 : 1>();
        if constexpr (has_bias) {
            in_bias_grad = p.grads.template get<1>();
            out_bias_grad = p.grads.template get<3>();
        }
    }
    T* const grad_columns = p.scratch;                   // [E][S]: dL/d(out) transposed
    T* const d_head_rows = grad_columns + E * S;          // [S][E]: dL/d(heads), a row per position
    T* const d_heads = d_head_rows + E * S;               // [E][S]: the same, a row per feature
    T* const d_qkv = d_heads + E * S;                     // [3E][S]: dL/d(projections), a row per feature
    T* const d_qkv_rows = d_qkv + 3 * E * S;              // [S][3E]: the same, a row per position
    T* const d_scores = d_qkv_rows + 3 * E * S;           // [S keys][S queries]
    T* const transposed = d_scores + S * S;               // [S][S]: A or dscores transposed, or column sums
    T* const value_rows = transposed + S * S;             // [S][D]: one head's values, a row per position
    const T root = T(std::sqrt(double(D)));

    for (std::size_t n = 0; n < N; ++n) {
        const T* x = p.in + n * S * E;
        const T* g = p.grad_out + n * S * E;
        const T* kept = p.saved + n * sample_saved(S);
        const T* qkv = kept;
        const T* heads = kept + sample_saved(S) - E * S;  // [S][E]

        // out_proj: dW_o += g^T heads, db_o += g's column sums, d(heads) = g W_o.
        if (p.grads) {
            detail::to_columns<T, S, E, S>(g, grad_columns);
            detail::product<T, E, E, S, true>(grad_columns, heads, out_weight_grad);
            if constexpr (has_bias) detail::add_column_sums<T, S, E>(g, out_bias_grad);
        }
        detail::product<T, S, E, E, false>(g, out_weight, d_head_rows);
        detail::to_columns<T, S, E, S>(d_head_rows, d_heads);

        for (std::size_t h = 0; h < H; ++h) {
            const T* q = qkv + h * D * S;                     // [D][S]
            const T* k = qkv + (E + h * D) * S;
            const T* v = qkv + (2 * E + h * D) * S;
            const T* before = kept + 3 * E * S + h * S * S;  // softmax's output [j][i]
            const T* after = dropout_p > 0 ? kept + 3 * E * S + (H + h) * S * S : before;
            const T* dh = d_heads + h * D * S;                // [D][S]
            T* dq = d_qkv + h * D * S;
            T* dk = d_qkv + (E + h * D) * S;
            T* dv = d_qkv + (2 * E + h * D) * S;
            // dV = dh A^T; dA = V^T dh.
            detail::to_columns<T, S, S, S>(after, transposed);
            detail::product<T, D, S, S, false>(dh, transposed, dv);
            detail::to_columns<T, D, S, D>(v, value_rows);
            detail::product<T, S, S, D, false>(value_rows, dh, d_scores);
            // Through dropout (the kept values were scaled by 1 / (1 - p): after / before, or 0).
            if constexpr (dropout_p > 0) {
                const T keep_scale = dropout_p == 1 ? T(0) : T(1) / T(1 - dropout_p);
                if (p.training)
                    for (std::size_t j = 0; j < S * S; ++j)
                        d_scores[j] = after[j] == T(0) && before[j] != T(0) ? T(0) : d_scores[j] * keep_scale;
            }
            // Softmax down each query's column i: dscore = p (dp - sum_j p dp); a masked key (p = 0)
            // gets none.
            T* const sums = transposed;
            for (std::size_t i = 0; i < S; ++i) sums[i] = T(0);
            for (std::size_t j = 0; j < S; ++j)
                for (std::size_t i = 0; i < S; ++i) sums[i] += before[j * S + i] * d_scores[j * S + i];
            for (std::size_t j = 0; j < S; ++j)
                for (std::size_t i = 0; i < S; ++i)
                    d_scores[j * S + i] = before[j * S + i] * (d_scores[j * S + i] - sums[i]);
            // scores = K^T Q (Q scaled): dQ = K dscores / sqrt(D) (through the scaling), dK = Q dscores^T.
            detail::product<T, D, S, S, false>(k, d_scores, dq);
            for (std::size_t i = 0; i < D * S; ++i) dq[i] /= root;
            detail::to_columns<T, S, S, S>(d_scores, transposed);
            detail::product<T, D, S, S, false>(q, transposed, dk);
        }

        // in_proj: dW_in += d(qkv) x, db_in += d(qkv)'s row sums, dx = d(qkv)^T W_in.
        if (p.grads) {
            detail::product<T, 3 * E, E, S, true>(d_qkv, x, in_weight_grad);
            if constexpr (has_bias)
                for (std::size_t f = 0; f < 3 * E; ++f)
                    for (std::size_t i = 0; i < S; ++i) in_bias_grad[f] += d_qkv[f * S + i];
        }
        if (p.grad_in) {
            detail::to_columns<T, 3 * E, S, 3 * E>(d_qkv, d_qkv_rows);
            detail::product<T, S, E, 3 * E, false>(d_qkv_rows, in_weight, p.grad_in + n * S * E);
        }
    }
}

}  // namespace typenet
