"""Writes reference data for typenet's parity tests, computed by PyTorch.

For every model in models.py: random parameters and buffers (fixed seed; then the model's own
after_randomize() method, if it has one, may adjust them), saved as torch.save saves them, a random
batch of inputs and PyTorch's outputs in eval() mode:
  <name>.pth            torch.save(model.state_dict()), the zip format
  <name>.legacy.pth     the same in the legacy format (_use_new_zipfile_serialization=False)
  <name>.input.bin      float32 input, BATCH samples, raw little-endian (int64 token ids for a
                        model with a `vocabulary` attribute)
  <name>.output.bin     float32 output of the float32 model
  <name>.output64.bin   float64 output of the same model and input converted to float64
  <name>.mask.bin       for a model with a `padding_mask` attribute (bool [BATCH, positions]): the
                        key padding mask it is called with, one byte per position (1 = padding); a
                        model's own check_reference(x, y), if it has one, then checks what it says
For the models in VARIANTS, files a loader meets in the wild, each with the output PyTorch computes
from exactly the values the file holds (<file>.output.bin):
  <name>.float64.pth, .float16.pth, .bfloat16.pth   the state_dict converted to that dtype
  <name>.checkpoint.pth   {'epoch', 'model_state_dict', 'optimizer_state_dict', 'metrics'}
  <name>.dataparallel.pth nn.DataParallel(model).state_dict(): keys prefixed with "module."
  <name>.views.pth        every tensor a non-contiguous view or a slice of a storage shared with
                          other tensors
  <name>.cuda.pth         storages tagged 'cuda:0', as a GPU checkpoint is (written here by making
                          torch tag CPU storages so: this PyTorch has no CUDA)
Usage: make_reference.py OUTPUT_DIR
"""
import os
import sys

import torch
import torch.nn as nn
import torch.serialization

from models import MODELS

BATCH = 3
VARIANTS = ["simple_mnist_batch_norm", "conv_rect_dilation_groups_nobias", "batch_norm1d"]


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


def output_of(factory, state_dict, x):
    """PyTorch's float32 output for a model holding exactly these values."""
    model = factory()
    model.load_state_dict({k: v.to(torch.float32) if v.is_floating_point() else v for k, v in state_dict.items()})
    model.eval()
    with torch.no_grad():
        return model(x)


def views_of(state_dict):
    """The same values, each tensor a view: transposed storages for matrices, and everything else
    as slices at offsets of one shared storage."""
    out = {}
    shared = torch.cat([v.flatten().to(torch.float32) for v in state_dict.values() if v.dim() < 2 and v.is_floating_point()] +
                       [torch.zeros(1)])
    offset = 0
    for key, v in state_dict.items():
        if v.dim() >= 2:
            # A column-major copy: contiguous after a transpose of the last two dimensions, not before.
            out[key] = v.transpose(-1, -2).contiguous().transpose(-1, -2)
            assert not out[key].is_contiguous()
        elif v.is_floating_point():
            out[key] = shared[offset:offset + v.numel()].view(v.shape)
            offset += v.numel()
        else:
            out[key] = v
    return out


def save_cuda_tagged(state_dict, path):
    original = torch.serialization.location_tag
    torch.serialization.location_tag = lambda storage: "cuda:0"
    try:
        torch.save(state_dict, path)
    finally:
        torch.serialization.location_tag = original


def write_variants(out_dir, name, factory, model, x):
    state = model.state_dict()
    files = {}
    for dtype in (torch.float64, torch.float16, torch.bfloat16):
        converted = {k: v.to(dtype) if v.is_floating_point() else v for k, v in state.items()}
        files[f"{str(dtype)[6:]}"] = (converted, lambda sd, p: torch.save(sd, p))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    checkpoint = {"epoch": 5, "model_state_dict": state, "optimizer_state_dict": optimizer.state_dict(),
                  "metrics": {"accuracy": 0.91, "losses": [0.5, 0.25], "note": "best", "extra": None}}
    files["checkpoint"] = (checkpoint, lambda sd, p: torch.save(sd, p))
    files["dataparallel"] = (nn.DataParallel(model).state_dict(), lambda sd, p: torch.save(sd, p))
    files["views"] = (views_of(state), lambda sd, p: torch.save(sd, p))
    files["cuda"] = (state, save_cuda_tagged)
    for suffix, (obj, save) in files.items():
        path = os.path.join(out_dir, f"{name}.{suffix}.pth")
        save(obj, path)
        sd = obj["model_state_dict"] if suffix == "checkpoint" else obj
        sd = {k[len("module."):] if k.startswith("module.") else k: v for k, v in sd.items()}
        output_of(factory, sd, x).numpy().astype("<f4").tofile(path + ".output.bin")
    # The file really says cuda:0.
    with open(os.path.join(out_dir, f"{name}.cuda.pth"), "rb") as f:
        assert b"cuda:0" in f.read()


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(1)
    for index, (name, (factory, input_shape)) in enumerate(MODELS.items()):
        generator = torch.Generator().manual_seed(1000 + index)
        model = factory()
        randomize(model, generator)
        if hasattr(model, "after_randomize"):  # a model's own adjustment of its random values
            model.after_randomize()
        model.eval()
        if hasattr(model, "vocabulary"):  # token ids, int64
            x = torch.randint(0, model.vocabulary, (BATCH,) + input_shape, generator=generator)
        else:
            x = torch.randn((BATCH,) + input_shape, generator=generator)
        mask = getattr(model, "padding_mask", None)
        masks = () if mask is None else (mask,)
        with torch.no_grad():
            y = model(x, *masks)
            y64 = factory().double().eval()
            y64.load_state_dict(model.state_dict())
            y64 = y64(x.double() if x.is_floating_point() else x, *masks)
        if mask is not None:
            assert mask.dtype == torch.bool and mask.shape[0] == BATCH, name
            mask.numpy().astype("u1").tofile(os.path.join(out_dir, name + ".mask.bin"))
        if hasattr(model, "check_reference"):
            model.check_reference(x, y)
        torch.save(model.state_dict(), os.path.join(out_dir, name + ".pth"))
        torch.save(model.state_dict(), os.path.join(out_dir, name + ".legacy.pth"), _use_new_zipfile_serialization=False)
        input_type = "<f4" if x.is_floating_point() else "<i8"
        x.numpy().astype(input_type).tofile(os.path.join(out_dir, name + ".input.bin"))
        y.numpy().astype("<f4").tofile(os.path.join(out_dir, name + ".output.bin"))
        y64.numpy().astype("<f8").tofile(os.path.join(out_dir, name + ".output64.bin"))
        if name in VARIANTS:
            write_variants(out_dir, name, factory, model, x)
    print(f"wrote reference data for {len(MODELS)} models to {out_dir}")


if __name__ == "__main__":
    main()
