"""A safetensors writer written from the format's description, so that the tests have files made
outside typenet (Hugging Face's `safetensors` package is not installable here).

write(path, tensors, ...) lays the tensors out back to back in the order given; the options vary
what a valid file may look like (escaped or raw UTF-8 names, key order in the header, extra
fields, pretty-printed JSON), so that typenet's reader sees more than one writer's habits.
"""
import json

import torch

from safetensors_reader import TORCH_TO_NAME


def tensor_bytes(t):
    """Row-major little-endian bytes of a tensor of any dtype (the machine is little-endian)."""
    t = t.detach().contiguous().reshape(-1)
    if t.dtype == torch.bool:
        t = t.to(torch.uint8)
    return t.view(torch.uint8).numpy().tobytes()


def encode(tensors, metadata=None, ensure_ascii=True, header_order=None, extra_fields=False, indent=None,
           pad_to=8):
    """tensors: list of (name, torch tensor) in data order. header_order: names (and
    "__metadata__") in the order the header lists them; data order by default."""
    entries = {}
    blobs = []
    offset = 0
    for name, t in tensors:
        blob = tensor_bytes(t)
        info = {"dtype": TORCH_TO_NAME[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        if extra_fields:
            # Fields a reader must skip: nested values of every JSON kind, and a different field order.
            info = {"data_offsets": info["data_offsets"], "note": {"a": [1, -2.5e-3, True, None, "x\u00e9"], "b": {}},
                    "shape": info["shape"], "dtype": info["dtype"], "z": 0.5}
        entries[name] = info
        blobs.append(blob)
        offset += len(blob)
    if metadata is not None:
        entries["__metadata__"] = metadata
    order = header_order if header_order is not None else (
        (["__metadata__"] if metadata is not None else []) + [name for name, _ in tensors])
    header = {key: entries[key] for key in order}
    text = json.dumps(header, ensure_ascii=ensure_ascii, indent=indent).encode("utf-8")
    text += b" " * ((pad_to - len(text) % pad_to) % pad_to)
    return len(text).to_bytes(8, "little") + text + b"".join(blobs)


def write(path, tensors, **options):
    with open(path, "wb") as f:
        f.write(encode(tensors, **options))
