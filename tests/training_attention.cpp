// Gradients of MultiheadAttention, TransformerEncoderLayer and TransformerEncoder against
// torch.autograd (training_support.hpp); the cases are reference/training_attention.py's GRADIENTS.
#include "training_support.hpp"

namespace {
using namespace typenet;
using namespace training;

using MhaNet = Sequential<Linear<8, 8>, MultiheadAttention<8, 2>>;
using MhaCausalNet = Sequential<Linear<8, 8>, MultiheadAttention<8, 2, bias<false>, causal<true>, batch_first<true>>,
                                Flatten, Linear<32, 3>>;
using EncoderLayerNet = Sequential<Linear<8, 8>, TransformerEncoderLayer<8, 2, 16, dropout<"0">>>;
// PyTorch's default dropout 0.1, in eval() mode.
using EncoderLayerGeluNet =
    Sequential<Linear<8, 8>,
               TransformerEncoderLayer<8, 2, 16, activation<"gelu">, norm_first<true>, causal<true>,
                                       layer_norm_eps<"1e-6">, batch_first<true>>,
               Flatten, Linear<32, 3>>;
using EncoderNet = Sequential<Linear<8, 8>, TransformerEncoder<TransformerEncoderLayer<8, 2, 16, dropout<"0">>, 2,
                                                               final_norm<LayerNorm<8>>>>;
// key_padding_mask<true>: the mask is given to Trainable::forward beside the input.
// Mean<1, key_padding_mask<true>> averages the valid positions (reference: MaskedMean).
using MhaPaddedNet = Sequential<Linear<8, 8>, MultiheadAttention<8, 2, causal<true>, key_padding_mask<true>>,
                                Mean<1, key_padding_mask<true>>, Linear<8, 3>>;
using EncoderPaddedNet =
    Sequential<Linear<8, 8>, TransformerEncoder<TransformerEncoderLayer<8, 2, 16, dropout<"0">, norm_first<true>,
                                                                        activation<"gelu">>,
                                                2, key_padding_mask<true>>>;

}  // namespace

TEST_CASE("gradients of MultiheadAttention equal torch.autograd's") {
    check_case<MhaNet, Input<4, 8>, 2>("mha", {loss_kind::mse}, true);
    check_case<MhaNet, Input<4, 8>, 2>("mha_frozen", {loss_kind::mse}, true, {"1"});
    check_case<MhaCausalNet, Input<4, 8>, 2>("mha_causal_no_bias", {loss_kind::cross_entropy}, true);
}

TEST_CASE("networks with key_padding_mask<true> train: their gradients equal torch.autograd's") {
    check_case<MhaPaddedNet, Input<4, 8>, 2>("mha_key_padding_causal", {loss_kind::cross_entropy}, true);
    check_case<EncoderPaddedNet, Input<4, 8>, 2>("encoder_key_padding", {loss_kind::mse}, true);
}

TEST_CASE("gradients of TransformerEncoderLayer and TransformerEncoder equal torch.autograd's") {
    check_case<EncoderLayerNet, Input<4, 8>, 2>("encoder_layer_relu", {loss_kind::mse}, true);
    check_case<EncoderLayerGeluNet, Input<4, 8>, 2>("encoder_layer_gelu_norm_first_causal_eval",
                                                    {loss_kind::cross_entropy}, false);
    check_case<EncoderNet, Input<3, 8>, 2>("encoder_2_layers_norm", {loss_kind::mse}, true);
    check_case<EncoderNet, Input<3, 8>, 2>("encoder_2_layers_norm_frozen", {loss_kind::mse}, true, {"1.layers.0"});
}

// Dropout inside the encoder layer (dropout, dropout1, dropout2 and the attention weights') cannot
// follow PyTorch's masks: its properties instead (training_support.hpp's check_dropout_properties),
// with encoder_layer_relu's parameters and input (the same keys).
TEST_CASE("dropout in the encoder layer: eval() is inference, train() differentiates its masks") {
    using Net = Sequential<Linear<8, 8>, TransformerEncoderLayer<8, 2, 16, dropout<"0.5">>>;
    check_dropout_properties<Net, Input<4, 8>, 2>(
        "encoder_layer_relu", {"0.weight", "1.self_attn.in_proj_weight", "1.self_attn.out_proj.bias",
                               "1.linear1.weight", "1.linear2.weight", "1.norm1.weight"});
}
