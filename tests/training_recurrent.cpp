// Gradients of LSTM, GRU, RNN (backpropagation through time) and Embedding against torch.autograd
// (training_support.hpp); the cases are reference/training_recurrent.py's GRADIENTS and TOKENS. Few,
// small nets, each covering several options: stacked and bidirectional layers, proj_size, no bias,
// the output sequence, h_n or c_n returned, a layer before (the recurrent layer's input gradient),
// a frozen LSTM, hidden 64 (the forward's blocks of input products), token ids into an Embedding
// with padding_idx and repeated ids; dropout<p> between layers: p = 0 in train() mode, p = 0.3 in
// eval() mode and in train() mode with typenet's masks (drawn by the reference too) against
// PyTorch, and train() mode's masks by their properties.
#include "training_support.hpp"

namespace {
using namespace typenet;
using namespace training;

using LstmDropoutNet = Sequential<Linear<3, 3>, LSTM<3, 4, num_layers<3>, bidirectional<true>, dropout<"0.3">,
                                                     batch_first<true>>,
                                  Flatten, Linear<32, 2>>;
}  // namespace

TEST_CASE("LSTM gradients equal torch.autograd's") {
    check_case<Sequential<LSTM<4, 5, num_layers<2>, bidirectional<true>, proj_size<3>, batch_first<true>>, Flatten,
                          Linear<30, 3>>,
               Input<5, 4>, 3>("lstm_2layer_bidir_proj", {loss_kind::cross_entropy}, true);
    check_case<Sequential<Linear<3, 3>, LSTM<3, 4, num_layers<2>, bias<false>, returns<"c_n">>, Flatten, Linear<8, 2>>,
               Input<4, 3>, 3>("lstm_c_n_nobias", {loss_kind::mse}, true);
    check_case<Sequential<Linear<3, 3>, LSTM<3, 4, num_layers<2>, bias<false>, returns<"c_n">>, Flatten, Linear<8, 2>>,
               Input<4, 3>, 3>("lstm_c_n_nobias_frozen", {loss_kind::mse}, true, {"1"});
    check_case<Sequential<LSTM<2, 64, bidirectional<true>, returns<"h_n">, batch_first<true>>, Flatten, Linear<128, 2>>,
               Input<17, 2>, 2>("lstm_64_bidir", {loss_kind::cross_entropy}, true);
    check_case<Sequential<Linear<3, 3>, LSTM<3, 5, proj_size<2>, bidirectional<true>, returns<"h_n">>, Flatten,
                          Linear<4, 2>>,
               Input<4, 3>, 2>("lstm_h_n_proj_bidir", {loss_kind::cross_entropy}, true);
}

TEST_CASE("GRU gradients equal torch.autograd's") {
    check_case<Sequential<GRU<4, 5, num_layers<2>, bidirectional<true>>, Flatten, Linear<50, 3>>, Input<5, 4>, 3>(
        "gru_2layer_bidir", {loss_kind::cross_entropy}, true);
    check_case<Sequential<Linear<3, 3>,
                          GRU<3, 4, num_layers<2>, bias<false>, returns<"h_n">, batch_first<true>, dropout<"0">>,
                          Flatten, Linear<8, 2>>,
               Input<4, 3>, 3>("gru_h_n_nobias", {loss_kind::bce}, true);
}

TEST_CASE("Embedding trains from token ids: scatter-add, nothing for padding_idx") {
    check_case<Sequential<Embedding<7, 4, padding_idx<0>>, GRU<4, 5, batch_first<true>>, Flatten, Linear<25, 3>>,
               Tokens<5>, 3>("embedding_gru", {loss_kind::cross_entropy}, true);
}

TEST_CASE("RNN gradients (tanh, relu) equal torch.autograd's") {
    check_case<Sequential<RNN<4, 5, num_layers<2>, bidirectional<true>, batch_first<true>>,
                          RNN<10, 4, nonlinearity<"relu">, returns<"h_n">, batch_first<true>>, Flatten, Linear<4, 2>>,
               Input<5, 4>, 3>("rnn_tanh_relu", {loss_kind::cross_entropy}, true);
}

// dropout<p> between stacked layers (PyTorch's F.dropout on each layer's output but the last, both
// directions at once, in train() mode): eval() mode against PyTorch; train() mode's masks are
// typenet's: against PyTorch given the same masks (the reference reproduces the generator), and by
// their properties (training_support.hpp's check_dropout_properties).
TEST_CASE("dropout between recurrent layers: eval() is PyTorch's, train() differentiates its masks") {
    check_case<LstmDropoutNet, Input<4, 3>, 2>("lstm_3layer_bidir_dropout_eval", {loss_kind::cross_entropy}, false);
    // train() mode from a fresh generator: the reference draws typenet's masks (TypenetMaskedLSTM).
    check_case<LstmDropoutNet, Input<4, 3>, 2>("lstm_3layer_bidir_dropout_typenet_masks", {loss_kind::cross_entropy},
                                               true);
    check_dropout_properties<LstmDropoutNet, Input<4, 3>, 2>(
        "lstm_3layer_bidir_dropout_eval", {"0.weight", "1.weight_ih_l0", "1.weight_hh_l1_reverse", "1.bias_ih_l2",
                                           "1.weight_ih_l2_reverse", "3.weight"},
        3);
}
