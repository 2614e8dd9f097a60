// Embedding: a lookup table, like nn.Embedding(num_embeddings, embedding_dim): every token id of
// the input is replaced by row `id` of `weight` [num_embeddings, embedding_dim], so a per-sample
// input [S] gives [S, embedding_dim].
//
//     using Embed = typenet::Embedding<1000, 64>;                          // nn.Embedding(1000, 64)
//     using Padded = typenet::Embedding<1000, 64, typenet::padding_idx<0>>;  // padding_idx=0
//     using M = typenet::Model<Embed, typenet::Tokens<32>>;                 // 32 int64 ids per sample
//     static_assert(M::output_shape == typenet::shape{32, 64});
//     static_assert(std::is_same_v<M::input_type, typenet::Tensor<std::int64_t, 32>>);
//
// Token ids are integers, and the network computes in the model's scalar type: a model whose
// input is Tokens<...> (int64, PyTorch's LongTensor) or TokensOf<std::int32_t, ...> takes a
// Tensor of integers, checks that every id is one the scalar type holds exactly, and hands the
// ids to the network as scalars (model.hpp). So every layer keeps its one signature, and an
// Embedding may sit anywhere a layer may (first in a Sequential, inside a Block beside a
// positional Parameter). The Embedding checks all its ids against num_embeddings before it writes
// anything: an id out of range, or not a whole number (a float input), is a typenet::error that
// names the sample, the index and the id; nothing is read out of bounds. Because it may throw, an
// Embedding is not sample_wise: its batch is never split across threads.
//
// padding_idx (negative counts from the end, as in PyTorch) only changes training (the row's
// gradient is zero) and initialisation (the row starts at zero); the forward reads the row as it
// is, as PyTorch's does. max_norm is refused: PyTorch's forward renormalises the rows it reads in
// place, changing the weight the model holds; load weights renormalised beforehand instead.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "../backward.hpp"
#include "../detail/decimal.hpp"
#include "../detail/fixed_string.hpp"
#include "../detail/kernels/common.hpp"
#include "../error.hpp"
#include "../layer.hpp"
#include "../options.hpp"

namespace typenet {

namespace option_kind {
struct padding_idx {};
struct max_norm {};
}  // namespace option_kind
template <long long I> struct padding_idx : value_option<option_kind::padding_idx, I> {};
template <detail::fixed_string Norm> struct max_norm : decimal_option<option_kind::max_norm, Norm> {};

template <std::size_t NumEmbeddings, std::size_t EmbeddingDim, class... Options>
struct Embedding {
    static_assert(NumEmbeddings >= 1 && EmbeddingDim >= 1,
                  "Embedding: num_embeddings and embedding_dim must be at least 1");
    static_assert(detail::count_of_kind<option_kind::max_norm, Options...> == 0,
                  "Embedding: max_norm is not supported: PyTorch's forward renormalises, in place, the rows of the "
                  "weight it reads, so the weight changes with every call. Renormalise the weight before saving it "
                  "(torch.embedding_renorm_) and leave max_norm out.");
    static_assert(options_accepted<void(option_kind::padding_idx), Options...>,
                  "Embedding takes one option, padding_idx<i>, at most once");

    static constexpr std::size_t num_embeddings = NumEmbeddings;
    static constexpr std::size_t embedding_dim = EmbeddingDim;
    static constexpr bool has_padding_idx = detail::count_of_kind<option_kind::padding_idx, Options...> == 1;
    // PyTorch's own check and normalisation: -num_embeddings <= padding_idx < num_embeddings.
    static constexpr long long padding_index = [] {
        if constexpr (!has_padding_idx) return -1LL;
        else {
            constexpr long long i = option_t<option_kind::padding_idx, padding_idx<0>, Options...>::value;
            static_assert(i < (long long)NumEmbeddings && i >= -(long long)NumEmbeddings,
                          "Embedding: padding_idx must be within num_embeddings (negative counts from the end)");
            return i < 0 ? i + (long long)NumEmbeddings : i;
        }
    }();

    static constexpr std::string_view type_name = "Embedding";
    static constexpr std::array state{parameter("weight", {NumEmbeddings, EmbeddingDim})};
    static constexpr bool sample_wise = false;  // it may throw: never inside a thread of a split batch

    static constexpr shape_check infer(shape in) {
        if (in.rank + 1 > max_rank)
            return fail("Embedding: the output has one dimension more than the input (first number: the most "
                        "dimensions a shape has, second: the input's)",
                        max_rank - 1, in.rank);
        shape out = in;
        out.dims[out.rank++] = EmbeddingDim;
        return {out};
    }

    // An id as the user wrote it: 7, not 7.000000.
    template <class T>
    static std::string id_text(T id) {
        const bool whole = id > T(-1e18) && id < T(1e18) && id == T((long long)id);  // NaN: false
        return whole ? std::to_string((long long)id) : std::to_string(id);
    }

    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<Embedding, T> params, const T* ids, T* out) {
        constexpr std::size_t count = In.numel();
        for (std::size_t i = 0; i < N * count; ++i)
            if (!(ids[i] >= T(0) && ids[i] < T(NumEmbeddings)) || T(std::size_t(ids[i])) != ids[i])
                throw error(detail::concat({"typenet: Embedding: token id ", id_text(ids[i]), " at sample ",
                                            std::to_string(i / count), ", index ", std::to_string(i % count),
                                            " is out of range: ids must be whole numbers from 0 to "
                                            "num_embeddings - 1 = ",
                                            std::to_string(NumEmbeddings - 1)}));
        const T* weight = params.template get<0>();
        for (std::size_t i = 0; i < N * count; ++i)
            detail::copy_values<EmbeddingDim>(weight + std::size_t(ids[i]) * EmbeddingDim, out + i * EmbeddingDim);
    }

    // Training (backward.hpp): the weight's gradient gains, in the row of each id, that id's row of
    // dL/d(output) (ids may repeat); padding_idx's row gains nothing, as in PyTorch. Ids have no
    // gradient: dL/d(ids) is zero.
    template <class T, shape In, std::size_t N>
    static void backward(const backward_pass<Embedding, T>& p) {
        if (p.grads) {
            T* grad = p.grads.template get<0>();
            for (std::size_t i = 0; i < N * In.numel(); ++i) {
                const std::size_t id = std::size_t(p.in[i]);
                if (has_padding_idx && (long long)id == padding_index) continue;
                for (std::size_t j = 0; j < EmbeddingDim; ++j)
                    grad[id * EmbeddingDim + j] += p.grad_out[i * EmbeddingDim + j];
            }
        }
        if (p.grad_in)
            for (std::size_t i = 0; i < N * In.numel(); ++i) p.grad_in[i] = T(0);
    }
};

}  // namespace typenet
