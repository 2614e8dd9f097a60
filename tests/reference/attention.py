"""Reference models of the attention group: Embedding, MultiheadAttention (self-attention),
TransformerEncoderLayer, TransformerEncoder and a small text classifier, over sequences of 64
positions. Their typenet twins are in attention.hpp.

A model with a `vocabulary` attribute takes token ids: make_reference.py draws them with
torch.randint(0, vocabulary) as int64 and saves them as such. A model with a `padding_mask`
attribute (bool [BATCH, positions], True = padding, PyTorch's key_padding_mask) is called as
model(x, padding_mask), and make_reference.py saves the mask as <name>.mask.bin (one byte per
position). Models in FLOAT_ONLY are checked in float32 only by the C++ side (it writes no
<name>.typenet64.pth for them)."""
import warnings

import torch
import torch.nn as nn

# nn.TransformerEncoder's nested-tensor path (encoder_key_padding, text_classifier_key_padding) warns
# that nested tensors are a prototype, on every call.
warnings.filterwarnings("ignore", message="The PyTorch API of nested tensors is in prototype stage")

S = 64  # positions per sequence


def causal_mask(size):
    """nn.Transformer.generate_square_subsequent_mask: -inf above the diagonal."""
    return torch.triu(torch.full((size, size), float("-inf")), diagonal=1)


def padded_after(lengths, size=S):
    """Key padding masks of sequences padded at the end: positions from lengths[n] on are padding."""
    return torch.arange(size).unsqueeze(0) >= torch.tensor(lengths).unsqueeze(1)


def padded_anywhere():
    """Key padding masks of 3 sequences of S positions, padded differently: not at all; every third
    position from 1; the first 10 and the last 14 positions."""
    mask = torch.zeros(3, S, dtype=torch.bool)
    mask[1, 1::3] = True
    mask[2, :10] = True
    mask[2, 50:] = True
    return mask


class SelfAttention(nn.MultiheadAttention):
    """attn(x, x, x, need_weights=False)[0] on [N, S, E] inputs, whatever batch_first is (typenet's
    batch is [N, S, E]): the same module and state_dict as nn.MultiheadAttention. With a padding_mask,
    model(x, mask) passes it as key_padding_mask."""

    def __init__(self, *args, causal=False, padding_mask=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.causal = causal
        if padding_mask is not None:
            self.padding_mask = padding_mask

    def forward(self, x, key_padding_mask=None):
        if not self.batch_first:
            x = x.transpose(0, 1)
        mask = causal_mask(x.shape[0 if not self.batch_first else 1]).to(x.dtype) if self.causal else None
        y = super().forward(x, x, x, need_weights=False, attn_mask=mask, key_padding_mask=key_padding_mask)[0]
        return y if self.batch_first else y.transpose(0, 1)


class EncoderLayer(nn.TransformerEncoderLayer):
    """The same on [N, S, E] whatever batch_first is, with an optional causal src_mask and
    src_key_padding_mask."""

    def __init__(self, *args, causal=False, padding_mask=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.causal = causal
        if padding_mask is not None:
            self.padding_mask = padding_mask

    def forward(self, x, key_padding_mask=None):
        if not self.self_attn.batch_first:
            x = x.transpose(0, 1)
        mask = causal_mask(S).to(x.dtype) if self.causal else None
        y = super().forward(x, src_mask=mask, src_key_padding_mask=key_padding_mask)
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


class EncoderKeyPadding(nn.TransformerEncoder):
    """nn.TransformerEncoder(layer, 2, norm) called with src_key_padding_mask, sequences padded at the
    end. enable_nested_tensor=False: the path that computes every position, padded ones included,
    which typenet follows. check_reference() shows what the default (enable_nested_tensor=True)
    does under torch.no_grad(): the same values at the valid positions, and the padded positions
    set to 0 before the final norm."""

    def __init__(self, nested=False):
        layer = nn.TransformerEncoderLayer(32, 4, 64, batch_first=True)
        super().__init__(layer, 2, norm=nn.LayerNorm(32), enable_nested_tensor=nested)
        self.padding_mask = padded_after([S, 40, 17])

    def forward(self, x, key_padding_mask):
        return super().forward(x, src_key_padding_mask=key_padding_mask)

    def check_reference(self, x, y):
        fast = EncoderKeyPadding(nested=True).eval()
        fast.load_state_dict(self.state_dict())
        with torch.no_grad():
            z = fast(x, self.padding_mask)
        valid = ~self.padding_mask
        assert (z[valid] - y[valid]).abs().max() < 1e-5, "the nested-tensor path differs at valid positions"
        zero = self.norm(torch.zeros(32))
        assert torch.equal(z[~valid], zero.expand_as(z[~valid])), "the nested-tensor path kept padded positions"
        assert (y[~valid] - zero).abs().min() > 0, "the padded positions of the slow path are not the norm of 0"


class TextClassifierKeyPadding(nn.Module):
    """TextClassifier over sequences padded at the end, the mean taken over the valid positions only.
    The encoder is nn.TransformerEncoder as constructed by default (enable_nested_tensor=True): under
    torch.no_grad() with these masks PyTorch takes its nested-tensor path, whose padded positions the
    mean leaves out."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(100, 32, padding_idx=0)
        self.pos = nn.Parameter(torch.zeros(S, 32))
        layer = nn.TransformerEncoderLayer(32, 4, 64, batch_first=True, activation="gelu")
        self.encoder = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(32))
        self.head = nn.Linear(32, 5)
        self.vocabulary = 100
        self.padding_mask = padded_after([S, 50, 9])

    def forward(self, ids, key_padding_mask):
        h = self.encoder(self.embedding(ids) + self.pos, src_key_padding_mask=key_padding_mask)
        valid = (~key_padding_mask).unsqueeze(-1).to(h.dtype)
        return self.head((h * valid).sum(dim=1) / valid.sum(dim=1))


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
    "mha_key_padding": (lambda: SelfAttention(32, 4, padding_mask=padded_anywhere()), (S, 32)),
    "mha_key_padding_causal_odd_length": (
        lambda: SelfAttention(16, 2, causal=True, batch_first=True, padding_mask=padded_after([37, 30, 12], 37)),
        (37, 16)),
    "encoder_layer_key_padding_norm_first": (
        lambda: EncoderLayer(32, 4, 64, norm_first=True, activation="gelu", padding_mask=padded_anywhere()), (S, 32)),
    "encoder_key_padding": (EncoderKeyPadding, (S, 32)),
    "text_classifier_key_padding": (TextClassifierKeyPadding, (S,)),
}

# Checked in float64 too, against PyTorch's float64 outputs (the others in float32 only, to keep
# the parity program quick to compile).
FLOAT_AND_DOUBLE = {"mha_nobias_causal", "encoder_2_layers_norm"}
FLOAT_ONLY = set(MODELS) - FLOAT_AND_DOUBLE
