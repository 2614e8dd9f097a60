"""Writes the seed corpus of the `safetensors` fuzz target: small real safetensors files made from
PyTorch tensors (every dtype, 0-dim and empty tensors, metadata, escaped and raw UTF-8 names,
pretty-printed headers with extra fields) and a few JSON documents for the JSON reader.
Seeds stay small (under 2 KiB) so that libFuzzer's mutations reach every part of them.
Usage: /usr/bin/python3 make_corpus_safetensors.py OUTPUT_DIR
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "interop"))
import safetensors_writer  # noqa: E402


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    g = torch.Generator().manual_seed(1)
    linear = torch.nn.Linear(3, 2)
    bn = torch.nn.BatchNorm1d(2)
    small_model = list(linear.state_dict().items()) + [("bn." + k, v) for k, v in bn.state_dict().items()]
    every_dtype = [
        ("f32", torch.randn(2, generator=g)), ("f64", torch.randn(1, dtype=torch.float64, generator=g)),
        ("f16", torch.randn(2, generator=g).half()), ("bf16", torch.randn(2, generator=g).bfloat16()),
        ("i64", torch.tensor([-1, 2 ** 40])), ("i32", torch.tensor([7], dtype=torch.int32)),
        ("i16", torch.tensor([-3], dtype=torch.int16)), ("i8", torch.tensor([-4], dtype=torch.int8)),
        ("u8", torch.tensor([250], dtype=torch.uint8)), ("bool", torch.tensor([True, False])),
        ("scalar", torch.tensor(5)), ("empty", torch.zeros(0, 2)),
    ]
    odd_names = [("name \"q\" \\ \n \u00e9\u2603\U0001F600", torch.ones(1)), ("", torch.zeros(1, 1))]
    seeds = {
        "empty_header.safetensors": safetensors_writer.encode([]),
        "metadata_only.safetensors": safetensors_writer.encode([], metadata={"format": "pt"}),
        "small_model.safetensors": safetensors_writer.encode(small_model, metadata={"format": "pt"}),
        "every_dtype.safetensors": safetensors_writer.encode(every_dtype),
        "odd_names_escaped.safetensors": safetensors_writer.encode(odd_names, metadata={"k\u00e9": "v\U0001F600"}),
        "odd_names_raw.safetensors": safetensors_writer.encode(odd_names, ensure_ascii=False, pad_to=1),
        "pretty_extra_fields.safetensors": safetensors_writer.encode(
            every_dtype[:3], metadata={"format": "pt"}, extra_fields=True, indent=1,
            header_order=["f16", "__metadata__", "f64", "f32"]),
        "document.json": b'{"a": [1, -2.5e-3, true, false, null, "x\\u00e9\\ud83d\\ude00", {"b": {}}], "c": 18446744073709551615}',
        "nested.json": b"[[[[{\"k\": [[[]]]}]]]]",
        "strings.json": '["\\" \\\\ \\/ \\b \\f \\n \\r \\t", "\u00e9\u2603\U0001F600"]'.encode(),
    }
    for name, data in seeds.items():
        assert len(data) < 2048, name
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(seeds)} seeds to {out}")


if __name__ == "__main__":
    main()
