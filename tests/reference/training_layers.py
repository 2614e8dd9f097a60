"""Reference data for typenet's layer gradient tests (tests/training_layers.cpp), computed by PyTorch.

GRADIENTS: cases as training.py's (the same files, written by training.write_gradient_cases):
BatchNorm in train() and eval() mode (its running statistics after the forward included), pools,
normalisation layers, Softmax, Transpose; each layer's gradient reaches parameters the test checks.

EDGES: cases whose first layer is a Linear set to the identity (weight = I, bias = 0), so the next
layer sees the input exactly, in float as in double; the input holds chosen values (an activation's
kinks, equal values in a pooling window) among random multiples of 1/64. The first Linear's weight
gradient, dy^T x, shows which derivative the layer took at each of them.
Usage: training_layers.py OUTPUT_DIR
"""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(__file__))
import training  # noqa: E402


class LayerNorm2d(nn.LayerNorm):
    """torchvision's LayerNorm2d (ConvNeXt): LayerNorm over the channels of each pixel."""

    def forward(self, x):
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class Transpose(nn.Module):
    def __init__(self, a, b):
        super().__init__()
        self.a, self.b = a, b

    def forward(self, x):
        return x.transpose(self.a, self.b)


# The layers before a normalisation (BatchNorm in train(), LayerNorm2d over channels, Softmax over
# rows) have no bias, nor per-channel parameters: their gradient would be zero up to rounding,
# which no relative tolerance can compare.
def bn1d_mlp():
    return nn.Sequential(nn.Linear(6, 8, bias=False), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 3))


def bn1d_options():
    return nn.Sequential(nn.Linear(6, 8, bias=False), nn.BatchNorm1d(8, momentum=None), nn.Tanh(),
                         nn.Linear(8, 8, bias=False), nn.BatchNorm1d(8, affine=False, track_running_stats=False),
                         nn.Linear(8, 3))


def bn2d_net():
    return nn.Sequential(nn.Linear(4, 4, bias=False), nn.BatchNorm2d(3, eps=1e-3, momentum=0.3), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(12, 4))


CE = ("cross_entropy", 0.0)

# name: (factory, per-sample input shape, batch, loss, mode, frozen prefixes), as training.GRADIENTS
GRADIENTS = {
    "bn1d_train": (bn1d_mlp, (6,), 5, CE, "train", []),
    "bn1d_eval": (bn1d_mlp, (6,), 5, CE, "eval", []),
    # momentum=None, then batch statistics in both modes (no affine, no running statistics).
    "bn1d_options_train": (bn1d_options, (6,), 4, CE, "train", []),
    "bn1d_options_eval": (bn1d_options, (6,), 4, CE, "eval", []),
    "bn2d_train": (bn2d_net, (3, 4, 4), 4, CE, "train", []),
    "bn2d_eval": (bn2d_net, (3, 4, 4), 4, CE, "eval", []),
    # 7 -> 4 windows overlap, as in the seed's model; then overlapping max windows.
    "pools_adaptive": (lambda: nn.Sequential(nn.BatchNorm2d(2), nn.AdaptiveAvgPool2d(4), nn.MaxPool2d(2, stride=1),
                                             nn.AdaptiveMaxPool2d((2, 3)), nn.Flatten(), nn.Linear(12, 3)),
                       (2, 7, 7), 4, CE, "train", []),
    "pools_padded": (lambda: nn.Sequential(nn.BatchNorm2d(2), nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
                                           nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True,
                                                        count_include_pad=False),
                                           nn.MaxPool2d(2, stride=1, padding=1, dilation=2),
                                           nn.AvgPool2d(2, padding=1, divisor_override=3),
                                           nn.Flatten(), nn.Linear(8, 3)),
                     (2, 8, 8), 4, ("mse",), "train", []),
    # BatchNorm1d over [C, L], then the 1-d pools.
    "bn1d_pools_1d": (lambda: nn.Sequential(nn.Linear(12, 12), nn.BatchNorm1d(3), nn.MaxPool1d(3, stride=2, padding=1),
                                            nn.AvgPool1d(2, stride=1, padding=1, count_include_pad=False),
                                            nn.AdaptiveAvgPool1d(4), nn.AdaptiveMaxPool1d(3), nn.Flatten(),
                                            nn.Linear(9, 2)),
                      (3, 12), 4, CE, "train", []),
    "layer_norms": (lambda: nn.Sequential(nn.Linear(6, 8), nn.LayerNorm(8), nn.GELU(),
                                          nn.LayerNorm((3, 8), elementwise_affine=False), nn.Flatten(),
                                          nn.Linear(24, 3)),
                    (3, 6), 4, CE, "train", []),
    "layer_norm2d": (lambda: nn.Sequential(nn.Linear(4, 4, bias=False), LayerNorm2d(3, eps=1e-6), nn.Flatten(),
                                           nn.Linear(48, 3)),
                     (3, 4, 4), 4, CE, "train", []),
    "softmax_transpose": (lambda: nn.Sequential(nn.Linear(6, 5, bias=False), nn.Softmax(dim=1), Transpose(1, 2),
                                                nn.Linear(3, 4), nn.LogSoftmax(dim=-1), nn.Flatten(),
                                                nn.Linear(20, 2)),
                          (3, 6), 4, ("bce",), "train", []),
}


def activation_net(activation):
    return lambda: nn.Sequential(nn.Linear(8, 8), activation, nn.Linear(8, 2))


# Inputs for EDGES: the kinks of every activation below (Hardtanh(-1, 2), ReLU6, Hardsigmoid's and
# Hardswish's -3 and 3, Softplus(beta=2, threshold=1)'s 0.5, 0) with random multiples of 1/64.
KINKS = [-3.0, 3.0, -1.0, 2.0, 0.0, 6.0, 0.5, -6.0, 20.0, -20.0, 1.0, -0.5]


def kinks_input(shape, batch, generator):
    x = torch.round(torch.randn((batch,) + shape, generator=generator, dtype=torch.float64) * 2 * 64) / 64
    flat = x.view(-1)
    flat[:len(KINKS)] = torch.tensor(KINKS, dtype=torch.float64)
    return x


def ties_input(shape, batch, generator):
    """Few distinct values: pooling windows with equal maxima."""
    return torch.randint(-2, 3, (batch,) + shape, generator=generator).double() / 2


# name: (factory, input shape, batch, loss, mode, input function). PyTorch's kernels take whole
# vectors of up to 16 values: batch * features is a multiple of 16, so no value takes the scalar
# path (which differs from the vectorised one for Hardswish at exactly 3).
EDGES = {
    "leaky_relu": (activation_net(nn.LeakyReLU(0.2)), (8,), 4, CE, "train", kinks_input),
    "elu": (activation_net(nn.ELU(0.5)), (8,), 4, CE, "train", kinks_input),
    "gelu": (activation_net(nn.GELU()), (8,), 4, CE, "train", kinks_input),
    "gelu_tanh": (activation_net(nn.GELU(approximate="tanh")), (8,), 4, CE, "train", kinks_input),
    "silu": (activation_net(nn.SiLU()), (8,), 4, CE, "train", kinks_input),
    "hardtanh": (activation_net(nn.Hardtanh(-1.0, 2.0)), (8,), 4, CE, "train", kinks_input),
    "relu6": (activation_net(nn.ReLU6()), (8,), 4, CE, "train", kinks_input),
    "hardsigmoid": (activation_net(nn.Hardsigmoid()), (8,), 4, CE, "train", kinks_input),
    "hardswish": (activation_net(nn.Hardswish()), (8,), 4, CE, "train", kinks_input),
    "softplus": (activation_net(nn.Softplus(beta=2, threshold=1)), (8,), 4, CE, "train", kinks_input),
    "mish": (activation_net(nn.Mish()), (8,), 4, CE, "train", kinks_input),
    "max_pool_ties": (lambda: nn.Sequential(nn.Linear(6, 6), nn.MaxPool2d(3, stride=2, padding=1), nn.Flatten(),
                                            nn.Linear(18, 3)),
                      (2, 6, 6), 4, CE, "train", ties_input),
    "max_pool1d_ties": (lambda: nn.Sequential(nn.Linear(8, 8), nn.MaxPool1d(3, stride=1, dilation=2),
                                              nn.AdaptiveMaxPool1d(3), nn.Flatten(), nn.Linear(6, 2)),
                        (2, 8), 4, CE, "train", ties_input),
}


def edge_case(out_dir, name, factory, shape, batch, loss, mode, make_input, generator):
    model = factory().double()
    training.randomize(model, generator)
    with torch.no_grad():
        model[0].weight.copy_(torch.eye(model[0].weight.shape[0], dtype=torch.float64))
        model[0].bias.zero_()
    torch.save(model.state_dict(), os.path.join(out_dir, name + ".pth"))
    model.train(mode == "train")
    x = make_input(shape, batch, generator)
    training.write_case(out_dir, name, model, x, loss, batch, generator)


if __name__ == "__main__":
    training.write_gradient_cases(sys.argv[1], GRADIENTS, 20261201)
    edges_generator = torch.Generator().manual_seed(20261202)
    for case_name, case in EDGES.items():
        edge_case(sys.argv[1], case_name, *case, edges_generator)
