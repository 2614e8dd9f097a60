"""The torchvision example end to end: save_weights.py saves resnet18's state_dict, classify (the
C++ example) loads it and prints its five most likely classes for a synthetic image, which must be
PyTorch's five, in order, with logits within 1e-4 of PyTorch's relative to their scale.
Usage: torchvision_classify.py CLASSIFY_BINARY SAVE_WEIGHTS_PY WORK_DIR"""
import os
import subprocess
import sys

import torch
import torchvision


def main():
    binary, save_weights, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    weights = os.path.join(work, "resnet18.pth")
    torch.manual_seed(0)
    subprocess.run([sys.executable, save_weights, weights], check=True)
    printed = subprocess.run([binary, weights], check=True, capture_output=True, text=True).stdout.split("\n")
    rows = [line.split() for line in printed if line.startswith("class")]
    classes = [int(r[1]) for r in rows]
    logits = [float(r[3]) for r in rows]

    model = torchvision.models.resnet18()
    model.load_state_dict(torch.load(weights))
    model.eval()
    image = torch.zeros(1, 3, 224, 224)
    image[:, :, 65:160, 65:160] = 2.0  # as classify.cpp: 64 < y < 160 and 64 < x < 160
    with torch.no_grad():
        expected = model(image)[0]
    top = torch.topk(expected, 5)
    scale = expected.abs().max().item()
    errors = [abs(a - b) / scale for a, b in zip(logits, top.values.tolist())]
    print("typenet:", classes, logits)
    print("PyTorch:", top.indices.tolist(), [round(v, 3) for v in top.values.tolist()])
    # The C++ example prints logits with 3 decimals; the comparison allows that rounding too.
    ok = classes == top.indices.tolist() and all(e <= 1e-4 + 0.0005 / scale for e in errors)
    print("ok" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
