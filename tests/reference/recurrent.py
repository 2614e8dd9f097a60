"""Reference models of the recurrent group (RNN, LSTM, GRU, LastStep, a TCN before a GRU), mirrored
in recurrent.hpp.
make_reference.py feeds every model a batch [BATCH, T, features]: the wrappers below are the
PyTorch modules themselves (subclasses: same state_dict keys) called the way their batch_first
option says, returning what the typenet layer returns, batch first: the output sequence, or h_n /
c_n with the batch moved to the front (h_n[:, b, :] is sample b's). Sequences have 100 steps or more."""
import torch.nn as nn

from conv_pool import Transpose


class Returns:
    """forward() of a recurrent module on [B, T, F], transposed to time first unless batch_first."""

    def __init__(self, *args, returns="output", **kwargs):
        super().__init__(*args, **kwargs)
        self.returns = returns

    def forward(self, x):
        if not self.batch_first:
            x = x.transpose(0, 1)
        output, state = super().forward(x)
        if self.returns == "output":
            return (output if self.batch_first else output.transpose(0, 1)).contiguous()
        if isinstance(state, tuple):  # LSTM: (h_n, c_n)
            state = state[0] if self.returns == "h_n" else state[1]
        return state.transpose(0, 1).contiguous()


class RNN(Returns, nn.RNN):
    pass


class LSTM(Returns, nn.LSTM):
    pass


class GRU(Returns, nn.GRU):
    pass


class LastStep(nn.Module):
    """output[:, -1, :] of a batch-first sequence."""

    def forward(self, x):
        return x[:, -1, :]


class CausalResidual(nn.ModuleList):
    """x + body(x), body a causal dilated convolution (left zero padding of (3 - 1) * dilation) and
    tanh: typenet's Residual<Sequential<ConstantPad1d, Conv1d, Tanh>>, the body at position 0."""

    def __init__(self, channels, dilation):
        super().__init__([nn.Sequential(nn.ConstantPad1d((2 * dilation, 0), 0.),
                                        nn.Conv1d(channels, channels, 3, dilation=dilation), nn.Tanh())])

    def forward(self, x):
        return x + self[0](x)


MODELS = {
    "rnn_tanh": (lambda: RNN(6, 12, batch_first=True), (100, 6)),
    "rnn_relu": (lambda: RNN(6, 12, nonlinearity="relu"), (100, 6)),
    "rnn_2layer_bidir_nobias": (lambda: RNN(5, 9, num_layers=2, bidirectional=True, bias=False), (100, 5)),
    "lstm": (lambda: LSTM(8, 16, batch_first=True), (120, 8)),
    "lstm_time_first": (lambda: LSTM(8, 20), (120, 8)),
    "gru": (lambda: GRU(8, 16), (120, 8)),
    "gru_batch_first": (lambda: GRU(8, 20, batch_first=True), (120, 8)),
    # Hidden 32, input 32: whole vectors only (the streaming benchmark's size).
    "gru_32": (lambda: GRU(32, 32, batch_first=True), (150, 32)),
    "lstm_2layer_bidir": (lambda: LSTM(5, 12, num_layers=2, bidirectional=True, batch_first=True), (100, 5)),
    "gru_2layer_bidir": (lambda: GRU(5, 12, num_layers=2, bidirectional=True), (100, 5)),
    "lstm_proj": (lambda: LSTM(6, 20, num_layers=2, proj_size=7), (100, 6)),
    "lstm_proj_bidir": (lambda: LSTM(6, 10, proj_size=4, bidirectional=True, batch_first=True), (100, 6)),
    "lstm_nobias": (lambda: LSTM(7, 9, bias=False, batch_first=True), (100, 7)),
    "gru_3layer_nobias": (lambda: GRU(7, 9, num_layers=3, bias=False), (100, 7)),
    "rnn_h_n": (lambda: RNN(4, 10, num_layers=2, bidirectional=True, returns="h_n"), (100, 4)),
    "lstm_h_n": (lambda: LSTM(6, 10, num_layers=2, proj_size=5, returns="h_n", batch_first=True), (100, 6)),
    "lstm_c_n": (lambda: LSTM(6, 10, num_layers=2, bidirectional=True, returns="c_n"), (100, 6)),
    "gru_h_n": (lambda: GRU(6, 10, num_layers=2, bidirectional=True, returns="h_n", batch_first=True), (100, 6)),
    # Hidden size 64: typenet computes the input products apart, for blocks of 16 steps at once in a
    # whole sequence (101 steps: six blocks and a rest of 5, both ways).
    "lstm_64_2layer_bidir": (lambda: LSTM(16, 64, num_layers=2, bidirectional=True, batch_first=True), (101, 16)),
    "gru_64_2layer": (lambda: GRU(24, 64, num_layers=2), (101, 24)),
    # The usual classifier head: the last output of the sequence, then a Linear.
    "lstm_last_step_head": (lambda: nn.Sequential(LSTM(8, 24, batch_first=True), LastStep(), nn.Linear(24, 4)),
                            (100, 8)),
    # A TCN (two residual blocks of causal dilated convolutions on [C, L]), then a GRU over [T, F]
    # and a Linear: stream.cpp also runs it one time step at a time.
    "stream_tcn_gru": (lambda: nn.Sequential(CausalResidual(6, 1), CausalResidual(6, 2), Transpose(1, 2),
                                             GRU(6, 8, batch_first=True), nn.Linear(8, 2)), (6, 100)),
}

# Checked in float only by parity_recurrent.cpp (check_model_float), to keep it quick to compile;
# the others (float and float64) are recurrent.hpp's check_model models.
FLOAT_ONLY = {"rnn_tanh", "rnn_relu", "lstm", "lstm_time_first", "gru", "gru_batch_first", "gru_32",
              "lstm_proj_bidir", "lstm_nobias", "gru_3layer_nobias", "rnn_h_n", "lstm_h_n", "gru_h_n",
              "lstm_last_step_head", "lstm_64_2layer_bidir", "stream_tcn_gru"}
