"""Checks the safetensors files typenet wrote (tests/safetensors.cpp, "[typenet_writes]") with the
independent reader and PyTorch: names, order, dtypes, shapes and values, and that PyTorch's model
with those weights computes what typenet computed. First it checks that the reader itself refuses
broken files, so that its approval means something.

Values are given by formulas that tests/safetensors.cpp uses too (see there):
  parameter k of the state_dict, element i:  ((7 i + 3 k) % 23 - 11) / 16
  running_var:                               0.5 + ((5 i + k) % 7) / 8
  num_batches_tracked:                       7
  input, sample s, element j:                ((5 j + 11 s) % 17 - 8) / 8
Usage: safetensors_check.py DIR (the directory typenet wrote into)
"""
import json
import os
import sys

import numpy
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_reader import SafetensorsError, parse, read  # noqa: E402
from typenet_fingerprint import fingerprint  # noqa: E402

failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print("FAIL:", what)


def small_file(header, data=b"", pad=True, raw_header=None):
    text = raw_header if raw_header is not None else json.dumps(header).encode()
    if pad:
        text += b" " * ((8 - len(text) % 8) % 8)
    return len(text).to_bytes(8, "little") + text + data


def check_reader_refuses_broken_files():
    t = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
    check(parse(small_file({"a": t}, bytes(8)))[3][0][0] == "a", "reader accepts a valid file")
    broken = {
        "duplicate names": small_file(None, bytes(16), raw_header=b'{"a":' + json.dumps(t).encode() + b',"a":'
                                      + json.dumps(dict(t, data_offsets=[8, 16])).encode() + b"}"),
        "gap": small_file({"a": t, "b": dict(t, data_offsets=[12, 20])}, bytes(20)),
        "overlap": small_file({"a": t, "b": dict(t, data_offsets=[4, 12])}, bytes(12)),
        "first offset not 0": small_file({"a": dict(t, data_offsets=[4, 12])}, bytes(12)),
        "size mismatch": small_file({"a": dict(t, shape=[3])}, bytes(8)),
        "trailing bytes": small_file({"a": t}, bytes(9)),
        "missing bytes": small_file({"a": t}, bytes(7)),
        "shape overflow": small_file({"a": dict(t, shape=[2 ** 40, 2 ** 40], data_offsets=[0, 0])}),
        "unknown dtype": small_file({"a": dict(t, dtype="F31")}, bytes(8)),
        "metadata not strings": small_file({"__metadata__": {"x": 1}, "a": t}, bytes(8)),
        "invalid UTF-8": small_file(None, bytes(8), raw_header=b'{"\xc3\x28":' + json.dumps(t).encode() + b"}"),
        "lone surrogate": small_file(None, bytes(8), raw_header=b'{"\\ud800":' + json.dumps(t).encode() + b"}"),
        "leading space": small_file(None, bytes(8), raw_header=b' {"a":' + json.dumps(t).encode() + b"}"),
        "header past the end": (1000).to_bytes(8, "little") + b"{}",
        "header over the limit": (100_000_001).to_bytes(8, "little") + b"{}",
        "NaN": small_file(None, bytes(8), raw_header=b'{"a":' + json.dumps(dict(t, x=float("nan"))).encode() + b"}"),
    }
    for name, data in broken.items():
        try:
            parse(data)
            check(False, f"reader refuses a file with {name}")
        except SafetensorsError:
            pass


def parameter_value(k, i):
    return ((7 * i + 3 * k) % 23 - 11) / 16


def expected_state(model):
    state = {}
    for k, (name, t) in enumerate(model.state_dict().items()):
        if t.dtype == torch.int64:
            state[name] = torch.tensor(7)
        elif name.endswith("running_var"):
            state[name] = torch.tensor([0.5 + ((5 * i + k) % 7) / 8 for i in range(t.numel())]).reshape(t.shape)
        else:
            state[name] = torch.tensor([parameter_value(k, i) for i in range(t.numel())]).reshape(t.shape)
    return state


def check_model_file(directory, suffix, dtype, dtype_name):
    path = os.path.join(directory, f"typenet_model{suffix}.safetensors")
    tensors, metadata, info = read(path)
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Flatten(),
                                torch.nn.Linear(4 * 6 * 6, 3)).to(dtype)
    reference = model.state_dict()
    expected_metadata = {"format": "pt", "typenet.fingerprint": fingerprint(reference)}
    check(metadata == expected_metadata, f"{path}: metadata is {expected_metadata}, got {metadata}")
    check((8 + info["header_length"]) % 8 == 0, f"{path}: header padded to a multiple of 8")
    check(info["keys"] == ["__metadata__"] + list(reference.keys()), f"{path}: header keys in state_dict order")
    check(list(tensors.keys()) == list(reference.keys()), f"{path}: data in state_dict order")
    expected = expected_state(model)
    for name, t in reference.items():
        got = tensors.get(name)
        if got is None:
            continue
        check(got.dtype == t.dtype, f"{path}: {name} dtype {got.dtype}, PyTorch's is {t.dtype} ({dtype_name})")
        check(got.shape == t.shape, f"{path}: {name} shape {tuple(got.shape)}, PyTorch's is {tuple(t.shape)}")
        check(got.dtype == t.dtype and torch.equal(got, expected[name].to(t.dtype)), f"{path}: {name} values")
    model.load_state_dict(tensors, strict=True)
    model.eval()

    numpy_dtype = "<f4" if dtype == torch.float32 else "<f8"
    x = torch.from_numpy(numpy.fromfile(os.path.join(directory, f"typenet_model{suffix}.input.bin"), numpy_dtype))
    expected_x = torch.tensor([((5 * j + 11 * s) % 17 - 8) / 8 for s in range(2) for j in range(64)], dtype=dtype)
    check(torch.equal(x, expected_x), f"{path}: the input typenet used is the formula's")
    y_typenet = torch.from_numpy(numpy.fromfile(os.path.join(directory, f"typenet_model{suffix}.output.bin"),
                                                numpy_dtype)).reshape(2, 3)
    with torch.no_grad():
        y = model(x.reshape(2, 1, 8, 8))
    error = ((y - y_typenet).abs().max() / y.abs().max()).item()
    tolerance = 1e-5 if dtype == torch.float32 else 1e-12
    check(error <= tolerance, f"{path}: typenet's output matches PyTorch's with these weights (error {error:.3g})")


def check_tensors_file(directory):
    path = os.path.join(directory, "typenet_tensors.safetensors")
    tensors, metadata, info = read(path)
    ramp = [i * 0.25 - 1.5 for i in range(6)]
    odd_name = "quote \" backslash \\ newline \n tab \t bell \x07 \u00e9\u2603\U0001F600"
    expected = {
        "f32": torch.tensor(ramp, dtype=torch.float32).reshape(2, 3),
        "f64": torch.tensor(ramp[:3], dtype=torch.float64),
        "f16": torch.tensor(ramp[:4], dtype=torch.float16).reshape(2, 2),
        "bf16": torch.tensor(ramp[:4], dtype=torch.bfloat16),
        "i64": torch.tensor([-2 ** 63, 2 ** 63 - 1, 42], dtype=torch.int64),
        "i32": torch.tensor([-2 ** 31, 2 ** 31 - 1], dtype=torch.int32),
        "i16": torch.tensor([-2 ** 15, 2 ** 15 - 1], dtype=torch.int16),
        "i8": torch.tensor([-128, 127], dtype=torch.int8),
        "u8": torch.tensor([0, 255, 7], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True]),
        "scalar": torch.tensor(9, dtype=torch.int64),
        "empty": torch.zeros(0, 3),
        odd_name: torch.tensor([1], dtype=torch.int64),
    }
    check(metadata == {"format": "pt", "source": "typenet \u00e9"}, f"{path}: metadata, got {metadata}")
    check((8 + info["header_length"]) % 8 == 0, f"{path}: header padded to a multiple of 8")
    check(info["keys"] == ["__metadata__"] + list(expected.keys()), f"{path}: header keys in the order written")
    check(list(tensors.keys()) == list(expected.keys()), f"{path}: data in the order written")
    for name, want in expected.items():
        got = tensors.get(name)
        ok = got is not None and got.dtype == want.dtype and got.shape == want.shape and torch.equal(got, want)
        check(ok, f"{path}: tensor {name!r}: want {want.dtype} {tuple(want.shape)} {want.tolist()}, got "
                  f"{None if got is None else (got.dtype, tuple(got.shape), got.tolist())}")


def main():
    directory = sys.argv[1]
    check_reader_refuses_broken_files()
    check_model_file(directory, "", torch.float32, "F32")
    check_model_file(directory, "64", torch.float64, "F64")
    check_tensors_file(directory)
    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)
    print("typenet's safetensors files are valid and hold what PyTorch expects")


if __name__ == "__main__":
    main()
