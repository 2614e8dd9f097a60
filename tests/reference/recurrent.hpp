// The typenet side of the recurrent group's reference models: each type mirrors the PyTorch model
// of the same name in recurrent.py. batch_first<> is written where the PyTorch twin has it; it
// changes nothing here (a typenet sample is always [T, features]).
#pragma once

#include <typenet/typenet.hpp>

namespace reference::recurrent {

using namespace typenet;

using rnn_tanh = RNN<6, 12, batch_first<true>>;
using rnn_relu = RNN<6, 12, nonlinearity<"relu">>;
using rnn_2layer_bidir_nobias = RNN<5, 9, num_layers<2>, bidirectional<true>, bias<false>>;
using lstm = LSTM<8, 16, batch_first<true>>;
using lstm_time_first = LSTM<8, 20>;
using gru = GRU<8, 16>;
using gru_batch_first = GRU<8, 20, batch_first<true>>;
using gru_32 = GRU<32, 32, batch_first<true>>;
using lstm_2layer_bidir = LSTM<5, 12, num_layers<2>, bidirectional<true>, batch_first<true>>;
using gru_2layer_bidir = GRU<5, 12, num_layers<2>, bidirectional<true>>;
using lstm_proj = LSTM<6, 20, num_layers<2>, proj_size<7>>;
using lstm_proj_bidir = LSTM<6, 10, proj_size<4>, bidirectional<true>, batch_first<true>>;
using lstm_nobias = LSTM<7, 9, bias<false>, batch_first<true>>;
using gru_3layer_nobias = GRU<7, 9, num_layers<3>, bias<false>>;
using rnn_h_n = RNN<4, 10, num_layers<2>, bidirectional<true>, returns<"h_n">>;
using lstm_h_n = LSTM<6, 10, num_layers<2>, proj_size<5>, returns<"h_n">, batch_first<true>>;
using lstm_c_n = LSTM<6, 10, num_layers<2>, bidirectional<true>, returns<"c_n">>;
using gru_h_n = GRU<6, 10, num_layers<2>, bidirectional<true>, returns<"h_n">, batch_first<true>>;
using lstm_64_2layer_bidir = LSTM<16, 64, num_layers<2>, bidirectional<true>, batch_first<true>>;
using gru_64_2layer = GRU<24, 64, num_layers<2>>;
using lstm_last_step_head = Sequential<LSTM<8, 24, batch_first<true>>, LastStep, Linear<24, 4>>;
// Also run one time step at a time by stream.cpp: [6, 100] (channels, time) -> [100, 2].
template <std::size_t Dilation>
using causal_residual = Residual<Sequential<ConstantPad1d<2 * Dilation, 0>, Conv1d<6, 6, 3, dilation<Dilation>>, Tanh>>;
using stream_tcn_gru =
    Sequential<causal_residual<1>, causal_residual<2>, Transpose<1, 2>, GRU<6, 8, batch_first<true>>, Linear<8, 2>>;

}  // namespace reference::recurrent

namespace reference {

// The models checked in float and double (check_model); the others in float (check_model_float).
template <class Full, class Light>
void for_each_recurrent_model(Full full, Light light) {
    using namespace recurrent;
    light.template operator()<rnn_tanh, Input<100, 6>>("rnn_tanh");
    light.template operator()<rnn_relu, Input<100, 6>>("rnn_relu");
    full.template operator()<rnn_2layer_bidir_nobias, Input<100, 5>>("rnn_2layer_bidir_nobias");
    light.template operator()<lstm, Input<120, 8>>("lstm");
    light.template operator()<lstm_time_first, Input<120, 8>>("lstm_time_first");
    light.template operator()<gru, Input<120, 8>>("gru");
    light.template operator()<gru_batch_first, Input<120, 8>>("gru_batch_first");
    light.template operator()<gru_32, Input<150, 32>>("gru_32");
    full.template operator()<lstm_2layer_bidir, Input<100, 5>>("lstm_2layer_bidir");
    full.template operator()<gru_2layer_bidir, Input<100, 5>>("gru_2layer_bidir");
    full.template operator()<lstm_proj, Input<100, 6>>("lstm_proj");
    light.template operator()<lstm_proj_bidir, Input<100, 6>>("lstm_proj_bidir");
    light.template operator()<lstm_nobias, Input<100, 7>>("lstm_nobias");
    light.template operator()<gru_3layer_nobias, Input<100, 7>>("gru_3layer_nobias");
    light.template operator()<rnn_h_n, Input<100, 4>>("rnn_h_n");
    light.template operator()<lstm_h_n, Input<100, 6>>("lstm_h_n");
    full.template operator()<lstm_c_n, Input<100, 6>>("lstm_c_n");
    light.template operator()<gru_h_n, Input<100, 6>>("gru_h_n");
    light.template operator()<lstm_64_2layer_bidir, Input<101, 16>>("lstm_64_2layer_bidir");
    full.template operator()<gru_64_2layer, Input<101, 24>>("gru_64_2layer");
    light.template operator()<lstm_last_step_head, Input<100, 8>>("lstm_last_step_head");
    light.template operator()<stream_tcn_gru, Input<6, 100>>("stream_tcn_gru");
}

}  // namespace reference
