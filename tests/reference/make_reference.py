"""Writes reference data for typenet's parity tests, computed by PyTorch.

For every model in models.py: random parameters and buffers (fixed seed), a random batch of
inputs, and PyTorch's outputs in eval() mode, as raw little-endian files:
  <name>.keys.txt     one state_dict entry per line: key, dtype, shape (comma-separated; empty for 0-dim)
  <name>.state.bin    the entries' values in that order, each in its dtype (float32, or int64)
  <name>.input.bin    float32 input, BATCH samples
  <name>.output.bin   float32 output of the float32 model
  <name>.output64.bin float64 output of the same model and input converted to float64
Usage: make_reference.py OUTPUT_DIR
"""
import os
import sys

import torch

from models import MODELS

BATCH = 3


def randomize(model, generator):
    """Non-trivial values everywhere, BatchNorm statistics included (a fresh BatchNorm is the identity)."""
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if tensor.dtype == torch.int64:
                tensor.fill_(7)
            elif name.endswith("running_var"):
                tensor.copy_(0.5 + torch.rand(tensor.shape, generator=generator))
            elif name.endswith("running_mean"):
                tensor.copy_(0.2 * torch.randn(tensor.shape, generator=generator))
            else:
                fan_in = tensor[0].numel() if tensor.dim() > 1 else 1
                tensor.copy_(torch.randn(tensor.shape, generator=generator) / fan_in ** 0.5)


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(1)
    for index, (name, (factory, input_shape)) in enumerate(MODELS.items()):
        generator = torch.Generator().manual_seed(1000 + index)
        model = factory()
        randomize(model, generator)
        model.eval()
        x = torch.randn((BATCH,) + input_shape, generator=generator)
        with torch.no_grad():
            y = model(x)
            y64 = model.double()(x.double())
        state = model.float().state_dict()
        with open(os.path.join(out_dir, name + ".keys.txt"), "w") as keys:
            for key, tensor in state.items():
                keys.write(f"{key} {str(tensor.dtype).replace('torch.', '')} {','.join(map(str, tensor.shape))}\n")
        with open(os.path.join(out_dir, name + ".state.bin"), "wb") as f:
            for tensor in state.values():
                f.write(tensor.contiguous().numpy().astype(tensor.numpy().dtype.newbyteorder("<")).tobytes())
        x.numpy().astype("<f4").tofile(os.path.join(out_dir, name + ".input.bin"))
        y.numpy().astype("<f4").tofile(os.path.join(out_dir, name + ".output.bin"))
        y64.numpy().astype("<f8").tofile(os.path.join(out_dir, name + ".output64.bin"))
    print(f"wrote reference data for {len(MODELS)} models to {out_dir}")


if __name__ == "__main__":
    main()
