"""Reference data for typenet's combinator training tests (tests/training_combinators.cpp): gradients of
blocks built from Residual, Add, Mul, Cat, Concat, Gate, Parameter, Absent and children called twice,
computed by torch.autograd on twin PyTorch modules (files as in training.py's GRADIENTS).
Usage: training_combinators.py OUTPUT_DIR
"""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(__file__))
import training  # noqa: E402


class Residual(nn.Module):
    """typenet::Residual<Body, Shortcut, Post>: post(body(x) + shortcut(x)), children named 0, 1, 2."""

    def __init__(self, body, shortcut=None, post=None):
        super().__init__()
        self.add_module("0", body)
        if shortcut is not None:
            self.add_module("1", shortcut)
        if post is not None:
            self.add_module("2", post)

    def forward(self, x):
        y = self._modules["0"](x) + (self._modules["1"](x) if "1" in self._modules else x)
        return self._modules["2"](y) if "2" in self._modules else y


class Gated(nn.Module):  # Mul<Then<Call<"a">, Tanh>, Then<Call<"b">, Sigmoid>>
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(6, 8)
        self.b = nn.Linear(6, 8)

    def forward(self, x):
        return torch.tanh(self.a(x)) * torch.sigmoid(self.b(x))


class Concat(nn.Module):  # typenet::Concat<Branches...>: cat along dim 1, children named by position
    def __init__(self, *branches):
        super().__init__()
        for i, b in enumerate(branches):
            self.add_module(str(i), b)

    def forward(self, x):
        return torch.cat([b(x) for b in self._modules.values()], dim=1)


class CatWithInput(nn.Module):  # Cat<Call<"a">, Identity>
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 4)

    def forward(self, x):
        return torch.cat([self.a(x), x], dim=1)


class CatLast(nn.Module):  # Cat<dim<-1>, Call<"a">, Call<"b">>
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 3)
        self.b = nn.Linear(4, 5)

    def forward(self, x):
        return torch.cat([self.a(x), self.b(x)], dim=-1)


class TwiceInChain(nn.Module):  # Add<Call<"fc", "act", "fc">, Identity>
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 6)
        self.act = nn.Tanh()

    def forward(self, x):
        return self.fc(self.act(self.fc(x))) + x


class Square(nn.Module):  # Mul<Call<"fc">, Call<"fc">>
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 6)

    def forward(self, x):
        return self.fc(x) * self.fc(x)


class Scaled(nn.Module):  # Add<Mul<Call<"gamma">, Call<"fc">>, Call<"beta">, Identity>
    def __init__(self):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(3, 1))
        self.fc = nn.Linear(4, 4)
        self.beta = nn.Parameter(torch.zeros(4))

    def forward(self, x):
        return self.gamma * self.fc(x) + self.beta + x


class Gate(nn.Module):  # typenet::Gate<G>: x * G(x), G named 0
    def __init__(self, g):
        super().__init__()
        self.add_module("0", g)

    def forward(self, x):
        return x * self._modules["0"](x)


class AbsentShortcut(nn.Module):  # Then<Add<Call<"body">, Call<"shortcut">>, ReLU>, shortcut Absent
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(8, 8)
        self.shortcut = None

    def forward(self, x):
        return torch.relu(self.body(x) + (x if self.shortcut is None else self.shortcut(x)))


class LayerScale(nn.Module):  # Add<Mul<Call<"gamma">, Call<"conv">>, Identity> (ConvNeXt's layer scale)
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.gamma = nn.Parameter(torch.ones(4, 1, 1))

    def forward(self, x):
        return self.gamma * self.conv(x) + x


def residual_mlp():
    return nn.Sequential(nn.Linear(6, 8), Residual(nn.Sequential(nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 8))),
                         Residual(nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8)), None, nn.ReLU()),
                         nn.Linear(8, 3))


def gated():
    return nn.Sequential(nn.Linear(6, 6), Gated(), nn.Linear(8, 3))


# As training.GRADIENTS: name: (factory, per-sample input shape, batch, loss, mode, frozen prefixes)
CASES = {
    "residual_mlp": (residual_mlp, (6,), 5, ("cross_entropy", 0.0), "train", []),
    "residual_projection": (lambda: nn.Sequential(Residual(nn.Sequential(nn.Linear(6, 8), nn.Tanh()), nn.Linear(6, 8),
                                                           nn.Sigmoid()), nn.Linear(8, 2)),
                            (6,), 4, ("mse",), "train", []),
    "gated_tanh_sigmoid": (gated, (6,), 5, ("cross_entropy", 0.0), "train", []),
    "gated_frozen_branch": (gated, (6,), 5, ("cross_entropy", 0.0), "train", ["1.a."]),
    "gated_frozen_first": (gated, (6,), 5, ("cross_entropy", 0.0), "train", ["0."]),
    "gated_frozen_block": (gated, (6,), 5, ("cross_entropy", 0.0), "train", ["1."]),
    "concat_branches": (lambda: nn.Sequential(Concat(nn.Linear(6, 5), nn.Sequential(nn.Linear(6, 4), nn.ReLU())),
                                              nn.Tanh(), nn.Linear(9, 3)),
                        (6,), 4, ("bce",), "train", []),
    "cat_dims": (lambda: nn.Sequential(CatWithInput(), CatLast(), nn.Flatten(), nn.Linear(32, 3)),
                 (2, 4), 3, ("cross_entropy", 0.0), "train", []),
    "shared_weights": (lambda: nn.Sequential(TwiceInChain(), Square(), nn.Linear(6, 3)),
                       (6,), 4, ("mse",), "train", []),
    "parameters_broadcast": (lambda: nn.Sequential(nn.Linear(4, 4), Scaled(), nn.Flatten(), nn.Linear(12, 3)),
                             (3, 4), 3, ("cross_entropy", 0.0), "train", []),
    "gate_absent": (lambda: nn.Sequential(nn.Linear(6, 8), Gate(nn.Sequential(nn.Linear(8, 8), nn.Sigmoid())),
                                          AbsentShortcut(), nn.Linear(8, 3)),
                    (6,), 5, ("cross_entropy", 0.0), "train", []),
    "conv_residual_layer_scale": (lambda: nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1),
        Residual(nn.Sequential(nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1, bias=False)),
                 None, nn.ReLU()),
        LayerScale(), nn.Flatten(), nn.Linear(100, 3)), (2, 5, 5), 2, ("cross_entropy", 0.0), "train", []),
}

if __name__ == "__main__":
    training.write_gradient_cases(sys.argv[1], CASES, 20261201)
