"""Reference data for typenet's recurrent gradient tests (tests/training_recurrent.cpp), computed by PyTorch.

GRADIENTS: cases as training.py's (the same files, written by training.write_gradient_cases): LSTM, GRU and
RNN, stacked, bidirectional, with and without bias, proj_size, returning the output sequence, h_n or c_n,
dropout between layers (0 in train() mode, 0.3 in eval() mode, 0.3 in train() mode with typenet's masks);
the recurrent modules are recurrent.py's (called as their batch_first says, returning what the typenet
layer returns).
TOKENS: the same files for a network starting with an Embedding, whose input is int64 token ids
(<name>.input.bin holds int64): padding_idx's id and repeated ids among them.
Usage: training_recurrent.py OUTPUT_DIR
"""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(__file__))
import training  # noqa: E402
from recurrent import GRU, LSTM, RNN  # noqa: E402

CE = ("cross_entropy", 0.0)

MASK64 = (1 << 64) - 1


def typenet_uniforms(seed, count):
    """typenet's random_bits (backward.hpp): SplitMix64 from state `seed`, each draw's top 24 bits
    times 2^-24, the numbers a Trainable draws after manual_seed(seed) (0 when never called)."""
    state, out = seed, []
    for _ in range(count):
        state = (state + 0x9E3779B97F4A7C15) & MASK64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        out.append(((z ^ (z >> 31)) >> 40) * 2.0 ** -24)
    return out


class TypenetMaskedLSTM(LSTM):
    """A batch_first LSTM whose train() dropout between layers uses the masks typenet draws, so that
    torch.autograd differentiates the very function typenet's train() forward computes: each layer
    is PyTorch's own (torch._VF.lstm on that layer's weights, as nn.LSTM.forward calls it), and each
    output but the last is multiplied by a mask, a value being 0 where the draw is < p, else
    1 / (1 - p). typenet draws sample by sample, for each sample layer by layer, a layer's [T, D * H]
    output in order (recurrent.hpp's run_layers), from a fresh generator (state 0): the only layer
    in the net that draws."""

    def forward(self, x):
        batch, steps = x.shape[:2]
        directions = 2 if self.bidirectional else 1
        width = directions * self.hidden_size
        drops = self.num_layers - 1
        draws = torch.tensor(typenet_uniforms(0, batch * drops * steps * width), dtype=torch.float64)
        masks = (draws >= self.dropout).to(torch.float64) / (1.0 - self.dropout)
        masks = masks.reshape(batch, drops, steps, width)
        per_layer = len(self._flat_weights) // self.num_layers
        zeros = x.new_zeros(directions, batch, self.hidden_size)
        for layer in range(self.num_layers):
            weights = self._flat_weights[layer * per_layer:(layer + 1) * per_layer]
            x = torch._VF.lstm(x, (zeros, zeros), weights, self.bias, 1, 0.0, self.training, self.bidirectional,
                               True)[0]
            if layer < drops and self.training:
                x = x * masks[:, layer]
        return x


# name: (factory, per-sample input shape, batch, loss, mode, frozen prefixes), as training.GRADIENTS
GRADIENTS = {
    "lstm_2layer_bidir_proj": (lambda: nn.Sequential(LSTM(4, 5, num_layers=2, bidirectional=True, proj_size=3,
                                                          batch_first=True), nn.Flatten(), nn.Linear(30, 3)),
                               (5, 4), 3, CE, "train", []),
    # A Linear before: the LSTM's input gradient; c_n of both layers.
    "lstm_c_n_nobias": (lambda: nn.Sequential(nn.Linear(3, 3), LSTM(3, 4, num_layers=2, bias=False, returns="c_n"),
                                              nn.Flatten(), nn.Linear(8, 2)),
                        (4, 3), 3, ("mse",), "train", []),
    # The same net, the LSTM frozen: no parameter gradients, the input's gradient still.
    "lstm_c_n_nobias_frozen": (lambda: nn.Sequential(nn.Linear(3, 3), LSTM(3, 4, num_layers=2, bias=False,
                                                                           returns="c_n"),
                                                     nn.Flatten(), nn.Linear(8, 2)),
                               (4, 3), 3, ("mse",), "train", ["1."]),
    # Hidden 64: the forward computes the input products of 16 steps at once (recurrent.hpp's
    # separate_input); 17 steps, a whole block and one more, both ways.
    "lstm_64_bidir": (lambda: nn.Sequential(LSTM(2, 64, bidirectional=True, returns="h_n", batch_first=True),
                                            nn.Flatten(), nn.Linear(128, 2)),
                      (17, 2), 2, CE, "train", []),
    "lstm_h_n_proj_bidir": (lambda: nn.Sequential(nn.Linear(3, 3), LSTM(3, 5, proj_size=2, bidirectional=True,
                                                                        returns="h_n"),
                                                  nn.Flatten(), nn.Linear(4, 2)),
                            (4, 3), 2, CE, "train", []),
    "gru_2layer_bidir": (lambda: nn.Sequential(GRU(4, 5, num_layers=2, bidirectional=True), nn.Flatten(),
                                               nn.Linear(50, 3)),
                         (5, 4), 3, CE, "train", []),
    # dropout=0 given: train() mode, no value dropped between the layers.
    "gru_h_n_nobias": (lambda: nn.Sequential(nn.Linear(3, 3), GRU(3, 4, num_layers=2, bias=False, returns="h_n",
                                                                  batch_first=True, dropout=0.0),
                                             nn.Flatten(), nn.Linear(8, 2)),
                       (4, 3), 3, ("bce",), "train", []),
    # A bidirectional tanh RNN into a relu RNN returning h_n: the second's input gradient.
    "rnn_tanh_relu": (lambda: nn.Sequential(RNN(4, 5, num_layers=2, bidirectional=True, batch_first=True),
                                            RNN(10, 4, nonlinearity="relu", returns="h_n", batch_first=True),
                                            nn.Flatten(), nn.Linear(4, 2)),
                      (5, 4), 3, CE, "train", []),
    # dropout between the layers, in eval() mode: no dropout (train() mode's masks are typenet's,
    # tested by their properties on this case's parameters and input).
    "lstm_3layer_bidir_dropout_eval": (lambda: nn.Sequential(nn.Linear(3, 3),
                                                             LSTM(3, 4, num_layers=3, bidirectional=True, dropout=0.3,
                                                                  batch_first=True),
                                                             nn.Flatten(), nn.Linear(32, 2)),
                                       (4, 3), 2, CE, "eval", []),
    # The same net in train() mode, with typenet's masks (TypenetMaskedLSTM).
    "lstm_3layer_bidir_dropout_typenet_masks": (lambda: nn.Sequential(nn.Linear(3, 3),
                                                                      TypenetMaskedLSTM(3, 4, num_layers=3,
                                                                                        bidirectional=True,
                                                                                        dropout=0.3,
                                                                                        batch_first=True),
                                                                      nn.Flatten(), nn.Linear(32, 2)),
                                                (4, 3), 2, CE, "train", []),
}


def embedding_gru():
    return nn.Sequential(nn.Embedding(7, 4, padding_idx=0), GRU(4, 5, batch_first=True), nn.Flatten(),
                         nn.Linear(25, 3))


# name: (factory, sequence length, batch, loss, number of ids)
TOKENS = {
    "embedding_gru": (embedding_gru, 5, 3, CE, 7),
}


def token_case(out_dir, name, factory, length, batch, loss, ids, generator):
    model = factory().double()
    training.randomize(model, generator)
    torch.save(model.state_dict(), os.path.join(out_dir, name + ".pth"))
    model.train()
    x = torch.randint(0, ids, (batch, length), generator=generator)
    x[0, 0] = x[1, 3] = 0   # padding_idx
    x[0, 1] = x[2, 4] = 5   # a repeated id
    training.write_case(out_dir, name, model, x, loss, batch, generator)


if __name__ == "__main__":
    training.write_gradient_cases(sys.argv[1], GRADIENTS, 20261203)
    tokens_generator = torch.Generator().manual_seed(20261204)
    for case_name, case in TOKENS.items():
        token_case(sys.argv[1], case_name, *case, tokens_generator)
