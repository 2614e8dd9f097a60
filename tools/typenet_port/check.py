"""--check: the generated type, compiled with random weights, against PyTorch.

For each case: the module's state_dict (its random parameters, random BatchNorm statistics) is saved
with torch.save; one C++ program holds every case's type, writes its compile-time state_dict (key,
shape, dtype), loads the file strictly, runs a random batch of 2 and writes the outputs. The keys
must be PyTorch's, in order, and the outputs PyTorch's within 1e-5 of their scale (the largest
magnitude). Several cases share one program, so one compilation serves them all.
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch

BATCH = 2
TOLERANCE = 1e-5


@dataclass
class Case:
    name: str           # the C++ type's name in `namespace`
    namespace: str
    header: str         # port()'s output
    model: torch.nn.Module
    input_shape: tuple  # per sample
    tokens: int = None  # the input is int64 token ids below this
    error: float = None  # set by the check: the largest difference relative to the output's scale


def default_include():
    """typenet's include directory: in the source tree (tools/typenet_port/../../include) or
    installed (share/typenet/python/typenet_port/../../../../include)."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parents[1] / "include", here.parents[3] / "include"):
        if (candidate / "typenet" / "typenet.hpp").is_file():
            return str(candidate)
    return None


def randomize(model, seed):
    """Running statistics that are not 0 and 1; the parameters are the module's own (random)."""
    torch.manual_seed(seed)
    for key, t in model.state_dict().items():
        if key.endswith("running_mean"):
            t.copy_(torch.randn_like(t) * 0.1)
        elif key.endswith("running_var"):
            t.copy_(torch.rand_like(t) + 0.5)


def write_values(path, tensor):
    t = tensor.detach().contiguous().flatten()
    fmt = "q" if t.dtype == torch.int64 else "f"
    Path(path).write_bytes(struct.pack(f"<{t.numel()}{fmt}", *t.tolist()))


def read_floats(path):
    data = Path(path).read_bytes()
    return list(struct.unpack(f"<{len(data) // 4}f", data))


def program(cases):
    lines = ["// Written by typenet-port --check: each case's keys, then its outputs on the saved input.",
             "#include <cstring>", "#include <exception>", "#include <fstream>", "#include <iostream>",
             "#include <iterator>", "#include <memory>", "#include <string>", "#include <vector>", "",
             "#include <typenet/typenet.hpp>", ""]
    lines += [f'#include "case{i}.hpp"' for i in range(len(cases))]
    lines += ["", "namespace {", "",
              "template <class M>",
              "void run(const std::string& stem) {",
              "    {",
              '        std::ofstream keys(stem + ".keys.txt");',
              "        for (const typenet::state_entry& e : M::state_dict)",
              "            keys << e.key << ' ' << typenet::to_string(e.shape) << ' ' << typenet::torch_name(e.dtype) << '\\n';",
              "    }",
              "    auto model = std::make_unique<M>();",
              '    typenet::load_state_dict(*model, stem + ".pth");',
              f"    auto x = std::make_unique<typename M::template batch_input_type<{BATCH}>>();",
              f"    auto y = std::make_unique<typename M::template batch_output_type<{BATCH}>>();",
              '    std::ifstream in(stem + ".input.bin", std::ios::binary);',
              "    const std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};",
              "    if (bytes.size() != sizeof(x->data()[0]) * x->size)",
              '        throw std::runtime_error("the input file holds " + std::to_string(bytes.size()) + " bytes, not the input\'s");',
              "    std::memcpy(x->data(), bytes.data(), bytes.size());",
              "    model->forward(*x, *y);",
              '    std::ofstream out(stem + ".output.bin", std::ios::binary);',
              "    out.write(reinterpret_cast<const char*>(y->data()), std::streamsize(sizeof(float) * y->size));",
              "}", "", "}  // namespace", "",
              "int main(int argc, char** argv) {",
              '    if (argc != 2) { std::cerr << "usage: check DIR\\n"; return 2; }',
              "    const std::string dir = argv[1];",
              "    int status = 0;"]
    for i, c in enumerate(cases):
        dims = ", ".join(map(str, c.input_shape))
        shape = f"typenet::Tokens<{dims}>" if c.tokens else f"typenet::Input<{dims}>"
        lines += ["    try {",
                  f'        run<typenet::Model<{c.namespace}::{c.name}, {shape}, float, {BATCH}>>(dir + "/case{i}");',
                  "    } catch (const std::exception& e) {",
                  f'        std::cerr << "case{i} ({c.namespace}::{c.name}): " << e.what() << \'\\n\';',
                  "        status = 1;",
                  "    }"]
    lines += ["    return status;", "}"]
    return "\n".join(lines) + "\n"


def compare(case, stem):
    """The keys and outputs of one case; returns a list of problems (empty: it matches)."""
    expected_keys = [f"{k} [{', '.join(map(str, t.shape))}] {t.dtype}" for k, t in case.model.state_dict().items()]
    keys_file = Path(stem + ".keys.txt")
    actual_keys = keys_file.read_text().splitlines() if keys_file.exists() else []
    problems = []
    if actual_keys != expected_keys:
        for k, (a, e) in enumerate(zip(actual_keys + ["(none)"] * len(expected_keys), expected_keys + ["(none)"] * len(actual_keys))):
            if a != e:
                problems.append(f"state_dict entry {k}: typenet has `{a}`, PyTorch `{e}`")
                break
        problems.append(f"{len(actual_keys)} entries in typenet, {len(expected_keys)} in PyTorch")
    out_file = Path(stem + ".output.bin")
    if not out_file.exists():
        return problems + ["the program wrote no output (see its message above)"]
    actual = read_floats(out_file)
    expected = torch.load(stem + ".expected.pt").flatten().tolist()
    if len(actual) != len(expected):
        return problems + [f"typenet gave {len(actual)} output values, PyTorch {len(expected)}"]
    scale = max((abs(v) for v in expected), default=0.0)
    diff = max((abs(a - e) for a, e in zip(actual, expected)), default=0.0)
    if diff != diff:
        diff = float("inf")
    error = diff / scale if scale > 0 else diff
    case.error = error
    if not error <= TOLERANCE:
        problems.append(f"outputs differ: max |difference| {diff:.3g}, {error:.3g} of the output's scale {scale:.3g} "
                        f"(tolerance {TOLERANCE:g})")
    return problems


def default_flags(cxx):
    """-O1: the program runs once."""
    return ["-O1"]


def check(cases, cxx=None, cxxflags=None, include=None, work_dir=None):
    """Checks every case in one compiled program; prints one line per case; True if all match."""
    include = include or default_include()
    if include is None:
        sys.exit("typenet-port: cannot find typenet's include directory; give --include")
    cxx = cxx or os.environ.get("CXX") or "g++"
    if shutil.which(cxx) is None:
        sys.exit(f"typenet-port: no C++ compiler {cxx!r} for --check; give --cxx")
    cxxflags = default_flags(cxx) if cxxflags is None else cxxflags
    work = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix="typenet-port-"))
    work.mkdir(parents=True, exist_ok=True)
    for i, c in enumerate(cases):
        for path, m in c.model.named_modules():
            if getattr(m, "batch_first", True) is False:  # recurrent layers, attention
                print(f"typenet-port --check: note: {c.name}.{path} takes time first (batch_first=False); the check "
                      "gives PyTorch the batch first, as typenet takes it, so their outputs may differ for that alone")
        stem = str(work / f"case{i}")
        (work / f"case{i}.hpp").write_text(c.header)
        model = c.model.eval()
        randomize(model, seed=i)
        torch.save(model.state_dict(), stem + ".pth")
        torch.manual_seed(1000 + i)
        if c.tokens:
            x = torch.randint(0, c.tokens, (BATCH,) + tuple(c.input_shape), dtype=torch.int64)
        else:
            x = torch.randn((BATCH,) + tuple(c.input_shape))
        write_values(stem + ".input.bin", x)
        try:
            with torch.no_grad():
                y = model(x)
        except Exception as e:
            sys.exit(f"typenet-port: PyTorch's own forward fails on a random input of shape {list(x.shape)} "
                     f"(--input-shape is per sample): {type(e).__name__}: {e}")
        if not isinstance(y, torch.Tensor):
            sys.exit(f"typenet-port: {c.name} returned a {type(y).__name__}, not a tensor")
        torch.save(y.float(), stem + ".expected.pt")
        for suffix in (".keys.txt", ".output.bin"):
            Path(stem + suffix).unlink(missing_ok=True)
    (work / "check.cpp").write_text(program(cases))
    exe = work / "check"
    command = [cxx, "-std=c++20", *cxxflags, "-I", include, "-I", str(work), str(work / "check.cpp"), "-o", str(exe)]
    start = time.time()
    compiled = subprocess.run(command)
    if compiled.returncode != 0:
        print(f"typenet-port --check: the generated type did not compile ({' '.join(command)})", file=sys.stderr)
        return False
    print(f"typenet-port --check: compiled {len(cases)} case(s) in {time.time() - start:.1f} s")
    subprocess.run([str(exe), str(work)])
    ok = True
    for i, c in enumerate(cases):
        problems = compare(c, str(work / f"case{i}"))
        if problems:
            ok = False
            print(f"FAIL {c.namespace}::{c.name}: " + "; ".join(problems))
        else:
            print(f"ok   {c.namespace}::{c.name}: {len(c.model.state_dict())} state_dict entries match PyTorch's; "
                  f"outputs within {c.error:.2g} of their scale (tolerance {TOLERANCE:g})")
    if ok and not work_dir:
        shutil.rmtree(work)
    return ok
