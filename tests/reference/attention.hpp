// The typenet side of reference/attention.py: each type mirrors the PyTorch model of the same
// name (SelfAttention and EncoderLayer there are PyTorch's modules called on [N, S, E]; their
// batch_first only changes that call). for_each_attention_model says which are also checked in
// double (attention.py's FLOAT_AND_DOUBLE).
#pragma once

#include <typenet/typenet.hpp>

namespace reference::attention {

using namespace typenet;

inline constexpr std::size_t S = 64;

using embedding_padding_idx = Embedding<50, 16, padding_idx<0>>;
using embedding_negative_padding_idx = Embedding<40, 24, padding_idx<-1>>;
using mha = MultiheadAttention<32, 4>;
using mha_batch_first_single_head = MultiheadAttention<24, 1, batch_first<true>>;
using mha_nobias_causal = MultiheadAttention<32, 4, bias<false>, causal<true>>;
using mha_causal_odd_length = MultiheadAttention<16, 2, causal<true>, batch_first<true>>;
using encoder_layer_relu = TransformerEncoderLayer<32, 4, 64, batch_first<true>>;
using encoder_layer_relu_norm_first = TransformerEncoderLayer<32, 4, 64, norm_first<true>>;
using encoder_layer_gelu = TransformerEncoderLayer<32, 4, 64, activation<"gelu">, layer_norm_eps<"1e-6">>;
using encoder_layer_gelu_norm_first_causal =
    TransformerEncoderLayer<32, 4, 64, activation<"gelu">, norm_first<true>, causal<true>, batch_first<true>>;
using encoder_2_layers_norm = TransformerEncoder<TransformerEncoderLayer<32, 4, 64>, 2, final_norm<LayerNorm<32>>>;

// Token ids -> embedding + learned positions (a Parameter: its key "pos" comes first, as
// PyTorch lists a module's own parameters first) -> 2-layer encoder -> mean over positions -> Linear.
using text_classifier = Block<
    Named<"embedding", Embedding<100, 32, padding_idx<0>>>, Named<"pos", Parameter<shape{S, 32}>>,
    Named<"encoder", TransformerEncoder<TransformerEncoderLayer<32, 4, 64, activation<"gelu">>, 2,
                                        final_norm<LayerNorm<32>>>>,
    Named<"head", Linear<32, 5>>,
    Forward<Then<Add<Call<"embedding">, Call<"pos">>, Call<"encoder">, Mean<1>, Call<"head">>>>;

// Key padding masks (attention.py's padding_mask, read from <name>.mask.bin): a different padding
// per sample of the batch.
using mha_key_padding = MultiheadAttention<32, 4, key_padding_mask<true>>;
using mha_key_padding_causal_odd_length =
    MultiheadAttention<16, 2, causal<true>, batch_first<true>, key_padding_mask<true>>;
using encoder_layer_key_padding_norm_first =
    TransformerEncoderLayer<32, 4, 64, norm_first<true>, activation<"gelu">, key_padding_mask<true>>;
using encoder_key_padding =
    TransformerEncoder<TransformerEncoderLayer<32, 4, 64>, 2, final_norm<LayerNorm<32>>, key_padding_mask<true>>;
// text_classifier over padded sequences, the mean over the valid positions only.
using text_classifier_key_padding = Block<
    Named<"embedding", Embedding<100, 32, padding_idx<0>>>, Named<"pos", Parameter<shape{S, 32}>>,
    Named<"encoder", TransformerEncoder<TransformerEncoderLayer<32, 4, 64, activation<"gelu">>, 2,
                                        final_norm<LayerNorm<32>>, key_padding_mask<true>>>,
    Named<"head", Linear<32, 5>>,
    Forward<Then<Add<Call<"embedding">, Call<"pos">>, Call<"encoder">, Mean<1, key_padding_mask<true>>, Call<"head">>>>;

// The models checked in float and double (full: check_model); the others in float (light:
// check_model_float).
template <class Full, class Light>
void for_each_attention_model(Full full, Light light) {
    light.template operator()<embedding_padding_idx, Tokens<S>>("embedding_padding_idx");
    light.template operator()<embedding_negative_padding_idx, Tokens<S>>("embedding_negative_padding_idx");
    light.template operator()<mha, Input<S, 32>>("mha");
    light.template operator()<mha_batch_first_single_head, Input<S, 24>>("mha_batch_first_single_head");
    full.template operator()<mha_nobias_causal, Input<S, 32>>("mha_nobias_causal");
    light.template operator()<mha_causal_odd_length, Input<37, 16>>("mha_causal_odd_length");
    light.template operator()<encoder_layer_relu, Input<S, 32>>("encoder_layer_relu");
    light.template operator()<encoder_layer_relu_norm_first, Input<S, 32>>("encoder_layer_relu_norm_first");
    light.template operator()<encoder_layer_gelu, Input<S, 32>>("encoder_layer_gelu");
    light.template operator()<encoder_layer_gelu_norm_first_causal, Input<S, 32>>(
        "encoder_layer_gelu_norm_first_causal");
    full.template operator()<encoder_2_layers_norm, Input<S, 32>>("encoder_2_layers_norm");
    light.template operator()<text_classifier, Tokens<S>>("text_classifier");
    light.template operator()<mha_key_padding, Input<S, 32>>("mha_key_padding");
    light.template operator()<mha_key_padding_causal_odd_length, Input<37, 16>>("mha_key_padding_causal_odd_length");
    light.template operator()<encoder_layer_key_padding_norm_first, Input<S, 32>>(
        "encoder_layer_key_padding_norm_first");
    light.template operator()<encoder_key_padding, Input<S, 32>>("encoder_key_padding");
    light.template operator()<text_classifier_key_padding, Tokens<S>>("text_classifier_key_padding");
}

}  // namespace reference::attention
