"""The PyTorch side of the reference models. Each entry mirrors a typenet type of the same name
in models.hpp (or in the .hpp of the group that lists it): (module factory, per-sample input shape).
Groups of layers keep their reference models in files of their own, listed in GROUPS, each with its
parity program (tests/CMakeLists.txt)."""
import importlib
from collections import OrderedDict

import torch.nn as nn


class SimpleMNISTModel(nn.Module):
    """The seed's model, verbatim."""

    def __init__(self, num_classes=10, batch_norm=False):
        super().__init__()

        def conv(cin, cout):
            layers = [nn.Conv2d(in_channels=cin, out_channels=cout, kernel_size=3, padding=1)]
            if batch_norm:
                layers.append(nn.BatchNorm2d(cout))
            return layers + [nn.ReLU()]

        self.features = nn.Sequential(
            *conv(1, 32), nn.MaxPool2d(kernel_size=2, stride=2),
            *conv(32, 64), nn.MaxPool2d(kernel_size=2, stride=2),
            *conv(64, 128), nn.AdaptiveAvgPool2d((4, 4)))
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(in_features=128 * 4 * 4, out_features=256), nn.ReLU(), nn.Dropout(0.5),
            nn.Linear(in_features=256, out_features=128), nn.ReLU(), nn.Dropout(0.3),
            nn.Linear(in_features=128, out_features=num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                         nn.Linear(128, 10))


CORE = {
    "conv_stride_padding": (lambda: nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1)), (3, 11, 13)),
    "conv_rect_dilation_groups_nobias": (
        lambda: nn.Sequential(nn.Conv2d(4, 6, (3, 5), stride=(2, 1), padding=(2, 1), dilation=(2, 1), groups=2,
                                        bias=False)), (4, 12, 9)),
    "conv_depthwise": (lambda: nn.Sequential(nn.Conv2d(6, 6, 3, padding=1, groups=6), nn.ReLU()), (6, 5, 5)),
    "max_pool_ceil_padding": (lambda: nn.Sequential(nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True)),
                              (5, 10, 9)),
    "max_pool_rect_dilation": (lambda: nn.Sequential(nn.MaxPool2d((2, 3), stride=(1, 2), dilation=(2, 1))),
                               (3, 9, 11)),
    "avg_pool_ceil_padding": (lambda: nn.Sequential(nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True)),
                              (4, 10, 9)),
    "avg_pool_exclude_pad": (
        lambda: nn.Sequential(nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
        (4, 10, 9)),
    "avg_pool_divisor_override": (lambda: nn.Sequential(nn.AvgPool2d((2, 3), divisor_override=5)), (3, 7, 8)),
    "adaptive_avg_pool_7_to_4": (lambda: nn.Sequential(nn.AdaptiveAvgPool2d((4, 4))), (3, 7, 7)),
    "adaptive_avg_pool_rect_upsample": (lambda: nn.Sequential(nn.AdaptiveAvgPool2d((3, 5))), (2, 10, 3)),
    "linear_nobias_rank2": (lambda: nn.Sequential(nn.Linear(7, 5, bias=False)), (4, 7)),
    "batch_norm1d": (lambda: nn.Sequential(nn.Linear(5, 6), nn.BatchNorm1d(6)), (5,)),
    "batch_norm1d_sequence": (lambda: nn.Sequential(nn.BatchNorm1d(4, eps=1e-3)), (4, 9)),
    "batch_norm2d": (lambda: nn.Sequential(nn.BatchNorm2d(5, eps=1e-3, momentum=0.01)), (5, 6, 7)),
    "batch_norm2d_no_affine": (lambda: nn.Sequential(nn.BatchNorm2d(3, affine=False)), (3, 4, 4)),
    "batch_norm2d_batch_statistics": (lambda: nn.Sequential(nn.BatchNorm2d(3, track_running_stats=False)),
                                      (3, 4, 5)),
    "flatten_dims": (lambda: nn.Sequential(nn.Flatten(2), nn.Linear(20, 3)), (3, 4, 5)),
    "elementwise": (lambda: nn.Sequential(nn.ReLU(), nn.Identity(), nn.Dropout(0.2)), (2, 3, 4)),
    "named_children": (lambda: nn.Sequential(OrderedDict([
        ("cnn", nn.Sequential(OrderedDict([
            ("conv1", nn.Conv2d(1, 4, 3)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2))]))),
        ("head", nn.Sequential(OrderedDict([("flatten", nn.Flatten()), ("fc", nn.Linear(4 * 3 * 3, 5))]))),
    ])), (1, 8, 8)),
    "simple_mnist": (lambda: SimpleMNISTModel(), (1, 28, 28)),
    "simple_mnist_batch_norm": (lambda: SimpleMNISTModel(batch_norm=True), (1, 28, 28)),
    "mlp": (mlp, (1, 28, 28)),
}

# Modules holding MODELS dicts of their own, in this directory.
GROUPS = ["activations_norms", "attention", "combinators", "conv_pool", "torchvision_models", "recurrent"]

MODELS = dict(CORE)
# Models whose parity program checks float32 only: no <name>.typenet64.pth to read back.
FLOAT_ONLY = set()
for _group in GROUPS:
    _module = importlib.import_module(_group)
    for _name, _entry in _module.MODELS.items():
        assert _name not in MODELS, f"reference model {_name} is defined twice"
        MODELS[_name] = _entry
    FLOAT_ONLY |= set(getattr(_module, "FLOAT_ONLY", ()))
