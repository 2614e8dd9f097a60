"""Reference data for typenet's gradient tests of GroupNorm, InstanceNorm, Upsample and the transposed
convolutions (tests/training_norm_conv.cpp), computed by PyTorch.

GRADIENTS: cases as training.py's (the same files, written by training.write_gradient_cases); each
net puts many of a layer's options together. InstanceNorm with running statistics runs in train()
(running statistics updated) and eval() mode. A layer first in its net, or frozen, shows that its
backward pass works without an input gradient or parameter gradients.
Usage: training_norm_conv.py OUTPUT_DIR
"""
import os
import sys

import torch.nn as nn

sys.path.insert(0, os.path.dirname(__file__))
import training  # noqa: E402


# Over [C, H, W] and over [C]. GroupNorm<3, 6> gets 2 channels per group: the per-channel bias before
# it has a gradient (with one channel per group, as before an InstanceNorm, it would be zero up to
# rounding). Over [C], groups of 4 and 6 values (a group of 2 normalises to nearly +-1, whose
# gradients are rounding).
def group_norm_net():
    return nn.Sequential(nn.GroupNorm(1, 2), nn.Conv2d(2, 6, 1), nn.GroupNorm(3, 6), nn.Tanh(),
                         nn.GroupNorm(2, 6, eps=1e-3, affine=False), nn.Flatten(), nn.Linear(54, 3))


def group_norm1d_net():
    return nn.Sequential(nn.Linear(6, 8), nn.GroupNorm(2, 8), nn.Tanh(), nn.Linear(8, 6),
                         nn.GroupNorm(1, 6, affine=False), nn.Linear(6, 3))


# A convolution right before an InstanceNorm without affine has a gradient mostly cancelled (the
# norm undoes a scaling of each channel's weights): PyTorch's own float32 run differs from float64 by
# 1.5e-5 there, so the second InstanceNorm follows a Tanh.
def instance_norm1d_net():
    return nn.Sequential(nn.Conv1d(2, 4, 1, bias=False),
                         nn.InstanceNorm1d(4, momentum=0.3, affine=True, track_running_stats=True), nn.Tanh(),
                         nn.InstanceNorm1d(4, eps=1e-3), nn.Flatten(), nn.Linear(20, 3))


# Tanh after the first InstanceNorm: without it the second (in train()) would remove the first's
# bias, leaving that a gradient of rounding.
def instance_norm2d_net():
    return nn.Sequential(nn.InstanceNorm2d(2, affine=True), nn.Tanh(), nn.Conv2d(2, 3, 1, bias=False),
                         nn.InstanceNorm2d(3, track_running_stats=True), nn.Flatten(), nn.Linear(27, 2))


# [2, 3, 4] -> nearest x2 [2, 6, 8] -> bilinear [2, 7, 9] -> bilinear, align_corners, factors
# (0.6, 0.5) [2, 4, 4] -> nearest to (5, 7), a ratio that is neither 1 nor 2; then one channel,
# whose forward PyTorch runs channels-last.
def upsample2d_net():
    return nn.Sequential(nn.Conv2d(2, 2, 1), nn.Upsample(scale_factor=2), nn.Upsample(size=(7, 9), mode="bilinear"),
                         nn.Upsample(scale_factor=(0.6, 0.5), mode="bilinear", align_corners=True),
                         nn.Upsample(size=(5, 7)), nn.Conv2d(2, 1, 1), nn.UpsamplingNearest2d(scale_factor=1.5),
                         nn.UpsamplingBilinear2d(size=(4, 5)), nn.Flatten(), nn.Linear(20, 3))


# [2, 5] -> linear x2.5 [2, 12] -> linear, align_corners [2, 4] -> nearest x1.5 [2, 6].
def upsample1d_net():
    return nn.Sequential(nn.Conv1d(2, 2, 1), nn.Upsample(scale_factor=2.5, mode="linear"),
                         nn.Upsample(size=4, mode="linear", align_corners=True), nn.Upsample(scale_factor=1.5),
                         nn.Flatten(), nn.Linear(12, 2))


# [2, 3, 3] -> [4, 6, 5] (stride, padding, output_padding, groups, dilation) -> depthwise [4, 6, 5]
# -> [2, 7, 6] (no bias).
def conv_transpose2d_net():
    return nn.Sequential(nn.ConvTranspose2d(2, 4, (3, 2), stride=(2, 1), padding=(1, 0), output_padding=(1, 0),
                                            groups=2, dilation=(1, 2)), nn.Tanh(),
                         nn.ConvTranspose2d(4, 4, 3, padding=1, groups=4), nn.ConvTranspose2d(4, 2, 2, bias=False),
                         nn.Flatten(), nn.Linear(84, 3))


# [2, 5] -> [4, 8]: output_padding 1 with stride 1 (allowed by dilation 2) -> [3, 23].
def conv_transpose1d_net():
    return nn.Sequential(nn.Conv1d(2, 2, 1),
                         nn.ConvTranspose1d(2, 4, 3, padding=1, output_padding=1, groups=2, dilation=2), nn.Tanh(),
                         nn.ConvTranspose1d(4, 3, 4, stride=3, padding=2, output_padding=2), nn.Flatten(),
                         nn.Linear(69, 2))


CE = ("cross_entropy", 0.0)

# name: (factory, per-sample input shape, batch, loss, mode, frozen prefixes), as training.GRADIENTS
GRADIENTS = {
    "group_norm": (group_norm_net, (2, 3, 3), 3, CE, "train", []),
    "group_norm_frozen": (group_norm_net, (2, 3, 3), 3, ("mse",), "train", ["0.", "2."]),
    "group_norm1d": (group_norm1d_net, (6,), 4, CE, "train", []),
    "instance_norm1d_train": (instance_norm1d_net, (2, 5), 3, CE, "train", []),
    "instance_norm1d_eval": (instance_norm1d_net, (2, 5), 3, CE, "eval", []),
    "instance_norm2d_train": (instance_norm2d_net, (2, 3, 3), 4, ("bce",), "train", []),
    "instance_norm2d_eval": (instance_norm2d_net, (2, 3, 3), 4, ("bce",), "eval", []),
    "upsample2d": (upsample2d_net, (2, 3, 4), 3, ("mse",), "train", []),
    "upsample1d": (upsample1d_net, (2, 5), 3, CE, "train", []),
    "conv_transpose2d": (conv_transpose2d_net, (2, 3, 3), 3, CE, "train", []),
    "conv_transpose2d_frozen": (conv_transpose2d_net, (2, 3, 3), 3, CE, "train", ["2."]),
    "conv_transpose1d": (conv_transpose1d_net, (2, 5), 3, CE, "train", []),
}

if __name__ == "__main__":
    training.write_gradient_cases(sys.argv[1], GRADIENTS, 20261203)
