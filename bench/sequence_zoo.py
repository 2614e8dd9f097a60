"""The sequence models of the benchmark suite and the data every peer loads for them, computed by
PyTorch (run it with /usr/bin/python3). typenet_step_bench (step_latency.cpp) runs typenet and
LibTorch on them, bench_ort.js ONNX Runtime; report.py's "Sequence models" table shows all three.

The models (MODELS below), parameters randomised with a fixed seed (make_reference.randomize, as
make_weights.py does):
  gru_32, gru_128, lstm_32, lstm_128   nn.GRU / nn.LSTM(H, H, batch_first=True), one layer: one time
                                       step with the state carried (batch 1), and a whole sequence
                                       of STEPS steps from a zero state
  transformer_encoder                  nn.TransformerEncoder(nn.TransformerEncoderLayer(128, 4,
                                       batch_first=True), 2): PyTorch's defaults otherwise
                                       (dim_feedforward 2048, relu, post-norm, no final norm), in
                                       eval() (dropout off); sequence 64, batch 1 and 16
Written to OUTPUT_DIR, for each model NAME:
  NAME.pth         torch.save(state_dict), which typenet loads (LibTorch's recurrent modules get the
                   same values from typenet's copy, key by key)
  NAME.pt          TorchScript of the eval() encoder (torch.jit.trace under no_grad, so it records
                   PyTorch's fused inference kernel, aten::_transformer_encoder_layer_fwd), for
                   LibTorch; transformer_encoder only
  NAME.onnx        for ONNX Runtime. A recurrent model takes x [1, T, H] (T dynamic), h0 [1, 1, H]
                   (and c0) and returns y [1, T, H], h_n (and c_n): the state goes in and out, so
                   one step at a time is x of one step with the last call's h_n (c_n) fed back.
                   The encoder takes [batch, 64, 128] (batch dynamic).
  NAME.input.bin   random inputs, float32 little-endian: [1, STEPS, H], or [16, 64, 128]
  NAME.output.bin  PyTorch's outputs for them (the recurrent ones from a zero state): every peer is
                   checked against these before it is timed, the per-step runs against the first
                   CHECKED_STEPS steps
and manifest.json describing it all.
Usage: sequence_zoo.py OUTPUT_DIR
"""
import json
import os
import sys
import warnings
from collections import OrderedDict, namedtuple

import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
from make_reference import randomize  # noqa: E402  (tests/reference/make_reference.py)

# torch.onnx 1.13 warns about the recurrent layers' batch size (the state is an input here, as it
# asks) and about shape inference of constants: nothing to act on, and noise in every build.
warnings.filterwarnings("ignore", category=UserWarning, module=r"torch\.onnx")

SEED = 20261130
OPSET = 13
STEPS = 1000          # the whole-sequence rows of the recurrent models
CHECKED_STEPS = 50    # steps run one at a time and compared with PyTorch before the per-step timing
SEQUENCE = 64         # the encoder's sequence length
ENCODER_BATCHES = (1, 16)

# kind: "gru", "lstm" or "transformer"; size: hidden size (= input size), or d_model.
Model = namedtuple("Model", "title kind size")

# name -> Model. The order is the table's; step_latency.cpp registers the same names.
MODELS = OrderedDict([
    ("gru_32", Model("GRU, hidden 32", "gru", 32)),
    ("gru_128", Model("GRU, hidden 128", "gru", 128)),
    ("lstm_32", Model("LSTM, hidden 32", "lstm", 32)),
    ("lstm_128", Model("LSTM, hidden 128", "lstm", 128)),
    ("transformer_encoder", Model("TransformerEncoder, 2 layers, d_model 128, 4 heads, feedforward 2048",
                                  "transformer", 128)),
])


class Recurrent(nn.Module):
    """nn.GRU or nn.LSTM with its state as explicit inputs and outputs, for the ONNX export (the
    module's own state_dict keys: weight_ih_l0, ...)."""

    def __init__(self, kind, size):
        super().__init__()
        self.lstm = kind == "lstm"
        self.rnn = (nn.LSTM if self.lstm else nn.GRU)(size, size, batch_first=True)

    def forward(self, x, h0, c0=None):
        if self.lstm:
            y, (h, c) = self.rnn(x, (h0, c0))
            return y, h, c
        y, h = self.rnn(x, h0)
        return y, h


def encoder():
    layer = nn.TransformerEncoderLayer(128, 4, batch_first=True)
    return nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)


def relative_error(actual, expected):
    scale = expected.abs().max().item()
    diff = (actual - expected).abs().max().item()
    return diff / scale if scale > 0 else diff


def write_recurrent(name, entry, generator, prefix):
    module = Recurrent(entry.kind, entry.size)
    randomize(module.rnn, generator)
    module.eval()
    size = entry.size
    x = torch.randn((1, STEPS, size), generator=generator)
    zero = torch.zeros(1, 1, size)
    state = (zero, zero) if entry.kind == "lstm" else (zero,)
    with torch.no_grad():
        y = module(x, *state)[0]
        # One step at a time gives the same outputs: what the per-step rows are checked against.
        steps, carried = [], state
        for t in range(CHECKED_STEPS):
            out = module(x[:, t:t + 1], *carried)
            steps.append(out[0])
            carried = out[1:]
        if relative_error(torch.cat(steps, 1), y[:, :CHECKED_STEPS]) > 1e-5:
            sys.exit(f"sequence_zoo.py: {name} one step at a time differs from the whole sequence")
    torch.save(module.rnn.state_dict(), prefix + ".pth")
    lstm = entry.kind == "lstm"
    torch.onnx.export(module, (x[:, :1],) + state, prefix + ".onnx", opset_version=OPSET,
                      input_names=["x", "h0"] + (["c0"] if lstm else []),
                      output_names=["y", "h_n"] + (["c_n"] if lstm else []),
                      dynamic_axes={"x": {1: "steps"}, "y": {1: "steps"}})
    x.numpy().astype("<f4").tofile(prefix + ".input.bin")
    y.numpy().astype("<f4").tofile(prefix + ".output.bin")
    return {"input_shape": [1, STEPS, size], "output_shape": list(y.shape), "steps": STEPS,
            "checked_steps": CHECKED_STEPS, "state_inputs": ["h0", "c0"] if lstm else ["h0"]}


def write_encoder(name, generator, prefix):
    model = encoder()
    randomize(model, generator)
    model.eval()
    batch = max(ENCODER_BATCHES)
    x = torch.randn((batch, SEQUENCE, 128), generator=generator)
    with torch.no_grad():
        y = model(x)
        traced = torch.jit.trace(model, x[:1])
        if relative_error(traced(x), y) > 1e-5:
            sys.exit(f"sequence_zoo.py: the TorchScript trace of {name} differs from the model")
    torch.save(model.state_dict(), prefix + ".pth")
    traced.save(prefix + ".pt")
    torch.onnx.export(model, x[:1], prefix + ".onnx", opset_version=OPSET, do_constant_folding=True,
                      input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    x.numpy().astype("<f4").tofile(prefix + ".input.bin")
    y.numpy().astype("<f4").tofile(prefix + ".output.bin")
    return {"input_shape": [SEQUENCE, 128], "output_shape": [SEQUENCE, 128], "batches": list(ENCODER_BATCHES)}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: sequence_zoo.py OUTPUT_DIR")
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(1)
    manifest = {"seed": SEED, "torch_version": torch.__version__, "opset": OPSET, "models": []}
    for index, (name, entry) in enumerate(MODELS.items()):
        generator = torch.Generator().manual_seed(SEED + index)
        prefix = os.path.join(out_dir, name)
        if entry.kind == "transformer":
            details = write_encoder(name, generator, prefix)
        else:
            details = write_recurrent(name, entry, generator, prefix)
        manifest["models"].append({"name": name, "title": entry.title, "kind": entry.kind, "size": entry.size,
                                   **details})
    # The cheapest possible call, as in make_weights.py: what Node and onnxruntime-node add to
    # every session.run, which a single time step mostly is.
    torch.onnx.export(nn.Sequential(nn.ReLU()).eval(), torch.zeros(1, 16), os.path.join(out_dir, "trivial.onnx"),
                      opset_version=OPSET, input_names=["input"], output_names=["output"])
    manifest["trivial"] = {"file": "trivial.onnx", "input_shape": [16]}
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    print(f"wrote the weights, TorchScript and ONNX files of {len(MODELS)} sequence models to {out_dir}")


if __name__ == "__main__":
    main()
