"""An independent safetensors reader, written from the format's description (not from typenet's
code), to check the files typenet writes. It enforces every rule itself and raises
SafetensorsError saying which one a file breaks.

Rules: u64 little-endian header length N, N <= 100,000,000 and within the file; the header is
UTF-8 JSON, starts with '{', is one object, may be followed by whitespace; no duplicate keys
anywhere; "__metadata__", if present, maps strings to strings; every other key maps to
{"dtype", "shape", "data_offsets"} with a known dtype, non-negative integer dims and two offsets
begin <= end; sorted by offset the tensors start at 0 and are back to back; end - begin ==
product(shape) * dtype size; the last tensor ends at the end of the file.
"""
import json
import math

import numpy
import torch

MAX_HEADER = 100_000_000

# name -> (element size, torch dtype or None, numpy dtype for types torch 1.13 lacks)
DTYPES = {
    "BOOL": (1, torch.bool, None), "U8": (1, torch.uint8, None), "I8": (1, torch.int8, None),
    "I16": (2, torch.int16, None), "U16": (2, None, "<u2"), "F16": (2, torch.float16, None),
    "BF16": (2, torch.bfloat16, None), "I32": (4, torch.int32, None), "U32": (4, None, "<u4"),
    "F32": (4, torch.float32, None), "F64": (8, torch.float64, None), "I64": (8, torch.int64, None),
    "U64": (8, None, "<u8"), "F8_E4M3": (1, None, "u1"), "F8_E5M2": (1, None, "u1"),
}
TORCH_TO_NAME = {v[1]: k for k, v in DTYPES.items() if v[1] is not None}


class SafetensorsError(ValueError):
    pass


def _unique_pairs(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise SafetensorsError(f"duplicate key {key!r} in a JSON object")
        seen[key] = value
    return seen


def _reject_constant(name):
    raise SafetensorsError(f"{name} is not JSON")


def _check_strings(value, depth=0):
    """Python's json accepts lone surrogate escapes (\\ud800); they are not Unicode text."""
    if depth > 1000:
        raise SafetensorsError("JSON nested too deeply")
    items = []
    if isinstance(value, str):
        items = [value]
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_strings(k, depth + 1)
            _check_strings(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            _check_strings(v, depth + 1)
    for s in items:
        try:
            s.encode("utf-8")
        except UnicodeEncodeError as e:
            raise SafetensorsError(f"string with a lone surrogate: {s!r}") from e


def _uint(value, what):
    if type(value) is not int or value < 0 or value >= 2 ** 64:
        raise SafetensorsError(f"{what} must be an integer in [0, 2^64), got {value!r}")
    return value


def parse(data):
    """Returns (header_length, header_keys_in_order, metadata or None, entries sorted by offset):
    entries are (name, dtype name, shape, begin, end), offsets relative to the data buffer."""
    if len(data) < 8:
        raise SafetensorsError("file shorter than 8 bytes")
    n = int.from_bytes(data[:8], "little")
    if n > MAX_HEADER:
        raise SafetensorsError(f"header length {n} > {MAX_HEADER}")
    if 8 + n > len(data):
        raise SafetensorsError(f"header length {n} runs past the end of the file ({len(data)} bytes)")
    try:
        text = data[8:8 + n].decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        raise SafetensorsError(f"header is not UTF-8: {e}") from e
    if not text.startswith("{"):
        raise SafetensorsError("header does not start with '{'")
    try:
        header = json.loads(text, object_pairs_hook=_unique_pairs, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise SafetensorsError(f"header is not JSON: {e}") from e
    except RecursionError as e:
        raise SafetensorsError("JSON nested too deeply") from e
    if not isinstance(header, dict):
        raise SafetensorsError("header is not a JSON object")
    _check_strings(header)

    metadata = None
    entries = []
    for name, info in header.items():
        if name == "__metadata__":
            if not isinstance(info, dict) or not all(isinstance(v, str) for v in info.values()):
                raise SafetensorsError("__metadata__ must be an object of strings")
            metadata = info
            continue
        if not isinstance(info, dict):
            raise SafetensorsError(f"{name!r}: entry is not an object")
        for field in ("dtype", "shape", "data_offsets"):
            if field not in info:
                raise SafetensorsError(f"{name!r}: no {field}")
        dtype = info["dtype"]
        if dtype not in DTYPES:
            raise SafetensorsError(f"{name!r}: unknown dtype {dtype!r}")
        if not isinstance(info["shape"], list):
            raise SafetensorsError(f"{name!r}: shape is not a list")
        shape = [_uint(d, f"{name!r} dimension") for d in info["shape"]]
        offsets = info["data_offsets"]
        if not isinstance(offsets, list) or len(offsets) != 2:
            raise SafetensorsError(f"{name!r}: data_offsets is not [begin, end]")
        begin, end = (_uint(o, f"{name!r} offset") for o in offsets)
        if end < begin:
            raise SafetensorsError(f"{name!r}: end < begin")
        nbytes = math.prod(shape) * DTYPES[dtype][0]
        if nbytes >= 2 ** 64:
            raise SafetensorsError(f"{name!r}: size overflows 64 bits")
        if end - begin != nbytes:
            raise SafetensorsError(f"{name!r}: {end - begin} bytes for {nbytes} needed by {dtype} {shape}")
        entries.append((name, dtype, shape, begin, end))

    entries.sort(key=lambda e: (e[3], e[4]))
    position = 0
    for name, _, _, begin, end in entries:
        if begin != position:
            raise SafetensorsError(f"{name!r}: begins at {begin}, expected {position} (gap or overlap)")
        position = end
    if 8 + n + position != len(data):
        raise SafetensorsError(f"tensors end at data offset {position}, the data is {len(data) - 8 - n} bytes")
    return n, list(header.keys()), metadata, entries


def read(path):
    """Returns (tensors, metadata, info): tensors an ordered dict name -> torch tensor (numpy array
    for dtypes torch lacks) in data order; info has the header length and key order."""
    with open(path, "rb") as f:
        data = f.read()
    n, keys, metadata, entries = parse(data)
    tensors = {}
    start = 8 + n
    for name, dtype, shape, begin, end in entries:
        size, torch_dtype, numpy_dtype = DTYPES[dtype]
        raw = bytearray(data[start + begin:start + end])
        if torch_dtype is None:
            tensors[name] = numpy.frombuffer(raw, dtype=numpy_dtype).reshape(shape)
        elif end == begin:
            tensors[name] = torch.empty(shape, dtype=torch_dtype)
        else:
            tensors[name] = torch.frombuffer(raw, dtype=torch_dtype).reshape(shape).clone()
    return tensors, metadata, {"header_length": n, "keys": keys}
