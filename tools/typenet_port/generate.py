"""The module tree as typenet types: layers spelled by layers.py, nn.Sequential as Sequential, any
other module as a Sequential of Named children (a forward that calls them in order) or a Block with
the Forward expression of its traced forward (graph.py).

Each class other than nn.Sequential gets a `using` alias named after it (BasicBlock, BasicBlock_2
for a second configuration), so the header reads like the Python source.
"""
import re

import torch
import torch.nn as nn

from .errors import PortError
from .graph import Forward, render
from .layers import LAYERS, layer_type, spell_layer

# Names `using namespace typenet` brings in: an alias must not hide one of them.
_TYPENET_NAMES = {"Sequential", "Named", "Block", "Forward", "Call", "CallAt", "Then", "Add", "Mul", "Cat",
                  "Identity", "Absent", "Parameter", "Residual", "Gate", "Concat", "Model", "Input", "Tokens",
                  "Flatten", "FlattenDims", "LastStep", "Mean", "Narrow", "Transpose", "LayerNorm2d",
                  "StochasticDepth", "Stream"} | {cls.__name__ for cls in LAYERS}


class Generator:
    def __init__(self, top):
        self.top = top      # the model's name, kept for the model itself
        self.aliases = []   # (name, definition, comment), children before parents
        self.by_definition = {}
        self.names = set()

    def alias(self, wanted, definition, comment, is_top=False):
        if definition in self.by_definition and not is_top:
            return self.by_definition[definition]
        name = re.sub(r"\W", "_", wanted)
        if name == self.top and not is_top:
            name += "_"
        if name in _TYPENET_NAMES:
            name += "Module"
        base, k = name, 2
        while name in self.names:
            name, k = f"{base}_{k}", k + 1
        self.names.add(name)
        self.by_definition[definition] = name
        self.aliases.append((name, definition, comment))
        return name

    def module(self, path, m, top_name=None):
        """The typenet type of module `m`, found at `path` of the model."""
        if layer_type(m) is not None:
            return spell_layer(path, m)
        if isinstance(m, nn.Sequential) and type(m).forward is nn.Sequential.forward:
            definition = self.sequential(path, m)
            return definition if top_name is None else self.alias(top_name, definition, "the model", True)
        if isinstance(m, nn.ModuleList):  # its parent's forward calls its items in order (graph.py checks)
            return self.sequential(path, m)
        if isinstance(m, nn.ModuleDict):
            raise PortError(path, m, "an nn.ModuleDict is not supported (its parent's forward picks items by name)")
        if type(m).__module__.startswith("torch.nn."):
            raise PortError(path, m, f"PyTorch's nn.{type(m).__name__} has no typenet layer (the README's layer table "
                                     "lists the layers typenet has and the options they take)")
        if type(m).forward is nn.Module.forward:
            raise PortError(path, m, "has no forward")
        buffers = [name for name, _ in m.named_buffers(recurse=False)]
        if buffers:
            raise PortError(path, m, f"registers buffers of its own ({', '.join(buffers)}), which typenet's Block "
                                     "does not hold")
        forward = Forward(path, m)
        children = []
        for name, p in m.named_parameters(recurse=False):
            children.append(f'Named<"{name}", Parameter<shape{{{", ".join(map(str, p.shape))}}}>>')
        for name, child in m._modules.items():
            if child is None:
                children.append(f'Named<"{name}", Absent>')
            else:
                children.append(f'Named<"{name}", {self.module(join(path, name), child)}>')
        if forward.plain_chain():
            definition = "Sequential<\n" + ",\n".join(indent(c) for c in children if not c.endswith(", Absent>")) + ">"
        else:
            definition = "Block<\n" + "".join(indent(c) + ",\n" for c in children)
            definition += "    Forward<" + render(forward.chain, margin="    ") + ">>"
        return self.alias(top_name or type(m).__name__, definition, describe(path, m), top_name is not None)

    def sequential(self, path, m):
        names = list(m._modules)
        positional = names == [str(i) for i in range(len(names))]
        items = []
        for name, child in m._modules.items():
            if child is None:
                raise PortError(join(path, name), None, "an nn.Sequential item set to None")
            spelled = self.module(join(path, name), child)
            items.append(spelled if positional else f'Named<"{name}", {spelled}>')
        one_line = "Sequential<" + ", ".join(items) + ">"
        if len(one_line) <= 100 and "\n" not in one_line:
            return one_line
        return "Sequential<\n" + ",\n".join(indent(i) for i in items) + ">"


def indent(text):
    return "\n".join("    " + line for line in text.split("\n"))


def join(path, name):
    return f"{path}.{name}" if path else name


def describe(path, m):
    return f"{type(m).__module__}.{type(m).__qualname__}" + (f", first at {path}" if path else "")


def port(model, name=None, namespace="ported", source=None):
    """The C++ header declaring `model` (an nn.Module) as the typenet type `namespace::name`."""
    model = model.eval()
    name = name or type(model).__name__
    gen = Generator(name)
    with torch.no_grad():
        top = gen.module("", model, top_name=name)
    if top != name:  # the model is a single layer, or its alias was deduplicated: name it anyway
        gen.aliases.append((name, top, "the model"))
    lines = ["// Generated by typenet-port" + (f" from {source}" if source else "") + ": the model as a typenet type.",
             "// Its state_dict keys, shapes and order are the PyTorch module's.",
             "//",
             f"//     typenet::Model<{namespace}::{name}, typenet::Input<...>> model;   // the per-sample input shape",
             "#pragma once",
             "",
             "#include <typenet/typenet.hpp>",
             "",
             f"namespace {namespace} {{",
             "",
             "using namespace typenet;",
             ""]
    for alias, definition, comment in gen.aliases:
        lines.append(f"// {comment}")
        lines.append(f"using {alias} = {definition};")
        lines.append("")
    lines.append(f"}}  // namespace {namespace}")
    return "\n".join(lines) + "\n"
