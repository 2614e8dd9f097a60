"""Reference models of the attention group: Embedding, MultiheadAttention (self-attention),
TransformerEncoderLayer, TransformerEncoder and a small text classifier, over sequences of 64
positions. Their typenet twins are in attention.hpp.

A model with a `vocabulary` attribute takes token ids: make_reference.py draws them with
torch.randint(0, vocabulary) as int64 and saves them as such. Models in FLOAT_ONLY are checked in
float32 only by the C++ side (it writes no <name>.typenet64.pth for them)."""
import torch
import torch.nn as nn

S = 64  # positions per sequence


def causal_mask(size):
    """nn.Transformer.generate_square_subsequent_mask: -inf above the diagonal."""
    return torch.triu(torch.full((size, size), float("-inf")), diagonal=1)


class SelfAttention(nn.MultiheadAttention):
    """attn(x, x, x, need_weights=False)[0] on [N, S, E] inputs, whatever batch_first is (typenet's
    batch is [N, S, E]): the same module and state_dict as nn.MultiheadAttention."""

    def __init__(self, *args, causal=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.causal = causal

    def forward(self, x):
        if not self.batch_first:
            x = x.transpose(0, 1)
        mask = causal_mask(x.shape[0 if not self.batch_first else 1]).to(x.dtype) if self.causal else None
        y = super().forward(x, x, x, need_weights=False, attn_mask=mask)[0]
        return y if self.batch_first else y.transpose(0, 1)


class EncoderLayer(nn.TransformerEncoderLayer):
    """The same on [N, S, E] whatever batch_first is, with an optional causal src_mask."""

    def __init__(self, *args, causal=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.causal = causal

    def forward(self, x):
        if not self.self_attn.batch_first:
            x = x.transpose(0, 1)
        mask = causal_mask(S).to(x.dtype) if self.causal else None
        y = super().forward(x, src_mask=mask)
        return y if self.self_attn.batch_first else y.transpose(0, 1)


def tokens(module, vocabulary):
    module.vocabulary = vocabulary
    return module


class TextClassifier(nn.Module):
    """Token ids -> embedding + learned positions -> 2-layer encoder -> mean over positions -> Linear."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(100, 32, padding_idx=0)
        self.pos = nn.Parameter(torch.zeros(S, 32))
        layer = nn.TransformerEncoderLayer(32, 4, 64, batch_first=True, activation="gelu")
        self.encoder = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(32), enable_nested_tensor=False)
        self.head = nn.Linear(32, 5)
        self.vocabulary = 100

    def forward(self, ids):
        return self.head(self.encoder(self.embedding(ids) + self.pos).mean(dim=1))


def encoder_2_layers_norm():
    layer = nn.TransformerEncoderLayer(32, 4, 64, batch_first=True)
    return nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(32), enable_nested_tensor=False)


MODELS = {
    "embedding_padding_idx": (lambda: tokens(nn.Embedding(50, 16, padding_idx=0), 50), (S,)),
    "embedding_negative_padding_idx": (lambda: tokens(nn.Embedding(40, 24, padding_idx=-1), 40), (S,)),
    "mha": (lambda: SelfAttention(32, 4), (S, 32)),
    "mha_batch_first_single_head": (lambda: SelfAttention(24, 1, batch_first=True), (S, 24)),
    "mha_nobias_causal": (lambda: SelfAttention(32, 4, bias=False, causal=True), (S, 32)),
    "mha_causal_odd_length": (lambda: SelfAttention(16, 2, causal=True, batch_first=True), (37, 16)),
    "encoder_layer_relu": (lambda: EncoderLayer(32, 4, 64, batch_first=True), (S, 32)),
    "encoder_layer_relu_norm_first": (lambda: EncoderLayer(32, 4, 64, norm_first=True), (S, 32)),
    "encoder_layer_gelu": (lambda: EncoderLayer(32, 4, 64, activation="gelu", layer_norm_eps=1e-6), (S, 32)),
    "encoder_layer_gelu_norm_first_causal": (
        lambda: EncoderLayer(32, 4, 64, activation="gelu", norm_first=True, causal=True, batch_first=True), (S, 32)),
    "encoder_2_layers_norm": (encoder_2_layers_norm, (S, 32)),
    "text_classifier": (TextClassifier, (S,)),
}

# Checked in float64 too, against PyTorch's float64 outputs (the others in float32 only, to keep
# the parity program quick to compile).
FLOAT_AND_DOUBLE = {"mha_nobias_causal", "encoder_2_layers_norm"}
FLOAT_ONLY = set(MODELS) - FLOAT_AND_DOUBLE
