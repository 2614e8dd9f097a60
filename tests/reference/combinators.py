"""Reference models for the combinators (Block, Add, Mul, Cat, Residual, Gate, Concat, Parameter,
Absent): PyTorch modules written the way people write them, children registered in an order that
is not always the order data flows in, and their typenet twins in combinators.hpp."""
import torch
import torch.nn as nn
import torchvision


class BasicBlockDown(nn.Module):
    """torchvision's BasicBlock with a downsample, written out: the shortcut is registered last."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(4, 8, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.downsample = nn.Sequential(nn.Conv2d(4, 8, 1, stride=2, bias=False), nn.BatchNorm2d(8))

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(out + self.downsample(x))


class RegistrationOrder(nn.Module):
    """Children registered in another order than data flows through them (as in a Transformer
    layer: linear1, linear2, norm1, norm2 while norm1 runs between the two), one used twice."""

    def __init__(self):
        super().__init__()
        self.second = nn.Linear(6, 5)
        self.norm = nn.BatchNorm1d(5, eps=1e-3)
        self.first = nn.Linear(5, 6)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.norm(x + self.second(self.act(self.first(self.act(x)))))


class GateList(nn.ModuleList):
    """Gate<G>: squeeze-and-excitation gating x * g(x), g(x) of shape [C, 1, 1], g by position."""

    def __init__(self):
        super().__init__([nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(6, 3, 1), nn.ReLU(), nn.Conv2d(3, 6, 1))])

    def forward(self, x):
        return x * self[0](x)


class ResidualList(nn.ModuleList):
    """Residual<Body, Shortcut, Post>: post(body(x) + shortcut(x)), children by position."""

    def __init__(self):
        super().__init__([nn.Sequential(nn.Conv2d(3, 5, 3, padding=1), nn.ReLU()), nn.Conv2d(3, 5, 1), nn.ReLU()])

    def forward(self, x):
        return self[2](self[0](x) + self[1](x))


class ConcatList(nn.ModuleList):
    """Concat<A, B, C>: branches by position, concatenated along the channels."""

    def __init__(self):
        super().__init__([nn.Conv2d(3, 2, 1), nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU()),
                          nn.MaxPool2d(3, stride=1, padding=1)])

    def forward(self, x):
        return torch.cat([self[0](x), self[1](x), self[2](x)], dim=1)


class ParametersAndCat(nn.Module):
    """Free-standing parameters (keys "scale", "offset", no ".weight"), registered around a child:
    PyTorch's state_dict puts a module's own parameters before its children's, whatever the order
    of registration. Broadcasting over channels and over the last dimension; a concatenation along
    dim 2; a sum of three."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.randn(4, 1, 1))
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.offset = nn.Parameter(torch.randn(5))

    def forward(self, x):
        y = torch.cat([self.scale * x, self.conv(x) + x + self.offset], dim=2)
        return y * self.offset


class AbsentShortcut(nn.Module):
    """A shortcut set to None (no key, the identity), beside an unnamed-style flow."""

    def __init__(self):
        super().__init__()
        self.body = nn.Linear(7, 7)
        self.shortcut = None
        self.head = nn.Linear(7, 3)

    def forward(self, x):
        identity = x if self.shortcut is None else self.shortcut(x)
        return self.head(torch.relu(self.body(x)) + identity)


class NarrowShuffle(nn.Module):
    """Slices of channels and rows (torch.narrow, x[..., a:b], a negative start) and
    nn.ChannelShuffle with three groups."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(6, 6, 1)
        self.shuffle = nn.ChannelShuffle(3)

    def forward(self, x):
        rows = torch.narrow(x, 2, 1, 3)
        tail = x[:, -2:, 1:4]
        return torch.cat([self.shuffle(self.conv(x))[:, :, 1:4], rows, tail], dim=1)


MODELS = {
    "combinator_basic_block_downsample": (BasicBlockDown, (4, 9, 7)),
    "combinator_registration_order": (RegistrationOrder, (5,)),
    "combinator_gate": (GateList, (6, 5, 4)),
    "combinator_residual_list": (ResidualList, (3, 6, 5)),
    "combinator_concat_list": (ConcatList, (3, 5, 6)),
    "combinator_parameters_cat": (ParametersAndCat, (4, 3, 5)),
    "combinator_absent": (AbsentShortcut, (7,)),
    "combinator_fire": (lambda: torchvision.models.squeezenet.Fire(4, 3, 5, 6), (4, 7, 7)),
    "combinator_narrow_shuffle": (NarrowShuffle, (6, 5, 4)),
    # ShuffleNetV2's blocks: stride 1 splits the channels in two (x.chunk), stride 2 runs two branches.
    "combinator_shufflenet_split": (lambda: torchvision.models.shufflenetv2.InvertedResidual(8, 8, 1), (8, 6, 5)),
    "combinator_shufflenet_down": (lambda: torchvision.models.shufflenetv2.InvertedResidual(6, 8, 2), (6, 7, 6)),
}
