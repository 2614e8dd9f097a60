"""Writes what every peer of the benchmark loads, computed by PyTorch (run it with /usr/bin/python3).

For each model of model_zoo.MODELS: parameters and BatchNorm statistics randomised with a fixed
seed (make_reference.randomize, as the parity tests do), then, in OUTPUT_DIR,
  <name>.pth         torch.save(model.state_dict()), which typenet loads
  <name>.pt          TorchScript (torch.jit.trace) of the eval() model, for LibTorch's torch::jit::load
  <name>.onnx        the same model for ONNX Runtime (batch dimension dynamic)
  <name>.input.bin   random inputs, float32 little-endian: as many samples as the model's largest
                     batch (64 for the small models, 16 for the 224x224 ones)
  <name>.output.bin  PyTorch's float32 outputs for them: every peer is checked against these
  <name>.flops.txt   FLOPs per image (model_zoo.count_flops), checked against the C++ count
plus trivial.onnx (one ReLU on 16 values), with which the ONNX Runtime script measures the cost
of a call from Node, and manifest.json describing it all, each model's (batch, threads)
configurations included.
Usage: make_weights.py OUTPUT_DIR
"""
import json
import os
import sys

import torch
import torch.nn as nn

import model_zoo
from make_reference import randomize  # tests/reference/make_reference.py, on the path via model_zoo

SEED = 20240601
OPSET = 13


def write_state(model, path_prefix):
    torch.save(model.state_dict(), path_prefix + ".pth")


def relative_error(actual, expected):
    scale = expected.abs().max().item()
    diff = (actual - expected).abs().max().item()
    return diff / scale if scale > 0 else diff


def export_onnx(model, example, path):
    torch.onnx.export(model, example, path, opset_version=OPSET, do_constant_folding=True,
                      input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(1)
    manifest = {"seed": SEED, "torch_version": torch.__version__, "opset": OPSET, "models": []}
    for index, (name, entry) in enumerate(model_zoo.MODELS.items()):
        factory, input_shape = entry.factory, entry.input_shape
        batch = model_zoo.max_batch(entry)
        generator = torch.Generator().manual_seed(SEED + index)
        model = factory()
        randomize(model, generator)
        model.eval()
        x = torch.randn((batch,) + input_shape, generator=generator)
        prefix = os.path.join(out_dir, name)
        with torch.no_grad():
            y = model(x)
            traced = torch.jit.trace(model, x[:1])
            # The trace is taken on one sample; it must hold for the whole batch too.
            if relative_error(traced(x), y) > 1e-6:
                sys.exit(f"make_weights.py: the TorchScript trace of {name} differs from the model")
            exportable = model_zoo.onnx_exportable(factory(), input_shape)
            exportable.load_state_dict(model.state_dict())
            exportable.eval()
            if relative_error(exportable(x), y) > 1e-6:
                sys.exit(f"make_weights.py: the ONNX-exportable form of {name} differs from the model")
        write_state(model, prefix)
        traced.save(prefix + ".pt")
        export_onnx(exportable, x[:1], prefix + ".onnx")
        x.numpy().astype("<f4").tofile(prefix + ".input.bin")
        y.numpy().astype("<f4").tofile(prefix + ".output.bin")
        flops = model_zoo.count_flops(model, input_shape)
        with open(prefix + ".flops.txt", "w") as f:
            f.write(f"{flops}\n")
        manifest["models"].append({
            "name": name, "title": entry.title, "input_shape": list(input_shape), "output_shape": list(y.shape[1:]),
            "configurations": [{"batch": b, "threads": t} for b, t in entry.configurations], "samples": batch,
            "flops_per_image": flops, "parameters": sum(p.numel() for p in model.parameters()),
        })
        print(f"{name}: {flops / 1e6:.3f} MFLOP per image, "
              f"{manifest['models'][-1]['parameters']} parameters")

    # The cheapest possible call: what Node and onnxruntime-node add to every session.run.
    export_onnx(nn.Sequential(nn.ReLU()).eval(), torch.zeros(1, 16), os.path.join(out_dir, "trivial.onnx"))
    manifest["trivial"] = {"file": "trivial.onnx", "input_shape": [16]}
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    print(f"wrote weights, TorchScript and ONNX files of {len(model_zoo.MODELS)} models to {out_dir}")


if __name__ == "__main__":
    main()
