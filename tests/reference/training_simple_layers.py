"""Reference data for typenet's gradient tests of data-movement layers and the dropouts
(tests/training_simple_layers.cpp), computed by PyTorch: GRADIENTS as training.py's (the same files,
written by training.write_gradient_cases).

ChannelShuffle, Narrow, ConstantPad1d, Mean and LastStep sit between two Linears: the first
Linear's weight gradient, dy^T x, shows where each layer sent the gradient of every input value.
The dropouts' masks come from PyTorch's generator, which typenet's does not reproduce: here they
run in eval() mode and, with p = 0, in train() mode (the identity in both, as PyTorch's and
torchvision's code returns the input then); their masks in train() mode are tested by their
properties in the C++ test.
Usage: training_simple_layers.py OUTPUT_DIR
"""
import os
import sys
import warnings

import torch
import torch.nn as nn
from torchvision.ops import StochasticDepth

sys.path.insert(0, os.path.dirname(__file__))
import training  # noqa: E402


class Narrow(nn.Module):
    def __init__(self, dim, start, length):
        super().__init__()
        self.dim, self.start, self.length = dim, start, length

    def forward(self, x):
        return x.narrow(self.dim, self.start, self.length)


class ChannelShuffle(nn.Module):
    """nn.ChannelShuffle, which has no derivative in PyTorch 1.13, as torchvision's ShuffleNetV2 writes it
    (a view, a transpose); checked equal to nn.ChannelShuffle on every call."""

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, x):
        n, c = x.shape[:2]
        y = x.view(n, self.groups, c // self.groups, *x.shape[2:]).transpose(1, 2).reshape(x.shape)
        assert torch.equal(y, nn.ChannelShuffle(self.groups)(x.detach()))
        return y


class Mean(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return x.mean(self.dim)


class LastStep(nn.Module):
    def forward(self, x):
        return x[:, -1]


def shuffle_narrow_pad():
    # [6, 4] -> [6, 5] -> shuffled -> channels 1..4 -> last 3 of each row -> padded to [4, 6].
    return nn.Sequential(nn.Linear(4, 5), ChannelShuffle(2), Narrow(1, 1, 4), Narrow(-1, -3, 3),
                         nn.ConstantPad1d((2, 1), -0.5), nn.Flatten(), nn.Linear(24, 3))


def mean_last_step():
    # [4, 3, 4] -> [4, 3, 5] -> the mean over dim 2 (the batch is dim 0) -> [4, 5] -> the last step [5].
    return nn.Sequential(nn.Linear(4, 5), Mean(2), LastStep(), nn.Linear(5, 2))


def dropouts(p1, p2, pa, ps_row, ps_batch):
    # [4, 6]: Dropout1d and Dropout2d on (N, C, L), AlphaDropout, StochasticDepth both modes.
    return lambda: nn.Sequential(nn.Linear(6, 6), nn.Dropout1d(p1), nn.Dropout2d(p2), nn.AlphaDropout(pa),
                                 StochasticDepth(ps_row, "row"), StochasticDepth(ps_batch, "batch"), nn.Flatten(),
                                 nn.Linear(24, 3))


def dropouts_rank1(p):
    # Per-sample [C]: PyTorch's Dropout1d sees (N, C) as one unbatched (C, L); Dropout2d drops values.
    return lambda: nn.Sequential(nn.Linear(6, 6), nn.Dropout1d(p), nn.Dropout2d(p), nn.Linear(6, 3))


CE = ("cross_entropy", 0.0)

# name: (factory, per-sample input shape, batch, loss, mode, frozen prefixes), as training.GRADIENTS
GRADIENTS = {
    "shuffle_narrow_pad": (shuffle_narrow_pad, (6, 4), 3, CE, "train", []),
    "mean_last_step": (mean_last_step, (4, 3, 4), 3, ("mse",), "train", []),
    "dropouts_eval": (dropouts(0.5, 0.3, 0.2, 0.4, 0.5), (4, 6), 3, CE, "eval", []),
    "dropouts_p0_train": (dropouts(0.0, 0.0, 0.0, 0.0, 0.0), (4, 6), 3, CE, "train", []),
    "dropouts_rank1_eval": (dropouts_rank1(0.5), (6,), 4, CE, "eval", []),
}

if __name__ == "__main__":
    warnings.simplefilter("ignore")  # Dropout2d's warnings about the ranks it is given
    training.write_gradient_cases(sys.argv[1], GRADIENTS, 20261203)
