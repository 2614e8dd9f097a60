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

import torch.nn as nn

sys.path.insert(0, os.path.dirname(__file__))
import training  # noqa: E402
from attention import EncoderLayer, SelfAttention  # noqa: E402


def mha_net():
    return nn.Sequential(nn.Linear(8, 8), SelfAttention(8, 2))


def mha_causal_net():
    return nn.Sequential(nn.Linear(8, 8), SelfAttention(8, 2, bias=False, causal=True, batch_first=True),
                         nn.Flatten(), nn.Linear(32, 3))


CE = ("cross_entropy", 0.0)
MSE = ("mse",)

# name: (factory, per-sample input shape, batch, loss, mode, frozen prefixes), as training.GRADIENTS
GRADIENTS = {
    "mha": (mha_net, (4, 8), 2, MSE, "train", []),
    # The attention frozen: its input's gradient still reaches the Linear before it.
    "mha_frozen": (mha_net, (4, 8), 2, MSE, "train", ["1."]),
    "mha_causal_no_bias": (mha_causal_net, (4, 8), 2, CE, "train", []),
}


if __name__ == "__main__":
    training.write_gradient_cases(sys.argv[1], GRADIENTS, 20261203)
