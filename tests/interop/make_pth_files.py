"""Writes the PyTorch checkpoints the .pth reader is tested on, with PyTorch itself, into OUT_DIR.

Usage: make_pth_files.py OUT_DIR   (run with a Python that has torch: Debian's /usr/bin/python3)

For each checkpoint NAME.pth whose tensors the tests check, NAME.manifest lists one tensor a line,
    key dtype shape stride storage_offset storage_group values_offset values_length
(shape and stride comma-separated, "-" when empty), and NAME.values holds each tensor's elements in
row-major order as raw little-endian bytes at [values_offset, values_offset + values_length).
storage_group numbers storages within the file: tensors with the same number share one.
A checkpoint dict also gets NAME.top_level: one "key<TAB>description" line per top-level key, the
description made from the Python value by describe() below (the rules typenet follows).
Damaged files (a missing record, a short storage) are real checkpoints rewritten with zipfile.
"""
import collections
import io
import os
import pickle
import pathlib
import sys
import zipfile

import torch

out = pathlib.Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
torch.manual_seed(0)

DTYPE_NAMES = {torch.float32: "float32", torch.float64: "float64", torch.float16: "float16",
               torch.bfloat16: "bfloat16", torch.int64: "int64", torch.int32: "int32", torch.int16: "int16",
               torch.int8: "int8", torch.uint8: "uint8", torch.bool: "bool"}


def raw_bytes(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: the same 16 bits as int16
        t = t.view(torch.int16)
    data = t.numpy().tobytes()
    assert sys.byteorder == "little" or t.element_size() == 1, "the expected values are little-endian"
    return data


def dims(values):
    return ",".join(str(v) for v in values) or "-"


def write_expected(name, state_dict):
    lines, values, groups = [], bytearray(), {}
    for key, t in state_dict.items():
        group = groups.setdefault(t.storage().data_ptr(), len(groups))
        data = raw_bytes(t)
        lines.append(f"{key} {DTYPE_NAMES[t.dtype]} {dims(t.shape)} {dims(t.stride())} {t.storage_offset()} "
                     f"{group} {len(values)} {len(data)}")
        values += data
    (out / f"{name}.manifest").write_text("\n".join(lines) + "\n")
    (out / f"{name}.values").write_bytes(bytes(values))


def describe(value):
    """What typenet says a top-level value is."""
    def count(n, one, many):
        return f"{n} {one if n == 1 else many}"
    if value is None:
        return "None"
    if isinstance(value, bool):
        return f"bool {value}"
    if isinstance(value, int):
        return f"int {value}"
    if isinstance(value, float):
        return f"float {value!r}"
    if isinstance(value, str):
        return f"str '{value}'"
    if isinstance(value, torch.Tensor):
        return f"tensor {DTYPE_NAMES[value.dtype]} [{', '.join(str(d) for d in value.shape)}]"
    if isinstance(value, dict):
        if value and all(isinstance(v, torch.Tensor) for v in value.values()):
            return f"dict of {count(len(value), 'tensor', 'tensors')}"
        return f"dict ({count(len(value), 'entry', 'entries')})"
    if isinstance(value, tuple):
        return f"tuple ({count(len(value), 'item', 'items')})"
    if isinstance(value, list):
        return f"list ({count(len(value), 'item', 'items')})"
    raise TypeError(type(value))


def save_both(name, obj):
    """The zip format (NAME.pth) and the legacy one (NAME_legacy.pth)."""
    torch.save(obj, out / f"{name}.pth")
    torch.save(obj, out / f"{name}_legacy.pth", _use_new_zipfile_serialization=False)


def rewrite_zip(source, target, change):
    """Copies a zip checkpoint entry by entry; change(name, data) returns new data, or None to drop it."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info.filename))
            if data is not None:
                zout.writestr(info.filename, data)


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.features = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU())
        self.classifier = torch.nn.Linear(4 * 6 * 6, 3)

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


model = Model()
model(torch.randn(2, 1, 8, 8))  # BatchNorm's running statistics and num_batches_tracked move off their defaults
state = model.state_dict()

# Every dtype, with values at the edges of each type; a 0-dim tensor; an empty one.
special = torch.tensor([0.0, -0.0, 1.0, -2.5, float("inf"), float("-inf"), float("nan"), 65504.0, 1e-7, 3.0e38])
dtypes = collections.OrderedDict([
    ("float32", torch.cat([special, torch.randn(6)]).reshape(4, 4)),
    ("float64", torch.cat([special.double(), torch.randn(2, dtype=torch.float64) / 3])),
    ("float16", special.half()),
    ("bfloat16", special.bfloat16()),
    ("int64", torch.tensor([0, 1, -1, 2**62, -2**63, 2**63 - 1, 123456789012345])),
    ("int32", torch.tensor([0, -1, 2**31 - 1, -2**31, 77], dtype=torch.int32)),
    ("int16", torch.tensor([[0, -1], [32767, -32768]], dtype=torch.int16)),
    ("int8", torch.tensor([0, -1, 127, -128, 5], dtype=torch.int8)),
    ("uint8", torch.arange(0, 256, 15, dtype=torch.uint8)),
    ("bool", torch.tensor([True, False, False, True, True])),
    ("scalar", torch.tensor(42, dtype=torch.int64)),
    ("empty", torch.zeros(0, 3)),
])
save_both("dtypes", dtypes)
write_expected("dtypes", dtypes)
write_expected("dtypes_legacy", dtypes)

# Views of one storage: transposes, slices with offsets, a 0-dim element, a broadcast (stride 0), the
# same tensor twice, and a Parameter.
base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
views = collections.OrderedDict([
    ("base", base),
    ("transposed", base.t()),
    ("row", base[2]),
    ("column", base[:, 1]),
    ("block", base[1:3, 2:5]),
    ("strided", base[::2, ::3]),
    ("element", base[3, 4]),
    ("again", base),
    ("broadcast", torch.arange(3, dtype=torch.int32).reshape(3, 1).expand(3, 4)),
    ("parameter", torch.nn.Parameter(torch.linspace(-1, 1, 5, dtype=torch.float64))),
])
save_both("views", views)
write_expected("views", views)
write_expected("views_legacy", views)

# A training checkpoint: the state_dict among ints, floats, strings, None, lists, tuples and dicts.
optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
model(torch.randn(2, 1, 8, 8)).sum().backward()
optimizer.step()
checkpoint = {
    "epoch": 5,
    "model_state_dict": state,
    "optimizer_state_dict": optimizer.state_dict(),
    "metrics": {"loss": 0.25, "accuracy": [0.5, 0.75]},
    "optimizer": "adam",
    "lr": 0.001,
    "best": None,
    "finished": True,
    "input_shape": (1, 8, 8),
    "history": [1.5, 0.5],
    "step": -3,
}
save_both("checkpoint", checkpoint)
for name in ("checkpoint", "checkpoint_legacy"):
    write_expected(name, state)
    (out / f"{name}.top_level").write_text("".join(f"{k}\t{describe(v)}\n" for k, v in checkpoint.items()))

# nn.DataParallel prefixes every key with "module." (it needs no GPU to wrap a model).
parallel = torch.nn.DataParallel(model).state_dict()
assert all(key.startswith("module.") for key in parallel)
torch.save(parallel, out / "dataparallel.pth")
write_expected("dataparallel", parallel)

# Saved from a GPU: this torch has no CUDA, so the storages' location tag is made to say so, which is
# all torch.save records about the device.
real_location_tag = torch.serialization.location_tag
torch.serialization.location_tag = lambda storage: "cuda:0"
try:
    save_both("cuda", state)
finally:
    torch.serialization.location_tag = real_location_tag
with zipfile.ZipFile(out / "cuda.pth") as z:
    assert b"cuda:0" in z.read("cuda/data.pkl") and b"cpu" not in z.read("cuda/data.pkl")
assert b"cuda:0" in (out / "cuda_legacy.pth").read_bytes()
write_expected("cuda", state)
write_expected("cuda_legacy", state)

# Saved to a buffer, so the top folder is "archive/", then written under another name.
buffer = io.BytesIO()
torch.save(state, buffer)
(out / "renamed.pth").write_bytes(buffer.getvalue())
with zipfile.ZipFile(out / "renamed.pth") as z:
    assert z.namelist()[0].startswith("archive/")
write_expected("renamed", state)

# Older zip files keep the version record in .data/version.
rewrite_zip(out / "dataparallel.pth", out / "data_version.pth",
            lambda name, data: data if not name.endswith("/version") else None)
with zipfile.ZipFile(out / "data_version.pth", "a", zipfile.ZIP_STORED) as z:
    z.writestr("dataparallel/.data/version", b"3\n")
write_expected("data_version", parallel)

# A small checkpoint for the damage tests (truncation at every byte, corrupted zip fields).
small = collections.OrderedDict([("weight", torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])),
                                 ("bias", torch.tensor([0.5, -0.5])),
                                 ("steps", torch.tensor(3))])
save_both("small", small)
write_expected("small", small)
write_expected("small_legacy", small)

# Legacy files whose sys_info says little_endian: False. PyTorch's legacy writer always writes
# storages little-endian (the size and the bytes), and torch.load never reads sys_info, so the file
# holds the same bytes as small_legacy.pth but for that flag, and torch.load reads the same values.
real_byteorder = sys.byteorder
sys.byteorder = "big"
try:
    torch.save(small, out / "small_big_endian_legacy.pth", _use_new_zipfile_serialization=False)
finally:
    sys.byteorder = real_byteorder
with open(out / "small_big_endian_legacy.pth", "rb") as f:
    sys_info = [pickle.load(f) for _ in range(3)][2]
assert sys_info["little_endian"] is False, sys_info
assert all(torch.equal(a, b) for a, b in zip(torch.load(out / "small_big_endian_legacy.pth").values(), small.values()))
write_expected("small_big_endian_legacy", small)

# Pickle protocols 3 to 5 (torch.save's pickle_protocol): protocol 4 frames the stream and uses
# SHORT_BINUNICODE, MEMOIZE and STACK_GLOBAL; 3 adds bytes objects (SHORT_BINBYTES); 5 writes what 4
# does here (its out-of-band buffers need a buffer_callback, which torch.save does not pass).
for protocol in (3, 4, 5):
    small_with_bytes = {"model": small, "note": b"raw bytes"}
    torch.save(small, out / f"small_protocol{protocol}.pth", pickle_protocol=protocol)
    torch.save(small, out / f"small_protocol{protocol}_legacy.pth", pickle_protocol=protocol,
               _use_new_zipfile_serialization=False)
    torch.save(small_with_bytes, out / f"checkpoint_protocol{protocol}_legacy.pth", pickle_protocol=protocol,
               _use_new_zipfile_serialization=False)
    for name in (f"small_protocol{protocol}", f"small_protocol{protocol}_legacy", f"checkpoint_protocol{protocol}_legacy"):
        write_expected(name, small)
        assert (out / f"{name}.pth").read_bytes()[:2] in (bytes([0x80, protocol]), b"PK")


# A legacy file with complex tensors next to the state_dict: each legacy storage is its element count
# then its bytes, so reading the others needs the complex storages' true element size (8 and 16
# bytes). Storages are written in the order of their keys (pointer-like numbers, sorted as strings),
# so the file is saved again until a complex storage comes before one of the state_dict's.
def legacy_storage_order(path):
    """The storage classes of a legacy file, in the order its storages are written."""
    types = {}

    class Reader(pickle.Unpickler):
        def persistent_load(self, pid):
            types[pid[2]] = pid[1]
            return None

        def find_class(self, module, name):
            if module == "torch._utils":
                return lambda *args: None
            return super().find_class(module, name)

    with open(path, "rb") as f:
        for _ in range(3):
            pickle.load(f)
        Reader(f).load()
        keys = pickle.load(f)
    return [types[k].__name__ for k in keys]


for attempt in range(100):
    extra = [torch.arange(3.0).to(torch.complex64) * (1 + 2j) for _ in range(4)] + \
            [torch.ones(2, dtype=torch.complex128) for _ in range(4)]
    torch.save({"model": small, "extra": extra}, out / "complex_legacy.pth", _use_new_zipfile_serialization=False)
    order = legacy_storage_order(out / "complex_legacy.pth")
    first_complex = min(i for i, name in enumerate(order) if name.startswith("Complex"))
    if any(not name.startswith("Complex") for name in order[first_complex:]):
        break
else:
    raise RuntimeError("no complex storage came before a state_dict storage in 100 attempts")
loaded = torch.load(out / "complex_legacy.pth")
assert all(torch.equal(a, b) for a, b in zip(loaded["model"].values(), small.values()))
write_expected("complex_legacy", small)

# What typenet must refuse, made by PyTorch:
torch.jit.save(torch.jit.script(model), out / "torchscript.pt")
torch.save({"real": torch.zeros(2, dtype=torch.complex64)}, out / "complex.pth")
torch.save({1: torch.zeros(2)}, out / "int_key.pth")
torch.save({"model": {7: torch.zeros(2)}}, out / "nested_int_key.pth")


class Payload:
    def __reduce__(self):  # unpickling would run os.system("touch <marker>")
        return os.system, (f"touch {out / 'payload_ran'}",)


torch.save({"weight": torch.zeros(2), "payload": Payload()}, out / "payload.pth")

# A storage record missing: small.pth without small/data/1 (the storage of "bias").
rewrite_zip(out / "small.pth", out / "missing_record.pth",
            lambda name, data: None if name == "small/data/1" else data)
# A storage record shorter than its persistent id says: small/data/0 cut to 8 of its 24 bytes.
rewrite_zip(out / "small.pth", out / "short_record.pth",
            lambda name, data: data[:8] if name == "small/data/0" else data)


# A storage shorter than the tensor viewing it: the persistent id of "weight"'s storage says 2
# elements instead of 6 (BININT1 6 -> 2, right after the location 'cpu'), and the record holds 2.
def shrink_weight_storage(name, data):
    if name == "small/data.pkl":
        pattern = b"X\x01\x00\x00\x000q\x06X\x03\x00\x00\x00cpuq\x07K\x06"
        assert data.count(pattern) == 1, "the pickle of small.pth changed; update this pattern"
        return data.replace(pattern, pattern[:-1] + b"\x02")
    return data[:8] if name == "small/data/0" else data


rewrite_zip(out / "small.pth", out / "short_storage.pth", shrink_weight_storage)
print(f"wrote the .pth test files to {out}")
