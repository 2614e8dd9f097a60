"""Reference data for typenet's attention gradient tests (tests/training_attention.cpp), computed by
PyTorch: cases as training.py's GRADIENTS (the same files, written by training.write_gradient_cases).
MultiheadAttention as self-attention (attention.py's SelfAttention, on [N, S, E]) with and without
a causal mask and biases, TransformerEncoderLayer (post- and pre-norm, relu and gelu, causal) and
TransformerEncoder (2 layers, a final norm). A Linear comes first so that the gradient reaching the
input of the attention is checked through that Linear's. Dropout cannot be compared (PyTorch's masks
are its generator's): train() cases have dropout 0, eval() cases keep PyTorch's default 0.1.
Usage: training_attention.py OUTPUT_DIR
"""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(__file__))
import training  # noqa: E402
from attention import SelfAttention, causal_mask  # noqa: E402


def mha_net():
    return nn.Sequential(nn.Linear(8, 8), SelfAttention(8, 2))


def mha_causal_net():
    return nn.Sequential(nn.Linear(8, 8), SelfAttention(8, 2, bias=False, causal=True, batch_first=True),
                         nn.Flatten(), nn.Linear(32, 3))


class EncoderLayer(nn.TransformerEncoderLayer):
    """nn.TransformerEncoderLayer on [N, S, E] (batch_first=True), with the causal src_mask of the
    sequence's length when causal."""

    def __init__(self, *args, causal=False, **kwargs):
        super().__init__(*args, batch_first=True, **kwargs)
        self.causal = causal

    def forward(self, x):
        mask = causal_mask(x.shape[1]).to(x.dtype) if self.causal else None
        return super().forward(x, src_mask=mask)


def encoder_layer_net():
    return nn.Sequential(nn.Linear(8, 8), EncoderLayer(8, 2, 16, dropout=0.0))


def encoder_layer_gelu_net():
    # PyTorch's default dropout 0.1, in eval() mode.
    return nn.Sequential(nn.Linear(8, 8), EncoderLayer(8, 2, 16, activation="gelu", norm_first=True, causal=True,
                                                        layer_norm_eps=1e-6),
                         nn.Flatten(), nn.Linear(32, 3))


def encoder_net():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    return nn.Sequential(nn.Linear(8, 8),
                         nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8), enable_nested_tensor=False))


class Masked(nn.Sequential):
    """nn.Sequential whose attention and masked mean (modules of the types in MASKED) get the key
    padding mask `padding_mask` (bool [batch, S], True = padding; a plain attribute, not in the
    state_dict): typenet's Trainable takes it beside the input (<name>.mask.bin)."""

    def __init__(self, padding_mask, *modules):
        super().__init__(*modules)
        self.padding_mask = padding_mask

    def forward(self, x):
        for module in self:
            x = module(x, self.padding_mask) if isinstance(module, MASKED) else module(x)
        return x


class MaskedMean(nn.Module):
    """The mean over the valid positions, typenet's Mean<1, key_padding_mask<true>>."""

    def forward(self, h, key_padding_mask):
        valid = (~key_padding_mask).unsqueeze(-1).to(h.dtype)
        return (h * valid).sum(dim=1) / valid.sum(dim=1)


class PaddedEncoder(nn.TransformerEncoder):
    def forward(self, x, key_padding_mask):
        return super().forward(x, src_key_padding_mask=key_padding_mask)


# Sample 0 unpadded, sample 1 padded in the middle and at the end (never at position 0: a causal
# query 0 would see no key, NaN as in PyTorch).
PADDING = torch.tensor([[False, False, False, False], [False, True, False, True]])


MASKED = (SelfAttention, PaddedEncoder, MaskedMean)


def mha_padded_net():
    return Masked(PADDING, nn.Linear(8, 8), SelfAttention(8, 2, causal=True), MaskedMean(), nn.Linear(8, 3))


def encoder_padded_net():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True, norm_first=True, activation="gelu")
    return Masked(PADDING, nn.Linear(8, 8), PaddedEncoder(layer, 2, enable_nested_tensor=False))


CE = ("cross_entropy", 0.0)
MSE = ("mse",)

# name: (factory, per-sample input shape, batch, loss, mode, frozen prefixes), as training.GRADIENTS
GRADIENTS = {
    "mha": (mha_net, (4, 8), 2, MSE, "train", []),
    # The attention frozen: its input's gradient still reaches the Linear before it.
    "mha_frozen": (mha_net, (4, 8), 2, MSE, "train", ["1."]),
    "mha_causal_no_bias": (mha_causal_net, (4, 8), 2, CE, "train", []),
    "encoder_layer_relu": (encoder_layer_net, (4, 8), 2, MSE, "train", []),
    "encoder_layer_gelu_norm_first_causal_eval": (encoder_layer_gelu_net, (4, 8), 2, CE, "eval", []),
    "encoder_2_layers_norm": (encoder_net, (3, 8), 2, MSE, "train", []),
    # The first layer frozen: the gradient still flows through it to the Linear before.
    "encoder_2_layers_norm_frozen": (encoder_net, (3, 8), 2, MSE, "train", ["1.layers.0."]),
    # key_padding_mask<true>: PADDING beside the input.
    "mha_key_padding_causal": (mha_padded_net, (4, 8), 2, CE, "train", []),
    "encoder_key_padding": (encoder_padded_net, (4, 8), 2, MSE, "train", []),
}


if __name__ == "__main__":
    training.write_gradient_cases(sys.argv[1], GRADIENTS, 20261203)
    for case_name, (factory, *_) in GRADIENTS.items():
        model = factory()
        if isinstance(model, Masked):
            training.write(os.path.join(sys.argv[1], case_name + ".mask.bin"), model.padding_mask)
