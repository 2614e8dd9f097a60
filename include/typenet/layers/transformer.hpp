// TransformerEncoderLayer and TransformerEncoder, like PyTorch's, on a per-sample sequence
// [S, d_model]; dropout is the identity but in a Trainable's train() mode. Both are Blocks of
// existing layers (so they train as their parts do) with PyTorch's children and forward, so their
// state_dict is PyTorch's key for key:
//   self_attn.{in_proj_weight, in_proj_bias, out_proj.weight, out_proj.bias}, linear1.{weight, bias},
//   linear2.{weight, bias}, norm1.{weight, bias}, norm2.{weight, bias}
// and, for the encoder, layers.0.*, layers.1.*, ... then norm.* when a final norm is given.
//
//     using Layer = typenet::TransformerEncoderLayer<64, 4, 256>;   // nn.TransformerEncoderLayer(64, 4, 256)
//     using PreNorm = typenet::TransformerEncoderLayer<64, 4, 256, typenet::norm_first<true>,
//                                                      typenet::activation<"gelu">>;
//     using Encoder = typenet::TransformerEncoder<Layer, 2, typenet::final_norm<typenet::LayerNorm<64>>>;
//     using M = typenet::Model<Encoder, typenet::Input<16, 64>>;     // nn.TransformerEncoder(layer, 2, norm)
//     static_assert(M::state_dict[12].key == "layers.1.self_attn.in_proj_weight");
//     static_assert(M::state_dict[24].key == "norm.weight" && PreNorm::d_model == 64);
//
// TransformerEncoderLayer options, the constructor's: norm_first<b> (false: x = norm1(x + sa(x)),
// then norm2(x + ff(x)); true: x = x + sa(norm1(x)), then x + ff(norm2(x))), activation<"relu">
// or <"gelu"> (exact), layer_norm_eps<"1e-5">, dropout<"0.1"> (in train() mode, where PyTorch's
// dropout, dropout1, dropout2 and self_attn's dropout act; the masks are typenet's, backward.hpp),
// batch_first<b> (how PyTorch is called only, see multihead_attention.hpp), causal<true> (the
// src_mask of a square subsequent mask, passed to self_attn), key_padding_mask<true> (its
// src_key_padding_mask, given to Model::forward beside the input: multihead_attention.hpp).
// TransformerEncoder's options: final_norm<M> (its `norm` argument, usually LayerNorm<d_model>;
// none by default), key_padding_mask<true> (its src_key_padding_mask, which PyTorch passes to
// every layer: it gives every TransformerEncoderLayer the option). Every position is computed, the
// padded ones included, as with enable_nested_tensor=False; PyTorch's default nested-tensor path
// (under torch.no_grad(), post-norm layers, an even nhead, padding at the end, no causal mask)
// returns 0 at the padded positions before the final norm, and the same values at the others.
//
//     using Padded = typenet::TransformerEncoder<Layer, 2, typenet::key_padding_mask<true>>;
//     static_assert(typenet::Model<Padded, typenet::Input<16, 64>>::takes_key_padding_mask);
#pragma once

#include <cstddef>
#include <string_view>
#include <type_traits>
#include <utility>

#include "../combinators/add.hpp"
#include "../combinators/block.hpp"
#include "../combinators/sequential.hpp"
#include "../detail/fixed_string.hpp"
#include "../options.hpp"
#include "dropout.hpp"
#include "gelu.hpp"
#include "layer_norm.hpp"
#include "linear.hpp"
#include "multihead_attention.hpp"
#include "relu.hpp"

namespace typenet {

namespace option_kind {
struct norm_first {};
struct activation {};
struct layer_norm_eps {};
struct final_norm {};
}  // namespace option_kind
template <bool B> struct norm_first : value_option<option_kind::norm_first, B> {};
template <detail::fixed_string Name> struct activation {
    using option_kind = option_kind::activation;
    static constexpr std::string_view name = Name.view();
};
template <detail::fixed_string E> struct layer_norm_eps : decimal_option<option_kind::layer_norm_eps, E> {
    using as_eps = eps<E>;  // LayerNorm's option
};
// dropout<> is options.hpp's (shared with the recurrent layers).
template <class Norm> struct final_norm {
    using option_kind = option_kind::final_norm;
    using type = Norm;
};

namespace detail {

// The text of a dropout<P> option, for Dropout<P>.
template <class Option>
struct dropout_text;
template <fixed_string P>
struct dropout_text<dropout<P>> {
    static constexpr auto value = P;
};

template <std::size_t DModel, std::size_t NHead, std::size_t FF, class... Options>
struct encoder_layer_parts {
    static_assert(options_accepted<void(option_kind::norm_first, option_kind::activation, option_kind::layer_norm_eps,
                                        option_kind::dropout, option_kind::batch_first, option_kind::causal,
                                        option_kind::key_padding_mask),
                                   Options...>,
                  "TransformerEncoderLayer takes the options norm_first<>, activation<>, layer_norm_eps<>, dropout<>, "
                  "batch_first<>, causal<> and key_padding_mask<>, each at most once");
    static constexpr bool norm_first = option_t<option_kind::norm_first, typenet::norm_first<false>, Options...>::value;
    static constexpr std::string_view activation =
        option_t<option_kind::activation, typenet::activation<"relu">, Options...>::name;
    static_assert(activation == "relu" || activation == "gelu",
                  "TransformerEncoderLayer: activation is \"relu\" (the default) or \"gelu\", as in PyTorch");
    static constexpr bool causal = option_t<option_kind::causal, typenet::causal<false>, Options...>::value;
    static constexpr bool padding_mask =
        option_t<option_kind::key_padding_mask, typenet::key_padding_mask<false>, Options...>::value;
    using eps_option = option_t<option_kind::layer_norm_eps, layer_norm_eps<"1e-5">, Options...>;
    using dropout_option = option_t<option_kind::dropout, typenet::dropout<"0.1">, Options...>;

    using Act = std::conditional_t<activation == "gelu", GELU<>, ReLU>;
    using Norm = LayerNorm<DModel, typename eps_option::as_eps>;
    // PyTorch's dropout, dropout1 and dropout2 (the identity but in train() mode), and the same p
    // for the attention weights (its self_attn's dropout).
    using Drop = Dropout<dropout_text<dropout_option>::value>;
    using FeedForward = Then<Call<"linear1">, Act, Drop, Call<"linear2">, Drop>;
    // PyTorch's forward: norm_first, x + sa(norm1(x)) then x + ff(norm2(x)); otherwise
    // norm1(x + sa(x)) then norm2(x + ff(x)); sa and ff each end in a dropout.
    using expression = std::conditional_t<
        norm_first,
        Then<Add<Identity, Then<Call<"norm1", "self_attn">, Drop>>, Add<Identity, Then<Call<"norm2">, FeedForward>>>,
        Then<Add<Identity, Then<Call<"self_attn">, Drop>>, Call<"norm1">, Add<Identity, FeedForward>, Call<"norm2">>>;
    using block = Block<Named<"self_attn", MultiheadAttention<DModel, NHead, typenet::causal<causal>,
                                                              typenet::key_padding_mask<padding_mask>,
                                                              dropout_option>>,
                        Named<"linear1", Linear<DModel, FF>>, Named<"linear2", Linear<FF, DModel>>,
                        Named<"norm1", Norm>, Named<"norm2", Norm>, Forward<expression>>;
};

template <class Layer, std::size_t... I>
Sequential<std::conditional_t<true, Layer, std::integral_constant<std::size_t, I>>...> repeated(
    std::index_sequence<I...>);

}  // namespace detail

template <std::size_t DModel, std::size_t NHead, std::size_t DimFeedforward = 2048, class... Options>
struct TransformerEncoderLayer : detail::encoder_layer_parts<DModel, NHead, DimFeedforward, Options...>::block {
    static constexpr std::string_view type_name = "TransformerEncoderLayer";
    static constexpr std::size_t d_model = DModel;
    static constexpr std::size_t nhead = NHead;
    static constexpr std::size_t dim_feedforward = DimFeedforward;
    // Whether its self-attention takes the call's key padding mask (key_padding_mask<true>).
    static constexpr bool key_padding =
        detail::encoder_layer_parts<DModel, NHead, DimFeedforward, Options...>::padding_mask;
};

namespace detail {

// TransformerEncoder's key_padding_mask<true> goes to its layers' self-attention.
template <class Layer, bool Padding>
struct encoder_layer_with_padding {
    static_assert(!Padding || requires { requires Layer::key_padding; },
                  "TransformerEncoder: key_padding_mask<true> is given to layers of type TransformerEncoderLayer; give "
                  "your own layer type the option itself");
    using type = Layer;
};
template <std::size_t DModel, std::size_t NHead, std::size_t FF, class... Options>
    requires(!encoder_layer_parts<DModel, NHead, FF, Options...>::padding_mask)
struct encoder_layer_with_padding<TransformerEncoderLayer<DModel, NHead, FF, Options...>, true> {
    using type = TransformerEncoderLayer<DModel, NHead, FF, Options..., key_padding_mask<true>>;
};

template <class Layer, std::size_t NumLayers, class... Options>
using encoder_layers = decltype(repeated<typename encoder_layer_with_padding<
        Layer, option_t<option_kind::key_padding_mask, key_padding_mask<false>, Options...>::value>::type>(
    std::make_index_sequence<NumLayers>{}));

}  // namespace detail

template <class Layer, std::size_t NumLayers, class... Options>
struct TransformerEncoder
    : Block<Named<"layers", detail::encoder_layers<Layer, NumLayers, Options...>>,
            Named<"norm", typename option_t<option_kind::final_norm, final_norm<Absent>, Options...>::type>,
            Forward<Call<"layers", "norm">>> {
    static_assert(NumLayers >= 1, "TransformerEncoder: num_layers must be at least 1");
    static_assert(options_accepted<void(option_kind::final_norm, option_kind::key_padding_mask), Options...>,
                  "TransformerEncoder takes the options final_norm<M> (PyTorch's norm argument) and "
                  "key_padding_mask<>, each at most once");
    static constexpr std::string_view type_name = "TransformerEncoder";
    static constexpr std::size_t num_layers = NumLayers;
};

}  // namespace typenet
