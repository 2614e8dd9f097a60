"""PyTorch reads back the files typenet wrote (parity.cpp: <name>.typenet.pth, float32, and
<name>.typenet64.pth, float64, except for the models in FLOAT_ONLY; stream.cpp: <name>.stream.pth,
saved by a Stream) and must find its own state_dict and outputs in them: torch.load, also with
weights_only=True, keys in model.state_dict()'s order with the same dtypes and shapes,
load_state_dict(strict=True), and outputs identical to the ones PyTorch computed from its own file
(the values are the same bits, so the outputs are too).
Usage: check_typenet_files.py REFERENCE_DIR"""
import os
import sys

import numpy as np
import torch

from make_reference import BATCH
from models import FLOAT_ONLY, MODELS


def main():
    ref = sys.argv[1]
    torch.set_num_threads(1)
    failures = []
    for name, (factory, input_shape) in MODELS.items():
        tokens = hasattr(factory(), "vocabulary")
        x = torch.from_numpy(np.fromfile(os.path.join(ref, name + ".input.bin"), dtype="<i8" if tokens else "<f4"))
        x = x.view((BATCH,) + input_shape)
        mask = getattr(factory(), "padding_mask", None)
        masks = () if mask is None else (mask,)
        files = [(".typenet.pth", torch.float32, ".output.bin"), (".typenet64.pth", torch.float64, ".output64.bin")]
        if os.path.exists(os.path.join(ref, name + ".stream.pth")):  # saved by a Stream (stream.cpp)
            files.append((".stream.pth", torch.float32, ".output.bin"))
        for suffix, dtype, expected_file in files:
            if suffix == ".typenet64.pth" and name in FLOAT_ONLY:
                continue
            path = os.path.join(ref, name + suffix)
            state = torch.load(path)
            safe = torch.load(path, weights_only=True)
            model = factory().to(dtype).eval()
            reference = model.state_dict()
            if list(state.keys()) != list(reference.keys()) or list(safe.keys()) != list(state.keys()):
                failures.append(f"{path}: keys {list(state.keys())} differ from {list(reference.keys())}")
                continue
            for key, tensor in state.items():
                if tensor.dtype != reference[key].dtype or tensor.shape != reference[key].shape:
                    failures.append(f"{path}: {key} is {tensor.dtype} {tuple(tensor.shape)}, PyTorch has "
                                    f"{reference[key].dtype} {tuple(reference[key].shape)}")
                if not torch.equal(tensor, safe[key]):
                    failures.append(f"{path}: {key} differs between torch.load and weights_only=True")
            model.load_state_dict(state, strict=True)
            with torch.no_grad():
                y = model(x.to(dtype) if x.is_floating_point() else x, *masks).numpy()
            expected = np.fromfile(os.path.join(ref, name + expected_file), dtype=y.dtype).reshape(y.shape)
            if not np.array_equal(y, expected):
                failures.append(f"{path}: outputs differ from PyTorch's own by up to {np.abs(y - expected).max()}")
    for f in failures:
        print("FAIL", f)
    print(f"checked the files typenet wrote for {len(MODELS)} models: {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
