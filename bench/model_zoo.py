"""The benchmark's models on the PyTorch side; each mirrors the typenet type of the same name in
models.hpp. The MLP and SimpleMNISTModel (with and without BatchNorm) come from the parity
tests' reference models, so the benchmark and the tests agree on what these models are."""
import os
import sys
from collections import OrderedDict

import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
import models as reference_models  # noqa: E402  (tests/reference/models.py)


def vgg_small():
    """VGG-style network for 3x32x32 images: three blocks of two 3x3 convolutions and a max pool."""
    def block(cin, cout):
        return [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(), nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU(),
                nn.MaxPool2d(2)]

    return nn.Sequential(OrderedDict([
        ("features", nn.Sequential(*block(3, 32), *block(32, 64), *block(64, 128))),   # 32 -> 16 -> 8 -> 4
        ("classifier", nn.Sequential(nn.Flatten(), nn.Linear(128 * 4 * 4, 256), nn.ReLU(), nn.Linear(256, 10))),
    ]))


# name: (title for the results table, factory, per-sample input shape). The order is the table's.
MODELS = OrderedDict([
    ("mlp", ("MLP 784-256-128-10", reference_models.mlp, (1, 28, 28))),
    ("simple_mnist", ("SimpleMNISTModel", lambda: reference_models.SimpleMNISTModel(), (1, 28, 28))),
    ("simple_mnist_bn", ("SimpleMNISTModel + BatchNorm2d",
                         lambda: reference_models.SimpleMNISTModel(batch_norm=True), (1, 28, 28))),
    ("vgg_small", ("VGG-style, 6 conv (3x32x32)", vgg_small, (3, 32, 32))),
])


def count_flops(model, input_shape):
    """Multiply-adds of Conv2d and Linear, counted as 2 FLOPs each, per image: the analytic count
    the C++ suite computes from the typenet type (bench/flops.hpp), here from the PyTorch model.
    Conv2d: 2 * weight.numel() * out_h * out_w. Linear: 2 * weight.numel() * rows.
    Biases, activations, pooling and BatchNorm are not counted (well under 1 % here)."""
    total = [0]

    def hook(module, _inputs, output):
        if isinstance(module, nn.Conv2d):
            total[0] += 2 * module.weight.numel() * output.shape[-2] * output.shape[-1]
        elif isinstance(module, nn.Linear):
            total[0] += 2 * module.weight.numel() * (output[0].numel() // output.shape[-1])

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        model(torch.zeros((1,) + tuple(input_shape)))
    for h in handles:
        h.remove()
    return total[0]


def adaptive_windows(size_in, size_out):
    """AdaptiveAvgPool's windows: output i averages [floor(i*in/out), ceil((i+1)*in/out))."""
    return [(i * size_in // size_out, -(-(i + 1) * size_in // size_out)) for i in range(size_out)]


class SlicedAdaptiveAvgPool2d(nn.Module):
    """AdaptiveAvgPool2d for one fixed input size, written with slices and means. torch.onnx 1.13
    cannot export AdaptiveAvgPool2d when the input size is not a multiple of the output size (7 -> 4);
    averaging rows, then columns, of each rectangular window gives the same values."""

    def __init__(self, input_hw, output_hw):
        super().__init__()
        self.rows = adaptive_windows(input_hw[0], output_hw[0])
        self.cols = adaptive_windows(input_hw[1], output_hw[1])

    def forward(self, x):
        x = torch.cat([x[:, :, a:b, :].mean(2, keepdim=True) for a, b in self.rows], 2)
        return torch.cat([x[:, :, :, a:b].mean(3, keepdim=True) for a, b in self.cols], 3)


def onnx_exportable(model, input_shape):
    """The model with every AdaptiveAvgPool2d replaced by its sliced equivalent (same parameters)."""
    input_sizes = {}

    def remember(module, inputs, _output):
        input_sizes[module] = tuple(inputs[0].shape[-2:])

    pools = [m for m in model.modules() if isinstance(m, nn.AdaptiveAvgPool2d)]
    handles = [m.register_forward_hook(remember) for m in pools]
    with torch.no_grad():
        model(torch.zeros((1,) + tuple(input_shape)))
    for h in handles:
        h.remove()
    for parent in list(model.modules()):
        for name, child in parent.named_children():
            if isinstance(child, nn.AdaptiveAvgPool2d):
                out = child.output_size if isinstance(child.output_size, tuple) else (child.output_size,) * 2
                setattr(parent, name, SlicedAdaptiveAvgPool2d(input_sizes[child], out))
    return model
