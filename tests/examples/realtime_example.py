"""The real-time example end to end: save_weights.py saves RealtimeNet's state_dict, realtime (the
C++ example) runs one second of model.py's test signal through it sample by sample, and its 48,000
outputs must be PyTorch's whole-sequence outputs within 1e-5 relative to their scale.
Usage: realtime_example.py REALTIME_BINARY EXAMPLE_DIR WORK_DIR"""
import os
import subprocess
import sys

import torch


def main():
    binary, example_dir, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    sys.path.insert(0, example_dir)
    from model import RealtimeNet, test_signal

    weights = os.path.join(work, "realtime.pth")
    outputs = os.path.join(work, "realtime_output.f32")
    subprocess.run([sys.executable, os.path.join(example_dir, "save_weights.py"), weights], check=True)
    printed = subprocess.run([binary, weights, "--output", outputs], check=True, capture_output=True, text=True).stdout
    print(printed, end="")

    model = RealtimeNet()
    model.load_state_dict(torch.load(weights))
    model.eval()
    signal = test_signal(48000)
    with torch.no_grad():
        expected = model(signal.view(1, -1, 1)).view(-1)
    got = torch.frombuffer(bytearray(open(outputs, "rb").read()), dtype=torch.float32)
    if got.numel() != expected.numel():
        print(f"FAIL: {got.numel()} outputs, expected {expected.numel()}")
        return 1
    error = ((got - expected).abs().max() / expected.abs().max()).item()
    print(f"max error relative to the output's scale: {error:.2e} (over {expected.numel()} samples)")
    ok = error <= 1e-5 and "ns per sample" in printed
    print("ok" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
