"""Writes safetensors files from real PyTorch tensors for typenet's reader to check (CTest fixture).

Into OUTPUT_DIR:
  all_dtypes.safetensors        every dtype typenet reads, 0-dim and empty tensors, special values,
                                names needing escapes (\\uXXXX, surrogate pairs), non-ASCII metadata
  all_dtypes.expected.txt       what it holds, written from the torch tensors themselves
  variant.safetensors           the same tensors written differently: raw UTF-8, pretty-printed JSON,
                                header keys in another order than the data, extra fields, no padding
  variant.expected.txt
  model.safetensors             state_dict of Sequential(Conv2d(1,4,3), BatchNorm2d(4), Flatten,
                                Linear(144,3)) with random values, BatchNorm statistics included
  model.input.bin, model.output.bin   float32 input (2x1x8x8) and PyTorch's eval() output (2x3)

expected.txt: "metadata <hex key> <hex value>" lines, then one "tensor <hex name> <dtype> <shape>
<values...>" line per tensor in data order: hex is the UTF-8 bytes, shape is dims joined by 'x'
("()" for 0-dim), floats are float.hex() (exact) or inf/-inf/nan, integers and bools decimal.
Usage: safetensors_make.py OUTPUT_DIR
"""
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_reader  # noqa: E402
import safetensors_writer  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "reference"))
from make_reference import randomize  # noqa: E402

METADATA = {"format": "pt", "note \u00e9\u2603\U0001F600": "line\nbreak \"quoted\" back\\slash \u00e9\u2603\U0001F600"}


def all_dtype_tensors():
    g = torch.Generator().manual_seed(20240601)
    f32_special = [0.0, -0.0, math.inf, -math.inf, math.nan, 1e-45, 3.4028234663852886e38, 1 / 3, -2.5]
    return [
        ("f32.matrix", torch.randn(3, 4, generator=g)),
        ("f32.special", torch.tensor(f32_special, dtype=torch.float32)),
        ("f32.scalar", torch.tensor(2.75)),
        ("f64.values", torch.cat([torch.randn(5, generator=g, dtype=torch.float64),
                                  torch.tensor([5e-324, 1.7976931348623157e308, -0.0, math.nan, 0.1],
                                               dtype=torch.float64)]).reshape(2, 5)),
        ("f16.values", torch.cat([torch.randn(4, generator=g).half(),
                                  torch.tensor([65504.0, 6e-08, -math.inf, -0.0], dtype=torch.float16)])),
        ("bf16.values", torch.cat([torch.randn(4, generator=g).bfloat16(),
                                   torch.tensor([3.3895313892515355e38, 9.2e-41, math.inf, -1.0],
                                                dtype=torch.bfloat16)]).reshape(2, 2, 2)),
        ("i64.values", torch.tensor([-2 ** 63, 2 ** 63 - 1, 0, -1, 123456789012345], dtype=torch.int64)),
        ("i32.values", torch.tensor([[-2 ** 31, 2 ** 31 - 1], [0, -7]], dtype=torch.int32)),
        ("i16.values", torch.tensor([-2 ** 15, 2 ** 15 - 1, 300], dtype=torch.int16)),
        ("i8.values", torch.tensor([-128, 127, 0, -1], dtype=torch.int8)),
        ("u8.values", torch.tensor([0, 255, 128, 1], dtype=torch.uint8)),
        ("bool.values", torch.tensor([[True, False, True], [False, False, True]])),
        ("bn.num_batches_tracked", torch.tensor(7)),
        ("empty", torch.zeros(0, 3)),
        ("transposed", torch.arange(12, dtype=torch.float32).reshape(3, 4).t()),
        ("name with \"quotes\", back\\slash,\nnewline,\ttab and \x01", torch.tensor([1.5, -2.0])),
        ("unicode \u00e9\u2603\U0001F600", torch.tensor([4], dtype=torch.int16)),
    ]


def value_text(v, floating):
    if not floating:
        return str(int(v))
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return float(v).hex()


def write_expected(path, tensors, metadata):
    with open(path, "w") as f:
        for key, value in metadata.items():
            f.write(f"metadata {key.encode().hex()} {value.encode().hex()}\n")
        for name, t in tensors:
            shape = "x".join(map(str, t.shape)) if t.dim() else "()"
            floating = t.dtype.is_floating_point
            values = t.contiguous().reshape(-1).double().tolist() if floating else t.contiguous().reshape(-1).tolist()
            dtype = str(t.dtype).replace("torch.", "")
            f.write(" ".join(["tensor", name.encode().hex(), dtype, shape] + [value_text(v, floating) for v in values]))
            f.write("\n")


def same(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and torch.equal(a.double().nan_to_num(7.0), b.double().nan_to_num(7.0)) \
        and torch.equal(a.double().isnan(), b.double().isnan())


def check_round_trip(path, tensors, metadata):
    """The writer's files must satisfy the independent reader, or the fixture is worthless."""
    read, read_metadata, _ = safetensors_reader.read(path)
    assert read_metadata == metadata, (read_metadata, metadata)
    assert list(read.keys()) == [name for name, _ in tensors], path
    for name, t in tensors:
        assert same(read[name], t), name


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)

    tensors = all_dtype_tensors()
    safetensors_writer.write(os.path.join(out, "all_dtypes.safetensors"), tensors, metadata=METADATA)
    write_expected(os.path.join(out, "all_dtypes.expected.txt"), tensors, METADATA)
    check_round_trip(os.path.join(out, "all_dtypes.safetensors"), tensors, METADATA)

    variant = list(reversed(tensors))
    header_order = sorted(name for name, _ in tensors) + ["__metadata__"]
    safetensors_writer.write(os.path.join(out, "variant.safetensors"), variant, metadata=METADATA, ensure_ascii=False,
                             header_order=header_order, extra_fields=True, indent=1, pad_to=1)
    write_expected(os.path.join(out, "variant.expected.txt"), variant, METADATA)
    check_round_trip(os.path.join(out, "variant.safetensors"), variant, METADATA)

    g = torch.Generator().manual_seed(7)
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Flatten(),
                                torch.nn.Linear(4 * 6 * 6, 3))
    randomize(model, g)
    model.eval()
    x = torch.randn(2, 1, 8, 8, generator=g)
    with torch.no_grad():
        y = model(x)
    state = list(model.state_dict().items())
    safetensors_writer.write(os.path.join(out, "model.safetensors"), state, metadata={"format": "pt"})
    check_round_trip(os.path.join(out, "model.safetensors"), state, {"format": "pt"})
    x.numpy().astype("<f4").tofile(os.path.join(out, "model.input.bin"))
    y.numpy().astype("<f4").tofile(os.path.join(out, "model.output.bin"))
    print(f"wrote safetensors interop files to {out}")


if __name__ == "__main__":
    main()
