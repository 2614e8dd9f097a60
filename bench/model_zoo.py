"""The benchmark's models on the PyTorch side, and the one place that says what the suite runs of
each: its title, input shape and (batch, threads) configurations. Each model mirrors the typenet
type of the same name in models.hpp. The MLP and SimpleMNISTModel (with and without BatchNorm) come
from the parity tests' reference models, so the benchmark and the tests agree on what these models
are; resnet18, mobilenet_v2 and efficientnet_b0 are torchvision's (random initialisation: nothing
is downloaded),
whose typenet types are in examples/torchvision/.

make_weights.py passes the configurations on in its manifest.json (to bench_ort.js and report.py);
run as a program, this module writes them as a C++ header for the C++ suite (typenet_peer.cpp sizes
each typenet Model's compile-time batch for the model's largest batch):

    model_zoo.py OUTPUT.hpp
"""
import os
import sys
from collections import OrderedDict, namedtuple

import torch
import torch.nn as nn
import torchvision

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


# title: the results table's name of the model; factory: builds the PyTorch model; input_shape: per
# sample; configurations: the (batch, threads) pairs every peer runs, in the table's order.
Model = namedtuple("Model", "title factory input_shape configurations")

# The small models: one sample, and a batch of 64 on one and two threads.
SMALL = ((1, 1), (64, 1), (64, 2))
# ImageNet-sized models (3x224x224): one sample and a batch of 16, each on one and two threads.
IMAGENET = ((1, 1), (1, 2), (16, 1), (16, 2))

# name -> Model. The order is the table's.
MODELS = OrderedDict([
    ("mlp", Model("MLP 784-256-128-10", reference_models.mlp, (1, 28, 28), SMALL)),
    ("simple_mnist", Model("SimpleMNISTModel", lambda: reference_models.SimpleMNISTModel(), (1, 28, 28), SMALL)),
    ("simple_mnist_bn", Model("SimpleMNISTModel + BatchNorm2d",
                              lambda: reference_models.SimpleMNISTModel(batch_norm=True), (1, 28, 28), SMALL)),
    ("vgg_small", Model("VGG-style, 6 conv (3x32x32)", vgg_small, (3, 32, 32), SMALL)),
    ("resnet18", Model("torchvision resnet18 (3x224x224)", torchvision.models.resnet18, (3, 224, 224), IMAGENET)),
    ("mobilenet_v2", Model("torchvision mobilenet_v2 (3x224x224)", torchvision.models.mobilenet_v2, (3, 224, 224),
                           IMAGENET)),
    ("efficientnet_b0", Model("torchvision efficientnet_b0 (3x224x224)", torchvision.models.efficientnet_b0,
                              (3, 224, 224), IMAGENET)),
])


def max_batch(model):
    """The largest batch of a model's configurations: how many reference samples it needs."""
    return max(batch for batch, _ in model.configurations)


def count_flops(model, input_shape):
    """Multiply-adds of Conv2d and Linear, counted as 2 FLOPs each, per image: the analytic count
    the C++ suite computes from the typenet type (bench/flops.hpp), here from the PyTorch model.
    Conv2d: 2 * weight.numel() * out_h * out_w, where weight is [out_c, in_c / groups, k_h, k_w], so
    grouped and depthwise convolutions count what they compute. Linear: 2 * weight.numel() * rows.
    Biases, activations, pooling and BatchNorm are not counted: well under 1 % of the total for the
    small models and resnet18; about 2 % for mobilenet_v2 and efficientnet_b0, whose depthwise
    convolutions are cheap next to the BatchNorm and activation that follow every convolution."""
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
    """The model with every AdaptiveAvgPool2d that torch.onnx 1.13 cannot export (input size not a
    multiple of the output size) replaced by its sliced equivalent (same parameters). The others
    export as they are (resnet18's 7x7 -> 1x1 becomes GlobalAveragePool)."""
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
                size_in = input_sizes[child]
                if any(o is not None and i % o for i, o in zip(size_in, out)):
                    setattr(parent, name, SlicedAdaptiveAvgPool2d(size_in, out))
    return model


def cxx_header():
    """MODELS as C++: for each model a struct bench::zoo::NAME with its name, per-sample input shape
    and configurations (bench::configuration, runner.hpp), and bench::zoo::names in MODELS' order."""
    lines = ["// Generated by bench/model_zoo.py from its MODELS: do not edit, change model_zoo.py.",
             "#pragma once", "", "#include <array>", "#include <cstddef>", "#include <string_view>", "",
             '#include "runner.hpp"', "", "namespace bench::zoo {", ""]
    for name, m in MODELS.items():
        shape = ", ".join(str(d) for d in m.input_shape)
        configurations = ", ".join(f"{{{b}, {t}}}" for b, t in m.configurations)
        lines += [f"// {m.title}",
                  f"struct {name} {{",
                  f'    static constexpr std::string_view name = "{name}";',
                  f"    static constexpr std::array<std::size_t, {len(m.input_shape)}> input_shape{{{shape}}};",
                  f"    static constexpr std::array<configuration, {len(m.configurations)}> configurations{{{{"
                  f"{configurations}}}}};",
                  "};", ""]
    names = ", ".join(f'"{name}"' for name in MODELS)
    lines += ["// Every model, in the order of MODELS.",
              f"inline constexpr std::array<std::string_view, {len(MODELS)}> names{{{names}}};", "",
              "}  // namespace bench::zoo", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: model_zoo.py OUTPUT.hpp")
    text = cxx_header()
    # Rewritten only when it changes, so that the C++ suite is not rebuilt for nothing.
    if not os.path.exists(sys.argv[1]) or open(sys.argv[1]).read() != text:
        os.makedirs(os.path.dirname(os.path.abspath(sys.argv[1])), exist_ok=True)
        with open(sys.argv[1], "w") as f:
            f.write(text)
