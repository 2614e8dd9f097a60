"""Reference data for typenet's recurrent gradient tests (tests/training_recurrent.cpp), computed by PyTorch.

GRADIENTS: cases as training.py's (the same files, written by training.write_gradient_cases): LSTM, GRU and
RNN, stacked, bidirectional, with and without bias, proj_size, returning the output sequence, h_n or c_n,
dropout between layers (0 in train() mode, 0.3 in eval() mode);
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
