"""PyTorch's layers as typenet layers: one function per module type, returning the typenet
spelling with the module's options, or raising PortError for an option typenet does not have.

Options at PyTorch's default are left out, so the spelling reads as one would write it by hand;
dropout probabilities are always written (Dropout<"0.5">), as the README's types do.
Options that change nothing at inference (inplace, dropout probabilities kept for the summary) are
accepted; options that change the forward and that typenet lacks are refused by name.
"""
import torch.nn as nn

from .errors import PortError

try:  # torchvision is optional: its layers are recognised when it is installed
    import torchvision.ops as tv_ops
    from torchvision.models.convnext import LayerNorm2d as tv_LayerNorm2d
except ImportError:  # pragma: no cover
    tv_ops = None
    tv_LayerNorm2d = None


def decimal(x):
    """A float hyper-parameter as typenet spells it: a string, Python's shortest exact form."""
    return '"' + repr(float(x)) + '"'


def pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def single(v):
    return v[0] if isinstance(v, (tuple, list)) else v


def size2_option(name, v, default):
    h, w = pair(v)
    if (h, w) == pair(default):
        return []
    return [f"{name}<{h}>" if h == w else f"{name}<{h}, {w}>"]


def kernel2(v):
    h, w = pair(v)
    return str(h) if h == w else f"size2{{{h}, {w}}}"


def spell(name, args):
    return f"{name}<{', '.join(str(a) for a in args)}>" if args else name


class Refuse:
    """Collects the reasons a module cannot be ported, to raise them all in one message."""

    def __init__(self, path, module):
        self.path, self.module, self.reasons = path, module, []

    def unless(self, ok, why):
        if not ok:
            self.reasons.append(why)

    def done(self):
        if self.reasons:
            raise PortError(self.path, self.module, "; ".join(self.reasons))


def conv_padding(r, m, dims):
    """PyTorch's padding, a tuple of `dims` numbers ('same' resolved as PyTorch pads it)."""
    p = m.padding
    if p == "valid":
        return (0,) * dims
    if p == "same":
        total = [d * (k - 1) for d, k in zip(m.dilation, m.kernel_size)]
        r.unless(all(t % 2 == 0 for t in total),
                 "padding='same' with an even kernel pads one side more than the other; typenet pads both sides equally")
        return tuple(t // 2 for t in total)
    return tuple(p)


def conv(path, m, name, dims, transposed=False):
    r = Refuse(path, m)
    r.unless(m.padding_mode == "zeros", f"padding_mode={m.padding_mode!r} (typenet pads with zeros only)")
    padding = conv_padding(r, m, dims)
    r.done()
    if dims == 2:
        args = [m.in_channels, m.out_channels, kernel2(m.kernel_size)]
        args += size2_option("stride", m.stride, 1) + size2_option("padding", padding, 0)
        if transposed:
            args += size2_option("output_padding", m.output_padding, 0)
        args += size2_option("dilation", m.dilation, 1)
    else:
        args = [m.in_channels, m.out_channels, single(m.kernel_size)]
        for option, value in (("stride", m.stride), ("padding", padding),
                              ("output_padding", m.output_padding if transposed else (0,)),
                              ("dilation", m.dilation)):
            default = 1 if option in ("stride", "dilation") else 0
            if single(value) != default:
                args.append(f"{option}<{single(value)}>")
    if m.groups != 1:
        args.append(f"groups<{m.groups}>")
    if m.bias is None:
        args.append("bias<false>")
    return spell(name, args)


def max_pool(path, m, name, dims):
    r = Refuse(path, m)
    r.unless(not m.return_indices, "return_indices=True (a typenet layer has one output)")
    r.done()
    k = m.kernel_size
    stride = m.stride if m.stride is not None else k
    if dims == 2:
        args = [kernel2(k)] + size2_option("stride", stride, k) + size2_option("padding", m.padding, 0)
        args += size2_option("dilation", m.dilation, 1)
    else:
        args = [single(k)] + [f"{o}<{single(v)}>" for o, v, d in
                              (("stride", stride, single(k)), ("padding", m.padding, 0), ("dilation", m.dilation, 1))
                              if single(v) != d]
    if m.ceil_mode:
        args.append("ceil_mode<true>")
    return spell(name, args)


def avg_pool(path, m, name, dims):
    k = m.kernel_size
    stride = m.stride if m.stride is not None else k
    if dims == 2:
        args = [kernel2(k)] + size2_option("stride", stride, k) + size2_option("padding", m.padding, 0)
    else:
        args = [single(k)] + [f"{o}<{single(v)}>" for o, v, d in
                              (("stride", stride, single(k)), ("padding", m.padding, 0)) if single(v) != d]
    if m.ceil_mode:
        args.append("ceil_mode<true>")
    if not m.count_include_pad:
        args.append("count_include_pad<false>")
    if dims == 2 and m.divisor_override is not None:
        args.append(f"divisor_override<{m.divisor_override}>")
    return spell(name, args)


def adaptive(path, m, name, dims, max_pool=False):
    r = Refuse(path, m)
    if max_pool:
        r.unless(not m.return_indices, "return_indices=True (a typenet layer has one output)")
    size = pair(m.output_size) if dims == 2 else (single(m.output_size),)
    r.unless(None not in size, "an output size of None (keep the input's) is not supported: give the number")
    r.done()
    if dims == 2 and size[0] == size[1]:
        size = size[:1]
    return spell(name, list(size))


def running_stats_norm(path, m, name, flags_default):
    """BatchNorm and InstanceNorm share their options; only the defaults of affine and
    track_running_stats differ (on for BatchNorm, off for InstanceNorm), and a flag is written when
    it differs from its default."""
    r = Refuse(path, m)
    r.unless(m.momentum is not None or name.startswith("BatchNorm"),
             "momentum=None (a cumulative average) is supported by BatchNorm only")
    r.done()
    args = [m.num_features]
    if m.eps != 1e-5:
        args.append(f"eps<{decimal(m.eps)}>")
    if m.momentum is None:
        args.append('momentum<"None">')
    elif m.momentum != 0.1:
        args.append(f"momentum<{decimal(m.momentum)}>")
    for flag in ("affine", "track_running_stats"):
        if bool(getattr(m, flag)) != flags_default:
            args.append(f"{flag}<{'true' if getattr(m, flag) else 'false'}>")
    return spell(name, args)


def layer_norm(path, m, name="LayerNorm"):
    shape = tuple(m.normalized_shape)
    args = [str(shape[0]) if len(shape) == 1 else "shape{" + ", ".join(map(str, shape)) + "}"]
    if m.eps != 1e-5:
        args.append(f"eps<{decimal(m.eps)}>")
    if not m.elementwise_affine:
        args.append("elementwise_affine<false>")
    return spell(name, args)


def group_norm(path, m):
    args = [m.num_groups, m.num_channels]
    if m.eps != 1e-5:
        args.append(f"eps<{decimal(m.eps)}>")
    if not m.affine:
        args.append("affine<false>")
    return spell("GroupNorm", args)


def upsample(path, m):
    r = Refuse(path, m)
    modes = {"nearest", "bilinear", "linear"}
    r.unless(m.mode in modes, f"mode={m.mode!r} (typenet has 'nearest', 'bilinear' and 'linear')")
    r.unless((m.size is None) != (m.scale_factor is None), "exactly one of size and scale_factor must be given")
    r.done()
    if m.size is not None:
        sizes = m.size if isinstance(m.size, (tuple, list)) else (m.size,)
        if len(set(sizes)) == 1:
            sizes = sizes[:1]
        args = ["output_size<" + ", ".join(str(s) for s in sizes) + ">"]
    else:
        factors = m.scale_factor if isinstance(m.scale_factor, (tuple, list)) else (m.scale_factor,)
        if len(set(factors)) == 1:
            factors = factors[:1]
        args = ["scale_factor<" + ", ".join(decimal(f) for f in factors) + ">"]
    if m.mode != "nearest":
        args.append(f'mode<"{m.mode}">')
    if m.align_corners:
        args.append("align_corners<true>")
    if getattr(m, "recompute_scale_factor", None):
        args.append("recompute_scale_factor<true>")
    return spell("Upsample", args)


def softplus(path, m):
    args = []
    if m.beta != 1:
        args.append(f"beta<{decimal(m.beta)}>")
    if m.threshold != 20:
        args.append(f"threshold<{decimal(m.threshold)}>")
    return f"Softplus<{', '.join(args)}>"


def softmax(path, m, name):
    r = Refuse(path, m)
    r.unless(m.dim is not None, "dim=None (PyTorch's deprecated implicit dim): give the dim")
    r.done()
    return f"{name}<{m.dim}>"


def flatten(start, end):
    return "Flatten" if (start, end) == (1, -1) else f"FlattenDims<{start}, {end}>"


def embedding(path, m):
    r = Refuse(path, m)
    r.unless(m.max_norm is None, "max_norm (PyTorch renormalises the weight in place; load renormalised weights instead)")
    r.done()
    args = [m.num_embeddings, m.embedding_dim]
    if m.padding_idx is not None:
        args.append(f"padding_idx<{m.padding_idx}>")
    return spell("Embedding", args)


def recurrent(path, m, name):
    r = Refuse(path, m)
    r.unless(m.proj_size == 0 or name == "LSTM", "proj_size is LSTM's only")
    r.done()
    args = [m.input_size, m.hidden_size]
    if name == "RNN" and m.nonlinearity != "tanh":
        args.append(f'nonlinearity<"{m.nonlinearity}">')
    if m.num_layers != 1:
        args.append(f"num_layers<{m.num_layers}>")
    if not m.bias:
        args.append("bias<false>")
    if m.bidirectional:
        args.append("bidirectional<true>")
    if m.batch_first:
        args.append("batch_first<true>")
    if m.dropout:
        args.append(f"dropout<{decimal(m.dropout)}>")
    if name == "LSTM" and m.proj_size:
        args.append(f"proj_size<{m.proj_size}>")
    return spell(name, args)


def multihead_attention(path, m):
    r = Refuse(path, m)
    r.unless(m.bias_k is None, "add_bias_kv=True is not supported")
    r.unless(not m.add_zero_attn, "add_zero_attn=True is not supported")
    r.unless(m._qkv_same_embed_dim, "kdim/vdim other than embed_dim are not supported (typenet's is self-attention)")
    r.done()
    args = [m.embed_dim, m.num_heads]
    if m.in_proj_bias is None:
        args.append("bias<false>")
    if m.batch_first:
        args.append("batch_first<true>")
    if m.dropout:
        args.append(f"dropout<{decimal(m.dropout)}>")
    return spell("MultiheadAttention", args)


def encoder_layer(path, m):
    import torch.nn.functional as F
    r = Refuse(path, m)
    activation = m.activation
    gelu = activation is F.gelu or isinstance(activation, nn.GELU)
    r.unless(gelu or activation is F.relu or isinstance(activation, nn.ReLU),
             "an activation other than relu or gelu is not supported")
    r.unless(m.norm1.eps == m.norm2.eps, "norm1 and norm2 with different eps")
    r.unless(m.linear1.bias is not None and m.self_attn.in_proj_bias is not None, "bias=False is not supported")
    r.done()
    args = [m.self_attn.embed_dim, m.self_attn.num_heads, m.linear1.out_features]
    if m.norm_first:
        args.append("norm_first<true>")
    if gelu:
        args.append('activation<"gelu">')
    if m.norm1.eps != 1e-5:
        args.append(f"layer_norm_eps<{decimal(m.norm1.eps)}>")
    if m.dropout.p != 0.1:
        args.append(f"dropout<{decimal(m.dropout.p)}>")
    if m.self_attn.batch_first:
        args.append("batch_first<true>")
    return spell("TransformerEncoderLayer", args)


def encoder(path, m):
    layers = [encoder_layer(f"{path}.layers.{i}", layer) for i, layer in enumerate(m.layers)]
    r = Refuse(path, m)
    r.unless(len(set(layers)) == 1, "layers of different configurations (typenet repeats one layer type)")
    r.unless(m.norm is None or type(m.norm) is nn.LayerNorm, "a final norm other than nn.LayerNorm")
    r.done()
    args = [layers[0], len(layers)]
    if m.norm is not None:
        args.append(f"final_norm<{layer_norm(path + '.norm', m.norm)}>")
    return spell("TransformerEncoder", args)


def dropout(name):
    return lambda path, m: f"{name}<{decimal(m.p)}>"


def plain(name):
    return lambda path, m: name


# PyTorch module type -> function(path, module) -> typenet spelling.
LAYERS = {
    nn.Conv2d: lambda p, m: conv(p, m, "Conv2d", 2),
    nn.Conv1d: lambda p, m: conv(p, m, "Conv1d", 1),
    nn.ConvTranspose2d: lambda p, m: conv(p, m, "ConvTranspose2d", 2, transposed=True),
    nn.ConvTranspose1d: lambda p, m: conv(p, m, "ConvTranspose1d", 1, transposed=True),
    nn.Linear: lambda p, m: spell("Linear", [m.in_features, m.out_features] + ([] if m.bias is not None else ["bias<false>"])),
    nn.ReLU: plain("ReLU"),
    nn.ReLU6: plain("ReLU6"),
    nn.Identity: plain("Identity"),
    nn.SiLU: plain("SiLU"),
    nn.Sigmoid: plain("Sigmoid"),
    nn.Tanh: plain("Tanh"),
    nn.Hardswish: plain("Hardswish"),
    nn.Hardsigmoid: plain("Hardsigmoid"),
    nn.Mish: plain("Mish"),
    nn.Hardtanh: lambda p, m: "Hardtanh<>" if (m.min_val, m.max_val) == (-1, 1) else
        f"Hardtanh<{decimal(m.min_val)}, {decimal(m.max_val)}>",
    nn.LeakyReLU: lambda p, m: "LeakyReLU<>" if m.negative_slope == 0.01 else f"LeakyReLU<{decimal(m.negative_slope)}>",
    nn.ELU: lambda p, m: "ELU<>" if m.alpha == 1 else f"ELU<{decimal(m.alpha)}>",
    nn.GELU: lambda p, m: "GELU<>" if m.approximate == "none" else f'GELU<"{m.approximate}">',
    nn.Softplus: softplus,
    nn.Softmax: lambda p, m: softmax(p, m, "Softmax"),
    nn.LogSoftmax: lambda p, m: softmax(p, m, "LogSoftmax"),
    nn.MaxPool2d: lambda p, m: max_pool(p, m, "MaxPool2d", 2),
    nn.MaxPool1d: lambda p, m: max_pool(p, m, "MaxPool1d", 1),
    nn.AvgPool2d: lambda p, m: avg_pool(p, m, "AvgPool2d", 2),
    nn.AvgPool1d: lambda p, m: avg_pool(p, m, "AvgPool1d", 1),
    nn.AdaptiveAvgPool2d: lambda p, m: adaptive(p, m, "AdaptiveAvgPool2d", 2),
    nn.AdaptiveAvgPool1d: lambda p, m: adaptive(p, m, "AdaptiveAvgPool1d", 1),
    nn.AdaptiveMaxPool2d: lambda p, m: adaptive(p, m, "AdaptiveMaxPool2d", 2, max_pool=True),
    nn.AdaptiveMaxPool1d: lambda p, m: adaptive(p, m, "AdaptiveMaxPool1d", 1, max_pool=True),
    nn.Upsample: upsample,
    nn.UpsamplingNearest2d: upsample,
    nn.UpsamplingBilinear2d: upsample,
    nn.Flatten: lambda p, m: flatten(m.start_dim, m.end_dim),
    nn.ChannelShuffle: lambda p, m: f"ChannelShuffle<{m.groups}>",
    nn.BatchNorm1d: lambda p, m: running_stats_norm(p, m, "BatchNorm1d", flags_default=True),
    nn.BatchNorm2d: lambda p, m: running_stats_norm(p, m, "BatchNorm2d", flags_default=True),
    nn.InstanceNorm1d: lambda p, m: running_stats_norm(p, m, "InstanceNorm1d", flags_default=False),
    nn.InstanceNorm2d: lambda p, m: running_stats_norm(p, m, "InstanceNorm2d", flags_default=False),
    nn.LayerNorm: layer_norm,
    nn.GroupNorm: group_norm,
    nn.Dropout: dropout("Dropout"),
    nn.Dropout1d: dropout("Dropout1d"),
    nn.Dropout2d: dropout("Dropout2d"),
    nn.AlphaDropout: dropout("AlphaDropout"),
    nn.Embedding: embedding,
    nn.RNN: lambda p, m: recurrent(p, m, "RNN"),
    nn.LSTM: lambda p, m: recurrent(p, m, "LSTM"),
    nn.GRU: lambda p, m: recurrent(p, m, "GRU"),
    nn.MultiheadAttention: multihead_attention,
    nn.TransformerEncoderLayer: encoder_layer,
    nn.TransformerEncoder: encoder,
    nn.ConstantPad1d: lambda p, m: (f"ConstantPad1d<{m.padding[0]}, {m.padding[1]}>" if m.value == 0 else
                                    f"ConstantPad1d<{m.padding[0]}, {m.padding[1]}, {decimal(m.value)}>"),
}
if tv_ops is not None:
    LAYERS[tv_ops.StochasticDepth] = lambda p, m: f'StochasticDepth<{decimal(m.p)}, "{m.mode}">'
    LAYERS[tv_LayerNorm2d] = lambda p, m: layer_norm(p, m, "LayerNorm2d")

# Layers whose PyTorch forward returns a tuple; a forward picks one element (see graph.py).
RECURRENT = (nn.RNN, nn.LSTM, nn.GRU)


def layer_type(module):
    """The PyTorch class of LAYERS that `module` is an instance of, with that class's forward (a
    subclass that overrides forward is a module of its own), or None."""
    for cls in type(module).__mro__:
        if cls in LAYERS:
            return cls if type(module).forward is cls.forward else None
    return None


def spell_layer(path, module):
    return LAYERS[layer_type(module)](path, module)
