"""The text-classifier example end to end: save_weights.py saves TextClassifier's state_dict,
text_classify (the C++ example) loads it and prints the logits for token ids given on its command
line, which must be PyTorch's within 1e-5 relative to their scale (printed with 6 decimals); an id
out of the vocabulary must be refused with an error naming it.
Usage: text_classify.py BINARY EXAMPLE_DIR WORK_DIR"""
import os
import subprocess
import sys

import torch


def main():
    binary, example_dir, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    sys.path.insert(0, example_dir)
    from model import LENGTH, TextClassifier

    weights = os.path.join(work, "classifier.pth")
    subprocess.run([sys.executable, os.path.join(example_dir, "save_weights.py"), weights], check=True)
    model = TextClassifier()
    model.load_state_dict(torch.load(weights))
    model.eval()

    ok = True
    for sentence in ([17, 42, 5], [3, 999, 250, 7, 7, 1, 64, 128, 12, 600], list(range(1, LENGTH + 1))):
        printed = subprocess.run([binary, weights, *map(str, sentence)], check=True, capture_output=True,
                                 text=True).stdout
        logits = torch.tensor([float(line.split()[2]) for line in printed.splitlines() if line.startswith("logit")])
        ids = torch.zeros(1, LENGTH, dtype=torch.int64)
        ids[0, :len(sentence)] = torch.tensor(sentence)
        with torch.no_grad():
            expected = model(ids)[0]
        error = ((logits - expected).abs().max() / expected.abs().max()).item()
        picked = int(printed.split("class")[-1])
        print(f"{len(sentence)} ids: typenet {logits.tolist()} class {picked}; PyTorch {expected.tolist()}; "
              f"error {error:.1e}")
        ok = ok and error <= 1e-5 + 5e-7 / expected.abs().max().item() and picked == int(expected.argmax())

    refused = subprocess.run([binary, weights, "5", "1000"], capture_output=True, text=True)
    print("id 1000:", refused.returncode, refused.stderr.strip())
    ok = ok and refused.returncode == 1 and "1000" in refused.stderr
    print("ok" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
