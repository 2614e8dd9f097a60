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

}  // namespace

TEST_CASE("gradients of MultiheadAttention equal torch.autograd's") {
    check_case<MhaNet, Input<4, 8>, 2>("mha", {loss_kind::mse}, true);
    check_case<MhaNet, Input<4, 8>, 2>("mha_frozen", {loss_kind::mse}, true, {"1"});
    check_case<MhaCausalNet, Input<4, 8>, 2>("mha_causal_no_bias", {loss_kind::cross_entropy}, true);
}

TEST_CASE("gradients of TransformerEncoderLayer and TransformerEncoder equal torch.autograd's") {
    check_case<EncoderLayerNet, Input<4, 8>, 2>("encoder_layer_relu", {loss_kind::mse}, true);
    check_case<EncoderLayerGeluNet, Input<4, 8>, 2>("encoder_layer_gelu_norm_first_causal_eval",
                                                    {loss_kind::cross_entropy}, false);
    check_case<EncoderNet, Input<3, 8>, 2>("encoder_2_layers_norm", {loss_kind::mse}, true);
    check_case<EncoderNet, Input<3, 8>, 2>("encoder_2_layers_norm_frozen", {loss_kind::mse}, true, {"1.layers.0"});
}
