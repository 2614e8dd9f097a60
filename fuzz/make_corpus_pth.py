"""Writes the seed corpus of a .pth fuzz target from small checkpoints PyTorch writes here.

Usage: /usr/bin/python3 make_corpus_pth.py OUTPUT_DIR TARGET     (TARGET: zip_reader or unpickler)

zip_reader gets zip checkpoints (a state_dict, every dtype, views, a checkpoint dict, CUDA locations,
a buffer-saved archive, TorchScript, a deflated copy); unpickler gets the same objects' pickles
(each zip's data.pkl) and legacy checkpoints, whose storages follow the pickles unprotected by CRCs,
also in pickle protocols 3 and 4.
Models are tiny so that seeds stay under a few KiB and mutations reach every part of them.
"""
import collections
import io
import os
import pathlib
import sys
import zipfile

import torch

out, target = pathlib.Path(sys.argv[1]), sys.argv[2]
if target not in ("zip_reader", "unpickler"):
    sys.exit(f"make_corpus_pth.py: unknown target {target!r}; expected zip_reader or unpickler")
out.mkdir(parents=True, exist_ok=True)
torch.manual_seed(0)

linear = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
objects = {
    "state_dict": linear.state_dict(),
    "dtypes": collections.OrderedDict(
        (str(dtype).removeprefix("torch."), torch.tensor([1, 0], dtype=dtype))
        for dtype in (torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64, torch.int32,
                      torch.int16, torch.int8, torch.uint8, torch.bool)),
    "views": collections.OrderedDict([("base", base), ("t", base.t()), ("row", base[1]), ("x", base[2, 3]),
                                      ("wide", torch.zeros(1).expand(3)), ("p", torch.nn.Parameter(torch.ones(2)))]),
    "checkpoint": {"epoch": 5, "model_state_dict": linear.state_dict(), "lr": 0.001, "name": "adam", "best": None,
                   "ok": True, "shape": (1, 2), "history": [0.5, -1], "big": 2**70, "step": -3},
    "empty": collections.OrderedDict(),
}


def zip_bytes(obj):
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def legacy_bytes(obj):
    buffer = io.BytesIO()
    torch.save(obj, buffer, _use_new_zipfile_serialization=False)
    return buffer.getvalue()


seeds = {}
for name, obj in objects.items():
    archive = zip_bytes(obj)
    if target == "zip_reader":
        seeds[f"{name}.pth"] = archive
    else:
        with zipfile.ZipFile(io.BytesIO(archive)) as z:
            seeds[f"{name}.pkl"] = z.read("archive/data.pkl")
        seeds[f"{name}_legacy.pth"] = legacy_bytes(obj)

real_location_tag = torch.serialization.location_tag
torch.serialization.location_tag = lambda storage: "cuda:0"
try:
    seeds["cuda.pth" if target == "zip_reader" else "cuda_legacy.pth"] = (
        zip_bytes if target == "zip_reader" else legacy_bytes)(objects["state_dict"])
finally:
    torch.serialization.location_tag = real_location_tag

if target == "zip_reader":
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 1)), buffer)
    seeds["torchscript.pt"] = buffer.getvalue()
    deflated = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(seeds["state_dict.pth"])) as zin, \
            zipfile.ZipFile(deflated, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info.filename))
    seeds["deflated.pth"] = deflated.getvalue()
else:
    class Payload:
        def __reduce__(self):
            return os.system, ("true",)

    buffer = io.BytesIO()
    torch.save({"w": torch.zeros(1), "payload": Payload()}, buffer, _use_new_zipfile_serialization=False)
    seeds["payload_legacy.pth"] = buffer.getvalue()
    # Pickle protocol 4 (FRAME, MEMOIZE, STACK_GLOBAL, SHORT_BINUNICODE), bytes, and a complex storage
    # among the others.
    for name in ("state_dict", "checkpoint"):
        buffer = io.BytesIO()
        torch.save(objects[name], buffer, _use_new_zipfile_serialization=False, pickle_protocol=4)
        seeds[f"{name}_protocol4_legacy.pth"] = buffer.getvalue()
    buffer = io.BytesIO()
    torch.save({"model": objects["state_dict"], "note": b"bytes", "z": [torch.zeros(2, dtype=torch.complex64)]}, buffer,
               _use_new_zipfile_serialization=False, pickle_protocol=3)
    seeds["complex_protocol3_legacy.pth"] = buffer.getvalue()

for name, data in seeds.items():
    (out / name).write_bytes(data)
print(f"{len(seeds)} seeds for {target} in {out}, the largest {max(map(len, seeds.values()))} bytes")
