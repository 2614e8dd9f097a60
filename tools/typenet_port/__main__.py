"""typenet-port: writes the typenet type of a PyTorch module, and optionally checks it.

    typenet-port --module models.py:SimpleMNISTModel --args '{"num_classes": 10}' -o model.hpp
    typenet-port --torchvision resnet18 -o resnet18.hpp --check --input-shape 3,64,64
"""
import argparse
import ast
import importlib.util
import json
import sys
from pathlib import Path

from .errors import PortError
from .generate import port


def load_module(spec, args_text):
    """`path/to/file.py:ClassName` constructed with `args_text`: a JSON or Python literal, a dict of
    keyword arguments or a list of positional ones."""
    file, _, cls = spec.rpartition(":")
    if not file or not cls:
        sys.exit(f"typenet-port: --module wants path/to/file.py:ClassName, got {spec!r}")
    loader = importlib.util.spec_from_file_location(Path(file).stem, file)
    if loader is None:
        sys.exit(f"typenet-port: cannot import {file}")
    sys.path.insert(0, str(Path(file).resolve().parent))
    mod = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(mod)
    if not hasattr(mod, cls):
        sys.exit(f"typenet-port: {file} has no {cls}")
    args = parse_args(args_text)
    return (getattr(mod, cls)(**args) if isinstance(args, dict) else getattr(mod, cls)(*args)), cls


def parse_args(text):
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            sys.exit(f"typenet-port: --args is neither JSON nor a Python literal: {text!r}")
    if not isinstance(value, (dict, list, tuple)):
        value = [value]
    return value


def main(argv=None):
    p = argparse.ArgumentParser(prog="typenet-port", description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--module", metavar="FILE.py:CLASS", help="a class in a Python file")
    source.add_argument("--torchvision", metavar="NAME", help="a torchvision model (random weights, nothing downloaded)")
    p.add_argument("--args", default="", help="constructor arguments: a JSON or Python literal, dict (keywords) or list")
    p.add_argument("--name", help="the C++ type's name (default: the class name, or the torchvision model's)")
    p.add_argument("--namespace", default="ported", help="the C++ namespace (default: ported)")
    p.add_argument("-o", "--output", help="the header to write (default: standard output)")
    p.add_argument("--check", action="store_true",
                   help="compile the type with random weights and compare its outputs with PyTorch's")
    p.add_argument("--input-shape", help="per-sample input shape for --check, e.g. 1,28,28")
    p.add_argument("--tokens", type=int, metavar="N", help="for --check: the input is int64 token ids below N")
    p.add_argument("--cxx", default=None, help="C++ compiler for --check (default: $CXX or g++)")
    p.add_argument("--cxxflags", help="flags for --check's compiler (default: -O1, enough for a program run once)")
    p.add_argument("--include", help="typenet's include directory (default: found next to this tool)")
    p.add_argument("--work-dir", help="where --check writes its files (default: a temporary directory)")
    a = p.parse_args(argv)

    import torch
    torch.manual_seed(0)  # the random parameters --check uses, the same from run to run
    if a.module:
        model, name = load_module(a.module, a.args)
        source_text = f"{a.module}({a.args})" if a.args else a.module
    else:
        import torchvision.models
        if not hasattr(torchvision.models, a.torchvision):
            sys.exit(f"typenet-port: torchvision.models has no {a.torchvision}")
        args = parse_args(a.args)
        kwargs = dict(args) if isinstance(args, dict) else {}
        model = getattr(torchvision.models, a.torchvision)(weights=None, **kwargs)
        name = a.torchvision
        source_text = f"torchvision.models.{a.torchvision}({a.args})"
    name = a.name or name
    try:
        header = port(model, name=name, namespace=a.namespace, source=source_text)
    except PortError as e:
        print(f"typenet-port: cannot express {source_text}: {e}", file=sys.stderr)
        return 2
    if a.output:
        Path(a.output).parent.mkdir(parents=True, exist_ok=True)
        Path(a.output).write_text(header)
    elif not a.check:
        sys.stdout.write(header)
    if not a.check:
        return 0
    if not a.input_shape:
        sys.exit("typenet-port: --check needs --input-shape (the per-sample shape, e.g. 1,28,28)")
    from .check import Case, check
    shape = tuple(int(s) for s in a.input_shape.split(","))
    case = Case(name=name, namespace=a.namespace, header=header, model=model, input_shape=shape, tokens=a.tokens)
    flags = a.cxxflags.split() if a.cxxflags is not None else None
    return 0 if check([case], cxx=a.cxx, cxxflags=flags, include=a.include, work_dir=a.work_dir) else 1


if __name__ == "__main__":
    sys.exit(main())
