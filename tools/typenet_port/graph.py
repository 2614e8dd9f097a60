"""A module's forward as a typenet Forward expression, read from its torch.fx graph.

Every submodule call is kept as one node (a leaf of the trace): the forward is seen as PyTorch
wrote it, in terms of the module's own children. Each graph node becomes a step: a call of a
child (`Call<"name">`), a stateless layer (`F.relu` -> `ReLU`, `torch.flatten(x, 1)` ->
`Flatten`), or a combinator of other nodes (`+` -> `Add`, `*` -> `Mul`, `torch.cat` -> `Cat`).

The expression is built between "cuts": nodes every later node depends on through them alone (in
a residual block, the input and the sum). Between two cuts each node is an expression of the
earlier cut, which is `Identity` there; the pieces are chained with `Then`. A node used twice
between two cuts is computed twice, which gives the same values.
"""
import inspect
import operator

import torch
import torch.fx
import torch.nn as nn
import torch.nn.functional as F

from .errors import PortError
from .layers import RECURRENT, decimal, flatten


class _LeafTracer(torch.fx.Tracer):
    """Keeps every submodule call as one node. The layers that return a tuple return one of
    proxies, so that `out, _ = self.lstm(x)` traces (fx cannot unpack a proxy of unknown length)."""

    def is_leaf_module(self, m, qualname):
        return True

    def call_module(self, m, forward, args, kwargs):
        proxy = super().call_module(m, forward, args, kwargs)
        if isinstance(m, nn.LSTM):
            return proxy[0], (proxy[1][0], proxy[1][1])
        if isinstance(m, RECURRENT + (nn.MultiheadAttention,)):
            return proxy[0], proxy[1]
        return proxy


def trace(path, module):
    params = list(inspect.signature(module.forward).parameters.values())
    if not params:
        raise PortError(path, module, "forward takes no input")
    concrete = {}
    for p in params[1:]:
        if p.default is inspect.Parameter.empty:
            raise PortError(path, module, f"forward takes more than one input ({p.name}); a typenet module has one")
        concrete[p.name] = p.default
    try:
        return _LeafTracer().trace(module, concrete_args=concrete or None)
    except Exception as e:  # fx's own message says which Python construct it could not follow
        raise PortError(path, module, f"torch.fx cannot trace its forward: {type(e).__name__}: {e}") from None


def _arg(node, index, name, default=None):
    if len(node.args) > index:
        return node.args[index]
    return node.kwargs.get(name, default)


# Stateless functions of one tensor, by target: a function (node) -> typenet spelling.
def _activation(name):
    return lambda n: name


_UNARY = {
    F.relu: _activation("ReLU"), torch.relu: _activation("ReLU"), "relu": _activation("ReLU"),
    torch.sigmoid: _activation("Sigmoid"), "sigmoid": _activation("Sigmoid"),
    torch.tanh: _activation("Tanh"), "tanh": _activation("Tanh"),
    F.silu: _activation("SiLU"), F.hardswish: _activation("Hardswish"), F.hardsigmoid: _activation("Hardsigmoid"),
    F.mish: _activation("Mish"), F.relu6: _activation("ReLU6"),
    F.gelu: lambda n: 'GELU<"tanh">' if n.kwargs.get("approximate", "none") == "tanh" else "GELU<>",
    F.leaky_relu: lambda n: f"LeakyReLU<{decimal(_arg(n, 1, 'negative_slope', 0.01))}>",
    F.elu: lambda n: f"ELU<{decimal(_arg(n, 1, 'alpha', 1.0))}>",
    F.softmax: lambda n: f"Softmax<{_arg(n, 1, 'dim')}>", torch.softmax: lambda n: f"Softmax<{_arg(n, 1, 'dim')}>",
    "softmax": lambda n: f"Softmax<{_arg(n, 1, 'dim')}>",
    F.log_softmax: lambda n: f"LogSoftmax<{_arg(n, 1, 'dim')}>",
    torch.log_softmax: lambda n: f"LogSoftmax<{_arg(n, 1, 'dim')}>",
    "log_softmax": lambda n: f"LogSoftmax<{_arg(n, 1, 'dim')}>",
    torch.flatten: lambda n: flatten(_arg(n, 1, "start_dim", 0), _arg(n, 2, "end_dim", -1)),
    "flatten": lambda n: flatten(_arg(n, 1, "start_dim", 0), _arg(n, 2, "end_dim", -1)),
    torch.transpose: lambda n: f"Transpose<{_arg(n, 1, 'dim0')}, {_arg(n, 2, 'dim1')}>",
    "transpose": lambda n: f"Transpose<{_arg(n, 1, 'dim0')}, {_arg(n, 2, 'dim1')}>",
    torch.narrow: lambda n: f"Narrow<{_arg(n, 1, 'dim')}, {_arg(n, 2, 'start')}, {_arg(n, 3, 'length')}>",
    "narrow": lambda n: f"Narrow<{_arg(n, 1, 'dim')}, {_arg(n, 2, 'start')}, {_arg(n, 3, 'length')}>",
    torch.mean: lambda n: _mean(n), "mean": lambda n: _mean(n),  # _mean is defined below
}


def _mean(n):
    """x.mean(d): Mean<d>; x.mean([2, 3]) of an image: its global average pooling."""
    d, keepdim = _arg(n, 1, "dim"), _arg(n, 2, "keepdim", False)
    if isinstance(d, int):
        return f"Mean<{d}>"
    return ["AdaptiveAvgPool2d<1>"] + ([] if keepdim else ["Flatten"])


def _pool2d_size(v):
    h, w = (v, v) if isinstance(v, int) else tuple(v)
    return f"{h}" if h == w else f"{h}, {w}"


_UNARY[F.adaptive_avg_pool2d] = lambda n: f"AdaptiveAvgPool2d<{_pool2d_size(_arg(n, 1, 'output_size'))}>"
_UNARY[F.adaptive_max_pool2d] = lambda n: f"AdaptiveMaxPool2d<{_pool2d_size(_arg(n, 1, 'output_size'))}>"


def _mean_refusal(n):
    d, keepdim = _arg(n, 1, "dim"), _arg(n, 2, "keepdim", False)
    spatial = isinstance(d, (list, tuple)) and sorted(d) in ([2, 3], [-2, -1])
    if n.kwargs.get("dtype") is not None or not (isinstance(d, int) and not keepdim or spatial):
        return "a mean other than over one dim (Mean), or over the two spatial dims [2, 3] of an image"
    return False


# Why a unary function's other arguments could make the spelling wrong: checked before spelling.
_UNARY_REFUSALS = {
    torch.flatten: lambda n: _arg(n, 1, "start_dim", 0) == 0 and "flattens the batch dimension (start_dim=0)",
    "flatten": lambda n: _arg(n, 1, "start_dim", 0) == 0 and "flattens the batch dimension (start_dim=0)",
    torch.mean: lambda n: _mean_refusal(n),
    "mean": lambda n: _mean_refusal(n),
    F.adaptive_max_pool2d: lambda n: _arg(n, 2, "return_indices", False) and "return_indices=True",
}
for _softmax in (F.softmax, torch.softmax, "softmax", F.log_softmax, torch.log_softmax, "log_softmax"):
    _UNARY_REFUSALS[_softmax] = lambda n: (_arg(n, 1, "dim") is None and "softmax without dim (PyTorch's deprecated "
                                           "implicit dim): give the dim" or n.kwargs.get("dtype") is not None and "softmax with a dtype")

# The value passes unchanged in eval(): dropout with training=False, contiguous(). The value: the
# default of `training` (F.dropout drops unless told otherwise).
_PASS = {F.dropout: True, F.dropout1d: True, F.dropout2d: True, F.alpha_dropout: False, "contiguous": False}

_ADD = {operator.add, operator.iadd, torch.add, "add"}
_MUL = {operator.mul, operator.imul, torch.mul, "mul"}


def _name(node):
    """How the forward's source names the operation: torch.where, F.pad, operator.gt, Tensor.view."""
    target = node.target
    if node.op == "call_method":
        return f"Tensor.{target}"
    name = getattr(target, "__name__", repr(target))
    for prefix, namespace in (("torch.", torch), ("F.", F), ("operator.", operator)):
        if getattr(namespace, name, None) is target:
            return prefix + name
    return getattr(target, "__module__", "") + "." + name


def _source(node):
    """A node as the forward wrote it, about: `operator.add(fc, 1.0)`, `attn(x, x, x, need_weights=False)`."""
    if node.op == "placeholder":
        return node.name
    args = [repr(a) if not isinstance(a, torch.fx.Node) else a.name for a in node.args]
    args += [f"{k}={v.name if isinstance(v, torch.fx.Node) else repr(v)}" for k, v in node.kwargs.items()]
    what = node.target if node.op in ("call_module", "get_attr") else _name(node)
    return f"{what}({', '.join(args)})" if node.op != "get_attr" else f"self.{what}"


class Step:
    """One step of a chain: a child call, a stateless layer, or a combinator over chains."""

    def __init__(self, call=None, unit=None, combinator=None, operands=(), options=()):
        self.call, self.unit, self.combinator = call, unit, combinator
        self.operands, self.options = list(operands), list(options)


def render(chain, margin=None):
    """A chain of steps as a typenet expression: consecutive calls merge into one Call. With a
    margin (the indentation of the line it starts on), a long Then puts each step on a line."""
    parts, calls = [], []
    for step in chain:
        if step.call is not None:
            calls.append(step.call)
            continue
        if calls:
            parts.append("Call<" + ", ".join(f'"{c}"' for c in calls) + ">")
            calls = []
        if step.unit is not None:
            parts += step.unit if isinstance(step.unit, list) else [step.unit]
        else:
            parts.append(f"{step.combinator}<" + ", ".join(step.options + [render(c) for c in step.operands]) + ">")
    if calls:
        parts.append("Call<" + ", ".join(f'"{c}"' for c in calls) + ">")
    if not parts:
        return "Identity"
    if len(parts) == 1:
        return parts[0]
    one_line = "Then<" + ", ".join(parts) + ">"
    if margin is None or len(one_line) + len(margin) <= 100:
        return one_line
    return "Then<\n" + ",\n".join(margin + "    " + p for p in parts) + ">"


class Forward:
    """The forward of `module` (at `path`), traced: `chain` is its steps from the input."""

    def __init__(self, path, module):
        self.path, self.module = path, module
        self.graph = trace(path, module)
        self.children = dict(module.named_children())
        self.parameters = dict(module.named_parameters(recurse=False))
        self.ops = {}  # node -> (Step or None for a value passed through, tensor inputs)
        nodes = list(self.graph.nodes)
        placeholders = [n for n in nodes if n.op == "placeholder"]
        output = next(n for n in nodes if n.op == "output")
        if not isinstance(output.args[0], torch.fx.Node):
            self.refuse(output, "returns more than one value (a tuple or a dict); a typenet module returns one tensor")
        self.input = placeholders[0]
        needed, todo = set(), [output]   # what the result depends on: the rest is dead code
        while todo:
            n = todo.pop()
            if n not in needed:
                needed.add(n)
                todo.extend(n.all_input_nodes)
        self.unsupported = []
        for node in nodes:
            if node in needed and node.op in ("call_module", "call_function", "call_method", "get_attr"):
                self.ops[node] = self.translate(node)
        if self.unsupported:
            raise PortError(path, module, "its forward uses " + ", ".join(f"`{u}`" for u in self.unsupported) +
                            ", which typenet has no layer or combinator for (typenet combines branches with Add, "
                            "Mul and Cat; docs/extending.md shows how to write a layer or a combinator)")
        self.chain = self.whole_lists(self.cut_chain(output.args[0]))

    def refuse(self, node, why):
        raise PortError(self.path, self.module, f"its forward, at `{_source(node)}`: {why}")

    def tensor(self, node, value):
        if not isinstance(value, torch.fx.Node) or value not in self.ops and value is not self.input:
            self.refuse(node, "an operand that is not a tensor of the forward (a constant or a number)")
        if value in self.ops and self.ops[value] == "aux":
            self.refuse(node, "an operand that is not a tensor of the forward")
        return value

    def translate(self, node):
        target = node.target
        if node.op == "get_attr":
            if target in self.parameters:
                return Step(call=target), []
            self.refuse(node, f"reads the attribute `{target}`, which is not an nn.Parameter of this module "
                              "(typenet has Parameter for those; buffers and constants are not supported)")
        if node.op == "call_module":
            owner, _, index = target.partition(".")
            if isinstance(self.children.get(owner), nn.ModuleList) and index.isdigit():
                return Step(call=target), [self.tensor(node, node.args[0])]  # joined by whole_lists
            if target not in self.children:
                self.refuse(node, f"calls `{target}`, a module inside a child; typenet's Call names the module's own "
                                  "children (call the child, or make the inner module a child)")
            child = self.children[target]
            args = list(node.args)
            if isinstance(child, nn.MultiheadAttention):
                ok = len(args) == 3 and args[0] is args[1] is args[2] and set(node.kwargs) <= {"need_weights"}
                if not ok:
                    self.refuse(node, "nn.MultiheadAttention is supported as self-attention only, attn(x, x, x) "
                                      "(need_weights may be given; masks and other arguments are not)")
                return "tuple", [self.tensor(node, args[0])]
            if len(args) != 1 or node.kwargs:
                self.refuse(node, f"calls `{target}` with more than the one tensor typenet passes")
            if isinstance(child, RECURRENT):
                return "tuple", [self.tensor(node, args[0])]
            return Step(call=target), [self.tensor(node, args[0])]
        if node.op == "call_method" and target == "size" or node.op == "call_function" and target is getattr:
            return "aux"  # x.size(0), x.shape: read by the view/reshape below
        if target is operator.getitem:
            return self.getitem(node)
        if target in _PASS:
            if _arg(node, 2, "training", _PASS[target]):
                self.refuse(node, "dropout with training=True, which drops values in eval() too (F.dropout's "
                                  "default: pass training=self.training)")
            return None, [self.tensor(node, node.args[0])]
        if target in _ADD or target in _MUL:
            if len(node.args) != 2 or node.kwargs:
                self.refuse(node, "add/mul with other than two operands (alpha= is not supported)")
            operands = [self.tensor(node, a) for a in node.args]
            return Step(combinator="Add" if target in _ADD else "Mul"), operands
        if target is torch.cat or target is torch.concat:
            tensors = _arg(node, 0, "tensors")
            d = _arg(node, 1, "dim", 0)
            operands = [self.tensor(node, t) for t in tensors]
            return Step(combinator="Cat", options=[] if d == 1 else [f"dim<{d}>"]), operands
        if node.op == "call_method" and target in ("view", "reshape"):
            return self.view(node)
        if target in _UNARY:
            refusal = _UNARY_REFUSALS.get(target, lambda n: False)(node)
            if refusal:
                self.refuse(node, refusal)
            return Step(unit=_UNARY[target](node)), [self.tensor(node, node.args[0])]
        self.unsupported.append(_name(node))
        return Step(unit="?"), []

    def view(self, node):
        """x.view(x.size(0), -1): Flatten."""
        shape = list(node.args[1:])
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = list(shape[0])
        first = shape[0] if shape else None
        batch = isinstance(first, torch.fx.Node) and (
            first.op == "call_method" and first.target == "size" and first.args[1:] == (0,)
            or first.target is operator.getitem and first.args[1] == 0
            and first.args[0].op == "call_function" and first.args[0].target is getattr)
        if len(shape) == 2 and batch and shape[1] == -1:
            return Step(unit="Flatten"), [self.tensor(node, node.args[0])]
        self.refuse(node, "view/reshape other than x.view(x.size(0), -1) (Flatten) is not supported")

    def getitem(self, node):
        source, index = node.args
        kind = self.ops.get(source)
        if kind == "aux":
            return "aux"  # x.shape[0]
        if isinstance(kind, tuple) and kind[0] == "tuple":
            if index != 0:
                self.refuse(node, "uses an element of a recurrent or attention layer's result other than [0] "
                                  "(its output); write h_n's use by hand with returns<\"h_n\">")
            child = source.target
            return Step(call=child), kind[1]
        if isinstance(index, tuple) and len(index) >= 2 and index[0] == slice(None):
            rest = index[1:]
            if rest[0] == -1 and all(i == slice(None) for i in rest[1:]):
                return Step(unit="LastStep"), [self.tensor(node, source)]
            if isinstance(rest[0], slice) and rest[0].step is None and all(i == slice(None) for i in rest[1:]):
                start, stop = rest[0].start or 0, rest[0].stop
                if isinstance(start, int) and isinstance(stop, int) and (start >= 0) == (stop >= 0) and stop > start:
                    return Step(unit=f"Narrow<1, {start}, {stop - start}>"), [self.tensor(node, source)]
        self.refuse(node, "indexing other than x[:, -1] (LastStep) or x[:, a:b] (Narrow) is not supported")

    def expression(self, node, base):
        """The chain computing `node` from `base` (which is Identity)."""
        if node is base:
            return []
        if node is self.input:
            self.refuse(node, "internal: a value not computed from the cut before it")
        step, inputs = self.ops[node]
        if isinstance(step, Step) and step.combinator is not None:
            combined = Step(combinator=step.combinator, options=step.options,
                            operands=[self.expression(i, base) for i in inputs])
            return [combined]
        if node.op == "get_attr":
            return [step]
        before = self.expression(inputs[0], base)
        return before + ([step] if step is not None else [])

    def cut_chain(self, result):
        """Steps from the input to `result`, split at the cuts (see the module's comment)."""
        order = [n for n in self.graph.nodes if n is self.input or (n in self.ops and n.op != "get_attr")]
        position = {n: i for i, n in enumerate(order)}
        last_use = {}  # dead code (nodes not translated) does not keep a value live; the output does
        for n in order:
            users = [position[u] if u in position else len(order) for u in n.users if u in position or u.op == "output"]
            last_use[n] = max(users, default=-1)
        cuts, live = [self.input], set()
        for i, n in enumerate(order):
            live.add(n)
            live = {m for m in live if last_use[m] > i}
            if n is not self.input and live == {n} and self.ops[n][0] != "tuple":
                cuts.append(n)
            if n is result:
                break
        if cuts[-1] is not result:
            cuts.append(result)
        chain = []
        for before, after in zip(cuts, cuts[1:]):
            chain += self.expression(after, before)
        return chain

    def whole_lists(self, chain):
        """A ModuleList's items called one after the other, all and in order (`for layer in
        self.layers: x = layer(x)`), are one call of the list, which typenet holds as a Sequential."""
        out, i = [], 0
        while i < len(chain):
            step = chain[i]
            if step.combinator is not None:
                step = Step(combinator=step.combinator, options=step.options,
                            operands=[self.whole_lists(c) for c in step.operands])
            if step.call is None or "." not in step.call:
                out.append(step)
                i += 1
                continue
            owner = step.call.partition(".")[0]
            items = [f"{owner}.{k}" for k in range(len(self.children[owner]))]
            calls = [s.call for s in chain[i:i + len(items)]]
            if calls != items:
                raise PortError(self.path, self.module, f"its forward calls the items of the ModuleList `{owner}` "
                                f"otherwise than all of them in order, one after the other ({', '.join(items)}); "
                                "typenet holds it as a Sequential and calls it whole")
            out.append(Step(call=owner))
            i += len(items)
        return out

    def plain_chain(self):
        """The children called in registration order, each once, and nothing else: a Sequential."""
        names = [s.call for s in self.chain if s.call is not None]
        kept = [name for name, child in self.module._modules.items() if child is not None]
        return len(names) == len(self.chain) and names == kept and kept and not self.parameters
