"""The embedded-weights example end to end: embedded_classify runs with its build's weights file
hidden (it needs none: the bytes are inside it), then loads the same file with --weights; the two
runs' logits must be the same bits, and PyTorch's, from the same file, within 1e-5 of their scale.
The copy it saves (--save) carries typenet's architecture fingerprint, the one computed here from
PyTorch's state_dict, and PyTorch still loads it: torch.load, weights_only, strict=True.
Usage: embedded_example.py BINARY WEIGHTS.pth FASHION_MNIST_DIR WORK_DIR"""
import os
import subprocess
import sys
import zipfile

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
from typenet_fingerprint import fingerprint  # noqa: E402


def logits(binary, work, name, *args):
    out = os.path.join(work, name)
    run = subprocess.run([binary, "--output", out, *args], cwd=work, capture_output=True, text=True)
    print(run.stdout + run.stderr, end="")
    run.check_returncode()
    return torch.frombuffer(bytearray(open(out, "rb").read()), dtype=torch.float32).view(-1, 10)


def main():
    binary, weights, fashion_mnist_dir, work = sys.argv[1:5]
    os.makedirs(work, exist_ok=True)
    failures = []
    if open(weights, "rb").read() not in open(binary, "rb").read():
        failures.append(f"{binary} does not hold the bytes of {weights}")

    hidden = weights + ".hidden"
    os.rename(weights, hidden)  # keeps its time stamp: the build does not remake it
    try:
        embedded = logits(binary, work, "embedded.f32", "--save", "saved.pth")
    finally:
        os.rename(hidden, weights)
    from_file = logits(binary, work, "file.f32", "--weights", weights)
    if not torch.equal(embedded, from_file):
        failures.append(f"embedded and file-loaded logits differ by up to {(embedded - from_file).abs().max()}")

    sys.path.insert(0, fashion_mnist_dir)
    from train import SimpleMNISTModel
    model = SimpleMNISTModel().eval()
    model.load_state_dict(torch.load(weights), strict=True)
    k = torch.arange(embedded.shape[0]).view(-1, 1, 1)
    y, x = torch.arange(28).view(1, -1, 1), torch.arange(28).view(1, 1, -1)
    images = (((y * 28 + x) * (k + 1) % 17).float() / 16).unsqueeze(1)  # classify.cpp's pixel()
    with torch.no_grad():
        expected = model(images)
    error = ((embedded - expected).abs().max() / expected.abs().max()).item()
    print(f"max error against PyTorch relative to the logits' scale: {error:.2e}")
    if error > 1e-5:
        failures.append(f"logits differ from PyTorch's by {error:.2e} of their scale")

    saved = os.path.join(work, "saved.pth")
    state = torch.load(saved)
    model.load_state_dict(state, strict=True)
    model.load_state_dict(torch.load(saved, weights_only=True), strict=True)
    if any(not torch.equal(state[key], value) for key, value in torch.load(weights).items()):
        failures.append(f"{saved} holds other values than {weights}")
    with zipfile.ZipFile(saved) as z:
        recorded = z.read("saved/typenet_fingerprint").decode().strip()
    if recorded != fingerprint(model.state_dict()):
        failures.append(f"{saved}: fingerprint {recorded}, but PyTorch's state_dict gives {fingerprint(model.state_dict())}")
    if not torch.equal(logits(binary, work, "resaved.f32", "--weights", saved), embedded):
        failures.append(f"the logits from {saved} differ")

    for f in failures:
        print("FAIL", f)
    print("ok" if not failures else "FAIL")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
