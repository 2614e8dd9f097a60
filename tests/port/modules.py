"""Small PyTorch modules that, between them, use every layer kind typenet has (the README's layer
table) and every combinator typenet-port recognises in a forward; port_test.py ports each and
checks it. CASES: name -> (factory, per-sample input shape, token vocabulary or None). REFUSED:
modules typenet-port must refuse, with the path and the words its message must contain."""
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models.convnext import LayerNorm2d
from torchvision.ops import StochasticDepth


def wide_linear(n):
    """nn.Linear(n, n) with weights three times PyTorch's initial scale: the values keep their size
    through a chain of them, so that a wrong activation shows in the output."""
    layer = nn.Linear(n, n)
    with torch.no_grad():
        layer.weight.mul_(3)
    return layer


def vision():
    """[4, 12, 12] images: 2-d convolutions, norms, pools, resizing and every activation."""
    return nn.Sequential(
        nn.Conv2d(4, 8, 3, padding=1, bias=False),
        nn.BatchNorm2d(8, eps=1e-3, momentum=0.01),
        nn.ReLU6(),
        nn.Conv2d(8, 8, 3, padding="same", dilation=2, groups=4),
        nn.GroupNorm(2, 8, eps=1e-4),
        nn.Hardswish(),
        nn.InstanceNorm2d(8, affine=True, track_running_stats=True),
        nn.ChannelShuffle(2),
        nn.Conv2d(8, 8, (3, 1), stride=(1, 2), padding=(1, 0)),           # [8, 12, 6]
        nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),              # [8, 7, 4]
        nn.ConvTranspose2d(8, 6, 3, stride=2, padding=1, output_padding=1, groups=2),  # [6, 14, 8]
        LayerNorm2d(6),
        nn.Dropout2d(0.1),
        nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),    # [6, 7, 4]
        nn.Upsample(scale_factor=2, mode="bilinear"),                     # [6, 14, 8]
        nn.UpsamplingNearest2d(size=(10, 12)),
        nn.UpsamplingBilinear2d(scale_factor=0.5),                        # [6, 5, 6]
        nn.Upsample(size=(6, 6), mode="nearest"),
        nn.AvgPool2d(2, stride=1, divisor_override=3),                    # [6, 5, 5]
        nn.AdaptiveMaxPool2d((3, 2)),
        nn.AdaptiveAvgPool2d((2, 1)),
        nn.Flatten(2),                                                    # [6, 2]
        nn.Flatten(),
        nn.Linear(12, 10),
        # each activation after a Linear, so that what one changes reaches the output through the others
        *[layer for activation in (
            nn.LeakyReLU(0.2), nn.ELU(0.5), nn.GELU("tanh"), nn.GELU(), nn.SiLU(), nn.Mish(), nn.Hardtanh(-0.5, 0.3),
            nn.Softplus(beta=2, threshold=0.5), nn.ReLU(inplace=True), nn.Hardsigmoid(), nn.Tanh(), nn.Sigmoid(),
            nn.Softmax(dim=1)) for layer in (wide_linear(10), activation)],
        nn.Identity(), nn.Dropout(0.1), nn.AlphaDropout(0.2),
        nn.Linear(10, 6, bias=False),
        nn.BatchNorm1d(6, affine=False))


def signal():
    """[4, 20] signals: 1-d convolutions, pools, padding and resizing; named Sequential items."""
    return nn.Sequential(OrderedDict([
        ("conv", nn.Conv1d(4, 8, 3, padding=1)),
        ("norm", nn.BatchNorm1d(8, momentum=None)),
        ("act", nn.ELU()),
        ("pad", nn.ConstantPad1d((2, 1), 0.5)),
        ("dilated", nn.Conv1d(8, 8, 5, stride=2, dilation=2, groups=2, bias=False)),   # [8, 8]
        ("max", nn.MaxPool1d(2, stride=1, padding=1)),                                  # [8, 9]
        ("avg", nn.AvgPool1d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)),  # [8, 5]
        ("up", nn.ConvTranspose1d(8, 6, 4, stride=2, padding=1)),                       # [6, 10]
        ("instance", nn.InstanceNorm1d(6)),
        ("drop", nn.Dropout1d(0.2)),
        ("resize", nn.Upsample(scale_factor=1.5, mode="linear")),                       # [6, 15]
        ("adaptive", nn.AdaptiveAvgPool1d(7)),
        ("adaptive_max", nn.AdaptiveMaxPool1d(5)),
        ("norm2", nn.LayerNorm(5)),
        ("norm3", nn.LayerNorm((6, 5), elementwise_affine=False)),
        ("flat", nn.Flatten()),
        ("out", nn.LogSoftmax(dim=-1))]))


class Recurrent(nn.Module):
    """[10, 6] sequences through RNN, GRU and LSTM (their output, [0]), then the last step."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(6, 8, nonlinearity="relu", num_layers=2, batch_first=True)
        self.gru = nn.GRU(8, 8, batch_first=True, bidirectional=True)
        self.lstm = nn.LSTM(16, 12, batch_first=True, proj_size=5)
        self.head = nn.Linear(5, 3)

    def forward(self, x):
        x, _ = self.rnn(x)
        x = self.gru(x)[0]
        x, _ = self.lstm(x)
        return self.head(x[:, -1])


class Attention(nn.Module):
    """[6, 16] sequences: self-attention with a residual, a LayerNorm and a Transformer encoder."""

    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(16, 4, dropout=0.1, batch_first=True)
        self.norm = nn.LayerNorm(16, eps=1e-6)
        layer = nn.TransformerEncoderLayer(16, 2, 32, batch_first=True, activation="gelu", norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(16))
        self.head = nn.Linear(16, 4)

    def forward(self, x):
        x = self.norm(x + self.attn(x, x, x, need_weights=False)[0])
        x = self.encoder(x)
        return self.head(x.mean(1))


class Tokens(nn.Module):
    """12 token ids: an embedding, transposes around a Conv1d, a ModuleList, slices, a softmax."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(50, 16, padding_idx=0)
        self.conv = nn.Conv1d(16, 8, 3)
        self.mixers = nn.ModuleList([nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 8)])
        self.fc = nn.Linear(32, 5)

    def forward(self, x):
        x = self.embed(x)
        x = self.conv(x.transpose(1, 2)).transpose(1, 2)   # [10, 8]
        for mixer in self.mixers:
            x = mixer(x)
        x = torch.narrow(x, 1, 1, 6)[:, 0:4]
        return F.softmax(self.fc(torch.flatten(x, 1)), dim=-1)


class Swish(nn.Module):
    """A module of the user's own without state: a Block of no children."""

    def forward(self, x):
        return x * torch.sigmoid(x)


class Branches(nn.Module):
    """[8, 6, 6] images: concatenated branches, a gate, a learnt scale, functional layers."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.randn(8, 1, 1))
        self.a = nn.Conv2d(8, 4, 1)
        self.b = nn.Sequential(nn.Conv2d(8, 4, 3, padding=1), nn.ReLU())
        self.gate = nn.Conv2d(8, 8, 1)
        self.add_module("downsample", None)   # a child set to None: Absent
        self.drop = StochasticDepth(0.1, "row")
        self.fc = nn.Linear(8 * 2 * 2, 5)
        self.swish = Swish()

    def forward(self, x):
        y = torch.cat([self.a(x), self.b(x)], dim=1)
        y = y * torch.sigmoid(self.gate(y))
        y = F.relu(self.drop(y) * self.scale + y)
        y = torch.cat([y, y], dim=2)                        # [8, 12, 6]
        y = F.adaptive_avg_pool2d(y, (2, 2))
        y = y + y.mean([2, 3], keepdim=True)                # broadcast over [8, 2, 2]
        y = F.leaky_relu(y.view(y.size(0), -1), 0.1)
        return self.swish(F.gelu(self.fc(y)))


CASES = {
    "vision": (vision, (4, 12, 12), None),
    "signal": (signal, (4, 20), None),
    "recurrent": (Recurrent, (10, 6), None),
    "attention": (Attention, (6, 16), None),
    "tokens": (Tokens, (12,), 50),
    "branches": (Branches, (8, 6, 6), None),
}


class CellModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(4, 8), nn.LSTMCell(8, 8))

    def forward(self, x):
        return self.encoder(x)


class WhereModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return torch.where(x > 0, self.fc(x), x)


class Inner(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return self.fc(x) + 1.0


class ConstantModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.ReLU(), Inner())

    def forward(self, x):
        return self.body(x)


class OneOfList(nn.Module):
    def __init__(self):
        super().__init__()
        self.heads = nn.ModuleList([nn.Linear(4, 4), nn.Linear(4, 4)])

    def forward(self, x):
        return self.heads[1](x)


# name -> (factory, words the message must hold: the path, the type, the reason).
REFUSED = {
    "lstm_cell": (CellModel, ["encoder.1", "torch.nn.modules.rnn.LSTMCell", "has no typenet layer"]),
    "where": (WhereModel, ["(the model itself)", "WhereModel", "`torch.where`", "no layer or combinator"]),
    "conv_padding_mode": (lambda: nn.Sequential(nn.Conv2d(3, 3, 3, padding_mode="reflect")),
                          ["0 (torch.nn.modules.conv.Conv2d)", "padding_mode='reflect'"]),
    "constant": (ConstantModel, ["body.1", "Inner", "not a tensor"]),
    "one_item_of_a_list": (OneOfList, ["OneOfList", "ModuleList `heads`", "all of them in order"]),
}
