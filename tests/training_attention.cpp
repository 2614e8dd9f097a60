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
// follow PyTorch's masks; its properties instead: eval() is the inference forward; in train() the
// masks come from manual_seed's generator (the same seed, the same output; another output than
// eval()'s); and the gradient is the derivative of the function those masks define, checked by
// central differences with the masks held fixed (the same seed before every forward).
TEST_CASE("dropout in the encoder layer: eval() is inference, train() differentiates its masks") {
    using Net = Sequential<Linear<8, 8>, TransformerEncoderLayer<8, 2, 16, dropout<"0.5">>>;
    using M = Trainable<Net, Input<4, 8>, double, 2>;
    auto model = std::make_unique<M>();
    typenet::load_state_dict(*model, reference_dir + "/encoder_layer_relu.pth");  // the same keys
    auto x = std::make_unique<M::batch_input_type<2>>();
    const std::vector<double> input = read_values<double>("encoder_layer_relu.input.bin");
    REQUIRE(input.size() == x->size);
    std::copy(input.begin(), input.end(), x->elements);
    auto y = std::make_unique<M::batch_output_type<2>>();
    auto y2 = std::make_unique<M::batch_output_type<2>>();

    model->eval();
    model->forward(*x, *y);
    static_cast<M::model_type&>(*model).forward(*x, *y2);
    CHECK(test::relative_error<double, double>(y->flat(), y2->flat()) < 1e-14);

    model->train();
    model->manual_seed(7);
    model->forward(*x, *y2);
    CHECK(test::relative_error<double, double>(y->flat(), y2->flat()) > 1e-2);  // something was dropped
    model->manual_seed(7);
    model->forward(*x, *y);
    CHECK(test::relative_error<double, double>(y->flat(), y2->flat()) == 0);

    // L = sum(y * w) for fixed weights w: dL/dy = w.
    auto w = std::make_unique<M::batch_output_type<2>>();
    for (std::size_t i = 0; i < w->size; ++i) w->elements[i] = std::sin(double(i) + 0.5);
    const auto loss = [&] {
        model->manual_seed(7);
        model->forward(*x, *y);
        double sum = 0;
        for (std::size_t i = 0; i < y->size; ++i) sum += y->elements[i] * w->elements[i];
        return sum;
    };
    model->zero_grad();
    loss();
    model->backward(*w);
    for (const char* key : {"0.weight", "1.self_attn.in_proj_weight", "1.self_attn.out_proj.bias", "1.linear1.weight",
                            "1.linear2.weight", "1.norm1.weight"}) {
        INFO(key);
        const typenet::state_entry& e = M::entry(key);
        std::span<double> values = model->values(e);
        std::span<const double> grad = model->grad(e);
        for (std::size_t i = 0; i < values.size(); i += 5) {
            const double saved = values[i], h = 1e-6;
            values[i] = saved + h;
            const double up = loss();
            values[i] = saved - h;
            const double down = loss();
            values[i] = saved;
            CHECK(std::abs((up - down) / (2 * h) - grad[i]) <= 1e-7 * (1 + std::abs(grad[i])));
        }
    }
}
