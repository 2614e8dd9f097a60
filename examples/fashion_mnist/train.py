#!/usr/bin/python3
"""Train the seed's SimpleMNISTModel on Fashion-MNIST and save it the way the seed does.

Run with Debian's Python, the one python3-torch installs into:

    /usr/bin/python3 examples/fashion_mnist/train.py                   # full run, ~3 minutes on 2 cores
    /usr/bin/python3 examples/fashion_mnist/train.py --max-steps 300   # CI: a few hundred steps
    /usr/bin/python3 examples/fashion_mnist/train.py --verify FILE.pth # check someone else's checkpoint

Training writes into --out (default saved_models/, relative to the current directory):

  simple_classifier_weights.pth
      torch.save(model.state_dict(), "saved_models/simple_classifier_weights.pth"), as in the seed.
  pytorch_test_predictions.bin
      PyTorch's own outputs for the 10,000 test images, in the order of the t10k files, raw
      little-endian with no header: 10000 int64 (argmax of the logits), then 10000 x 10 float32
      (the logits, row-major, one row per image). 480,000 bytes.
  pytorch_summary.json
      test accuracy, single-thread inference throughput (images/s), epochs, steps, training time,
      seed and the preprocessing, for the README and for the C++ side to compare against.

--verify FILE.pth rebuilds a fresh SimpleMNISTModel, loads FILE with torch.load and
load_state_dict(strict=True) (after checking that every entry is a float32 tensor, which
load_state_dict would otherwise convert silently), evaluates it on the test set and prints the
accuracy; --json PATH also writes it as JSON, --min-accuracy A makes it exit 1 below A,
--predictions FILE.bin compares its outputs with a pytorch_test_predictions.bin, and
--max-logit-difference D makes it exit 1 if any logit differs from those by more than D (0 for a
checkpoint that should hold the very same weights, such as one typenet read and wrote back).

--export-preprocessed FILE writes one split (--split, default t10k) exactly as the model sees it:
raw little-endian, count uint8 labels, then count x 28 x 28 float32 pixels. The C++ reader
(idx.hpp) is tested against it bit for bit.

Preprocessing, identical in idx.hpp and here, every operation in float32 (IEEE division and
subtraction are correctly rounded, so both sides get the same bits):

    x = (float32(pixel) / 255 - 0.2860) / 0.3530

0.2860 and 0.3530 are the mean and standard deviation of the training pixels after the division by
255, rounded to four digits (training prints the exact values as a check).

Runs are deterministic for a given --seed and --threads: the same .pth and predictions, byte for
byte. Measured on this project's 2-core machine, shared with other jobs: 23-27 s per epoch when
it is quiet, so 6 epochs by default, reaching a test accuracy of 0.9138; 300 steps reach 0.7645.
"""

import argparse
import gzip
import json
import os
import platform
import statistics
import struct
import sys
import time
import zlib

# Set before torch starts OpenMP. GNU OpenMP's threads spin 300,000 rounds when they wait for each
# other, and on cores shared with other jobs that spinning holds up every step: 300 training steps on
# 2 cores at load 2-4 took 17-108 s so and 7-21 s spinning 10,000 rounds (not spinning at all,
# OMP_WAIT_POLICY=PASSIVE, did about as well). Settings from the environment still win.
os.environ.setdefault("GOMP_SPINCOUNT", "10000")

import numpy as np  # noqa: E402 (after the environment above)
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"
ROWS = COLS = 28
NUM_CLASSES = 10
CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions
LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dimension
MEAN = np.float32(0.2860)
STD = np.float32(0.3530)
WEIGHTS_FILE = "simple_classifier_weights.pth"
PREDICTIONS_FILE = "pytorch_test_predictions.bin"
SUMMARY_FILE = "pytorch_summary.json"


# The seed's model, unchanged: the attribute names and layer positions are the state_dict's keys.
class SimpleMNISTModel(nn.Module):
    def __init__(self, num_classes=10, *args, **kwargs):
        super().__init__(*args, **kwargs)

        # Feature extraction layers (conv layers) - can be frozen/unfrozen
        self.features = nn.Sequential(
            nn.Conv2d(in_channels=1, out_channels=32,
                      kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2),  # 28x28 -> 14x14

            nn.Conv2d(in_channels=32, out_channels=64,
                      kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2),  # 14x14 -> 7x7

            nn.Conv2d(in_channels=64, out_channels=128,
                      kernel_size=3, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d((4, 4))  # 7x7 -> 4x4
        )

        # Classifier layers (MLP)
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(in_features=128*4*4, out_features=256),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(in_features=256, out_features=128),
            nn.ReLU(),
            nn.Dropout(0.3),
            nn.Linear(in_features=128, out_features=num_classes)
        )

    def forward(self, x):
        # Feature extraction
        x = self.features(x)
        # Classification
        x = self.classifier(x)
        return x


# ---------------------------------------------------------------------------------------------
# IDX files, gzip'ed. Same checks and wording as idx.hpp.

class IdxError(ValueError):
    """A data file that is not the gzip'ed IDX file it should be."""


def read_gzip(path):
    try:
        with open(path, "rb") as f:
            compressed = f.read()
    except OSError as e:
        raise IdxError(f"{path}: cannot open: {e.strerror}") from None
    # gzip would read an empty file as empty data; like idx.hpp, call anything without the magic wrong.
    if compressed[:2] != b"\x1f\x8b":
        raise IdxError(f"{path}: not a gzip file (expected the gzip'ed IDX file, *-ubyte.gz)")
    try:
        return gzip.decompress(compressed)
    except EOFError as e:
        raise IdxError(f"{path}: the gzip data is cut short: the file ends inside the compressed stream "
                       f"({e})") from None
    except (gzip.BadGzipFile, zlib.error) as e:
        raise IdxError(f"{path}: corrupt gzip data ({e})") from None


def check_magic(path, data, magic, kind, header_size):
    # The magic first: a short file of the other kind is called what it is, not "truncated".
    truncated = IdxError(f"{path}: truncated at byte {len(data)}: an IDX {kind} header needs {header_size} bytes")
    if len(data) < 4:
        raise truncated
    found = struct.unpack(">I", data[:4])[0]
    if found != magic:
        raise IdxError(f"{path}: wrong magic 0x{found:08x} (expected 0x{magic:08x}, {kind}s)")
    if len(data) < header_size:
        raise truncated


def check_size(path, data, header, count, item_size, what):
    expected = header + count * item_size
    if len(data) < expected:
        raise IdxError(f"{path}: truncated at byte {len(data)} "
                       f"(expected {expected} bytes: the header and {count} {what})")
    if len(data) > expected:
        extra = len(data) - expected
        raise IdxError(f"{path}: {extra} extra byte{'s' if extra > 1 else ''} after the {count} {what} "
                       f"(the data ends at byte {expected}, the file at byte {len(data)})")


def read_idx_images(path, rows=ROWS, cols=COLS):
    """uint8 array (count, rows, cols)."""
    data = read_gzip(path)
    check_magic(path, data, IMAGES_MAGIC, "image", 16)
    _, count, r, c = struct.unpack(">IIII", data[:16])
    if (r, c) != (rows, cols):
        raise IdxError(f"{path}: images are {r}x{c} (expected {rows}x{cols})")
    check_size(path, data, 16, count, r * c, "images")
    return np.frombuffer(data, np.uint8, offset=16).reshape(count, r, c)


def read_idx_labels(path, num_classes=NUM_CLASSES):
    """uint8 array (count,)."""
    data = read_gzip(path)
    check_magic(path, data, LABELS_MAGIC, "label", 8)
    _, count = struct.unpack(">II", data[:8])
    check_size(path, data, 8, count, 1, "labels")
    labels = np.frombuffer(data, np.uint8, offset=8)
    bad = np.flatnonzero(labels >= num_classes)
    if bad.size:
        raise IdxError(f"{path}: label {labels[bad[0]]} at byte {8 + bad[0]} (image {bad[0]}) "
                       f"is not a class (0 to {num_classes - 1})")
    return labels


def normalize(pixels):
    """The preprocessing, in float32 throughout: (pixel / 255 - MEAN) / STD."""
    return (pixels.astype(np.float32) / np.float32(255) - MEAN) / STD


def read_split(data_dir, split):
    """(images uint8 (n, 28, 28), labels uint8 (n,)) of split "train" or "t10k"."""
    images_path = os.path.join(data_dir, f"{split}-images-idx3-ubyte.gz")
    labels_path = os.path.join(data_dir, f"{split}-labels-idx1-ubyte.gz")
    images = read_idx_images(images_path)
    labels = read_idx_labels(labels_path)
    if len(images) != len(labels):
        raise IdxError(f"{images_path} has {len(images)} images but {labels_path} has {len(labels)} labels")
    return images, labels


def to_tensors(images, labels):
    x = torch.from_numpy(normalize(images)).unsqueeze(1)  # (n, 1, 28, 28), as Conv2d wants
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


# ---------------------------------------------------------------------------------------------

def log(*args):
    print(*args, flush=True)  # progress must show while a long run is going, also through pipes


def evaluate(model, x, batch_size=100):
    """Logits (n, 10) of the model in eval mode."""
    model.eval()
    with torch.no_grad():
        return torch.cat([model(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])


def measure_throughput(model, x, batch_size, repeats):
    """Single-thread inference over all of x, as a user would run it: eval(), no_grad, batches.
    Returns the wall time of each pass; the first batch before them warms up the allocator."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    model.eval()
    times = []
    with torch.no_grad():
        model(x[:batch_size])
        for _ in range(repeats):
            start = time.perf_counter()
            for i in range(0, len(x), batch_size):
                model(x[i:i + batch_size])
            times.append(time.perf_counter() - start)
    torch.set_num_threads(threads)
    return times


def write_predictions(path, logits):
    argmax = logits.argmax(dim=1).numpy().astype("<i8")
    with open(path, "wb") as f:
        f.write(argmax.tobytes())
        f.write(logits.numpy().astype("<f4").tobytes())


def read_predictions(path, count):
    data = np.fromfile(path, np.uint8)
    expected = count * 8 + count * NUM_CLASSES * 4
    if data.size != expected:
        raise ValueError(f"{path}: {data.size} bytes, expected {expected} for {count} images")
    argmax = data[:count * 8].view("<i8")
    logits = data[count * 8:].view("<f4").reshape(count, NUM_CLASSES)
    return argmax, logits


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            return next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")),
                        platform.machine())
    except OSError:
        return platform.machine()


def train(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)  # the initial weights and the dropout masks
    torch.use_deterministic_algorithms(True)

    load_at_start = os.getloadavg()[0]
    train_images, train_labels = read_split(args.data, "train")
    test_images, test_labels = read_split(args.data, "t10k")
    scaled = train_images.astype(np.float64) / 255
    log(f"train: {len(train_images)} images, pixel mean {scaled.mean():.5f}, std {scaled.std():.5f} "
        f"(normalising with {MEAN:.4f}, {STD:.4f}); test: {len(test_images)} images")
    train_x, train_y = to_tensors(train_images, train_labels)
    test_x, test_y = to_tensors(test_images, test_labels)

    model = SimpleMNISTModel()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    shuffle = torch.Generator().manual_seed(args.seed)  # its own stream: the order does not depend on dropout

    steps_per_epoch = (len(train_x) + args.batch_size - 1) // args.batch_size
    total_steps = args.epochs * steps_per_epoch
    if args.max_steps is not None:
        total_steps = min(total_steps, args.max_steps)
    log(f"SimpleMNISTModel, Adam lr {args.lr}, batch {args.batch_size}, {args.threads} threads, seed {args.seed}: "
        f"{total_steps} steps ({steps_per_epoch} per epoch)")

    step = 0
    start = time.perf_counter()
    epoch_times = []
    while step < total_steps:
        epoch = step // steps_per_epoch + 1
        epoch_start = time.perf_counter()
        model.train()
        order = torch.randperm(len(train_x), generator=shuffle)
        loss_sum, correct, seen = 0.0, 0, 0
        for i in range(steps_per_epoch):
            if step >= total_steps:
                break
            batch = order[i * args.batch_size:(i + 1) * args.batch_size]
            x, y = train_x[batch], train_y[batch]
            optimizer.zero_grad()
            logits = model(x)
            loss = loss_fn(logits, y)
            loss.backward()
            optimizer.step()
            step += 1
            loss_sum += loss.item() * len(y)
            correct += (logits.argmax(dim=1) == y).sum().item()
            seen += len(y)
            if (i + 1) % args.log_every == 0 or i + 1 == steps_per_epoch or step == total_steps:
                log(f"epoch {epoch} step {i + 1}/{steps_per_epoch} loss {loss_sum / seen:.4f} "
                    f"accuracy {correct / seen:.4f} elapsed {time.perf_counter() - start:.1f}s")
        epoch_times.append(time.perf_counter() - epoch_start)
    training_seconds = time.perf_counter() - start

    logits = evaluate(model, test_x)
    predictions = logits.argmax(dim=1)
    test_correct = int((predictions == test_y).sum())
    test_accuracy = test_correct / len(test_y)
    log(f"test accuracy {test_accuracy:.4f} ({test_correct}/{len(test_y)}) after {step} steps, "
        f"{training_seconds:.1f}s of training")

    times = measure_throughput(model, test_x, args.inference_batch_size, args.inference_repeats)
    throughput = len(test_x) / statistics.median(times)
    log(f"single-thread inference, batch {args.inference_batch_size}: {throughput:.0f} images/s "
        f"(median of {len(times)} passes over the test set: {', '.join(f'{t:.2f}s' for t in times)}; "
        f"load average {os.getloadavg()[0]:.2f})")

    os.makedirs(args.out, exist_ok=True)
    weights_path = os.path.join(args.out, WEIGHTS_FILE)
    torch.save(model.state_dict(), weights_path)  # exactly what the seed does
    write_predictions(os.path.join(args.out, PREDICTIONS_FILE), logits)
    summary = {
        "test_accuracy": test_accuracy,
        "test_correct": test_correct,
        "test_images": len(test_y),
        "inference_images_per_second": throughput,
        "inference_threads": 1,
        "inference_batch_size": args.inference_batch_size,
        "inference_pass_seconds": times,
        "epochs": step / steps_per_epoch,
        "steps": step,
        "steps_per_epoch": steps_per_epoch,
        "epoch_seconds": epoch_times,
        "training_seconds": training_seconds,
        "training_threads": args.threads,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "gomp_spincount": os.environ.get("GOMP_SPINCOUNT"),
        "batch_size": args.batch_size,
        "optimizer": f"Adam(lr={args.lr})",
        "seed": args.seed,
        "preprocessing": f"(float32(pixel) / 255 - {MEAN:.4f}) / {STD:.4f}, in float32",
        # Others' jobs share the cores: the load says how much the timings above can be trusted.
        "load_average_1min_start": load_at_start,
        "load_average_1min_end": os.getloadavg()[0],
        "torch_version": torch.__version__,
        "cpu": cpu_name(),
        "cpu_count": os.cpu_count(),
    }
    with open(os.path.join(args.out, SUMMARY_FILE), "w") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")
    log(f"saved {weights_path}, {PREDICTIONS_FILE} and {SUMMARY_FILE} in {args.out}")


def verify(args):
    torch.set_num_threads(args.threads)
    test_images, test_labels = read_split(args.data, "t10k")
    test_x, test_y = to_tensors(test_images, test_labels)

    try:
        state_dict = torch.load(args.verify, map_location="cpu")  # as the seed loads it
    except Exception as e:  # whatever the file's bytes make torch.load raise: report it as the file's fault
        sys.exit(f"{args.verify}: torch.load fails: {type(e).__name__}: {e}")
    if not isinstance(state_dict, dict):
        sys.exit(f"{args.verify}: holds a {type(state_dict).__name__}, not a state_dict")
    for key, value in state_dict.items():
        # load_state_dict copies into the model's float32 parameters, converting anything: check first.
        if not isinstance(value, torch.Tensor) or value.dtype != torch.float32:
            sys.exit(f"{args.verify}: {key} is {getattr(value, 'dtype', type(value).__name__)}, not a float32 tensor")
    model = SimpleMNISTModel()
    try:
        model.load_state_dict(state_dict, strict=True)
    except RuntimeError as e:  # missing or unexpected keys, wrong shapes: PyTorch's message lists them
        sys.exit(f"{args.verify}: load_state_dict(strict=True) fails: {e}")
    model.eval()

    logits = evaluate(model, test_x)
    predictions = logits.argmax(dim=1)
    correct = int((predictions == test_y).sum())
    result = {"file": args.verify, "test_accuracy": correct / len(test_y), "test_correct": correct,
              "test_images": len(test_y)}
    log(f"{args.verify}: test accuracy {result['test_accuracy']:.4f} ({correct}/{len(test_y)})")

    if args.predictions:
        argmax, reference = read_predictions(args.predictions, len(test_y))
        result["argmax_agreement"] = int((predictions.numpy() == argmax).sum())
        result["max_abs_logit_difference"] = float(np.abs(logits.numpy() - reference).max())
        log(f"against {args.predictions}: argmax agrees on {result['argmax_agreement']}/{len(test_y)}, "
            f"largest logit difference {result['max_abs_logit_difference']:.3g}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
            f.write("\n")
    if args.min_accuracy is not None and result["test_accuracy"] < args.min_accuracy:
        sys.exit(f"{args.verify}: test accuracy {result['test_accuracy']:.4f} is below {args.min_accuracy}")
    if args.max_logit_difference is not None:
        if not args.predictions:
            sys.exit("--max-logit-difference needs --predictions")
        if result["max_abs_logit_difference"] > args.max_logit_difference:
            sys.exit(f"{args.verify}: logits differ from {args.predictions} by up to "
                     f"{result['max_abs_logit_difference']:.3g} (allowed: {args.max_logit_difference})")


def export_preprocessed(args):
    images, labels = read_split(args.data, args.split)
    with open(args.export_preprocessed, "wb") as f:
        f.write(labels.tobytes())
        f.write(normalize(images).astype("<f4").tobytes())
    log(f"wrote {len(labels)} {args.split} labels and images to {args.export_preprocessed}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=DEFAULT_DATA, help="directory of the *-ubyte.gz files (%(default)s)")
    parser.add_argument("--out", default="saved_models", help="output directory (%(default)s)")
    parser.add_argument("--epochs", type=int, default=6,
                        help="training epochs (%(default)s: ~27 s each, ~3 minutes, on 2 idle cores)")
    parser.add_argument("--max-steps", type=int,
                        help="stop after this many steps (CI); the test set is still evaluated whole")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2, help="torch threads for training (%(default)s)")
    parser.add_argument("--log-every", type=int, default=100, help="progress line every N steps")
    parser.add_argument("--inference-batch-size", type=int, default=100)
    parser.add_argument("--inference-repeats", type=int, default=3, help="timed passes over the test set")
    parser.add_argument("--verify", metavar="FILE.pth", help="evaluate this checkpoint instead of training")
    parser.add_argument("--json", help="with --verify: write the result here")
    parser.add_argument("--min-accuracy", type=float, help="with --verify: exit 1 below this accuracy")
    parser.add_argument("--predictions", help="with --verify: compare with this pytorch_test_predictions.bin")
    parser.add_argument("--max-logit-difference", type=float,
                        help="with --verify and --predictions: exit 1 if any logit differs by more (0: the same bits)")
    parser.add_argument("--export-preprocessed", metavar="FILE", help="write a preprocessed split and exit")
    parser.add_argument("--split", default="t10k", choices=["train", "t10k"], help="with --export-preprocessed")
    args = parser.parse_args()
    if args.inference_repeats < 1:
        parser.error("--inference-repeats must be at least 1")
    try:
        if args.verify:
            verify(args)
        elif args.export_preprocessed:
            export_preprocessed(args)
        else:
            train(args)
    except IdxError as e:
        sys.exit(f"error: {e}")


if __name__ == "__main__":
    main()
