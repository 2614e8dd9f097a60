"""Reference data for typenet's gradient tests of data-movement layers
(tests/training_simple_layers.cpp), computed by PyTorch: GRADIENTS as training.py's (the same files,
written by training.write_gradient_cases).

ChannelShuffle, Narrow, ConstantPad1d, Mean and LastStep sit between two Linears: the first
Linear's weight gradient, dy^T x, shows where each layer sent the gradient of every input value.
Usage: training_simple_layers.py OUTPUT_DIR
"""
import os
import sys

import torch
import torch.nn as nn

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


CE = ("cross_entropy", 0.0)

# name: (factory, per-sample input shape, batch, loss, mode, frozen prefixes), as training.GRADIENTS
GRADIENTS = {
    "shuffle_narrow_pad": (shuffle_narrow_pad, (6, 4), 3, CE, "train", []),
    "mean_last_step": (mean_last_step, (4, 3, 4), 3, ("mse",), "train", []),
}

if __name__ == "__main__":
    training.write_gradient_cases(sys.argv[1], GRADIENTS, 20261203)
