#!/usr/bin/env bash
# The main job, on a fresh Debian 12 machine: train the seed's SimpleMNISTModel with PyTorch on
# Fashion-MNIST (about 3 minutes; skipped when saved_models/ already holds the checkpoint), deploy it
# as a typenet type, classify the 10,000 test images, check typenet against PyTorch image by image,
# save the model back with typenet and have PyTorch load that file; then train the same model in
# C++ for as many epochs, have PyTorch load and test those weights, and compare training speeds.
# Exits non-zero when a check fails.
#
#     scripts/demo.sh [--retrain]
#
# Files go to ./saved_models (as in the seed) and builds to $TYPENET_BUILD_DIR/demo (default ./build/demo).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TYPENET_BUILD_DIR:-$root/build}/demo
models=$root/saved_models
data=/usr/share/datasets/fashion-mnist
python=/usr/bin/python3  # Debian's, where python3-torch installs
train=$root/examples/fashion_mnist/train.py
# The C++ training's time budget, which keeps the demo near 6 minutes: as many of PyTorch's epochs
# as fit in it (TYPENET_DEMO_TRAINING_SECONDS overrides it).
cpp_training_seconds=${TYPENET_DEMO_TRAINING_SECONDS:-120}

retrain=0
for arg in "$@"; do
  case "$arg" in
    --retrain) retrain=1 ;;
    *) echo "usage: $0 [--retrain]" >&2; exit 2 ;;
  esac
done

"$root/scripts/install-deps.sh" demo

echo "=== building typenet's side (Release, -march=native, OpenMP) ==="
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTYPENET_MARCH=native -DTYPENET_BUILD_TESTS=OFF \
  -DTYPENET_BUILD_TOOLS=OFF -DTYPENET_PYTHON="$python" >/dev/null
cmake --build "$build" --target fashion_mnist_eval fashion_mnist_train simple_mnist

echo
echo "=== the seed's model as a typenet type ==="
"$build/examples/simple_mnist" | sed -n '1,30p'

mkdir -p "$models"
checkpoint=$models/simple_classifier_weights.pth
if [ $retrain -eq 1 ] || [ ! -f "$checkpoint" ] || [ ! -f "$models/pytorch_test_predictions.bin" ] ||
   [ ! -f "$models/pytorch_summary.json" ]; then
  echo
  echo "=== training in PyTorch (torch.save(model.state_dict(), \"$checkpoint\")) ==="
  (cd "$root" && "$python" "$train" --data "$data" --out "$models")
else
  echo
  echo "=== reusing $checkpoint (scripts/demo.sh --retrain trains again) ==="
fi

echo
echo "=== deploying with typenet: load the .pth, classify the test set, save it back ==="
status=0
"$build/examples/fashion_mnist/fashion_mnist_eval" --model "$checkpoint" --data "$data" \
  --predictions "$models/pytorch_test_predictions.bin" --save "$models/typenet_resaved.pth" \
  --json "$models/typenet_summary.json" || status=1

echo
echo "=== PyTorch loads the file typenet wrote (torch.load, load_state_dict(strict=True)) ==="
"$python" "$train" --data "$data" --verify "$models/typenet_resaved.pth" \
  --predictions "$models/pytorch_test_predictions.bin" --max-logit-difference 0 \
  --json "$models/pytorch_reloaded.json" || status=1

echo
echo "=== training in C++: the same model and data, with typenet (Adam, batch 64), at most $cpp_training_seconds s ==="
epochs=$("$python" -c "import json; print(round(json.load(open('$models/pytorch_summary.json'))['epochs']))")
"$build/examples/fashion_mnist/fashion_mnist_train" --data "$data" --epochs "$epochs" --max-seconds "$cpp_training_seconds" \
  --save "$models/typenet_trained.pth" --json "$models/typenet_training.json" || status=1

echo
echo "=== PyTorch loads the C++-trained weights (torch.load, load_state_dict(strict=True)) ==="
"$python" "$train" --data "$data" --verify "$models/typenet_trained.pth" \
  --json "$models/pytorch_on_typenet_trained.json" --min-accuracy 0.85 || status=1

echo
echo "=== PyTorch's training throughput, the same step (bench/training_throughput.py) ==="
"$python" "$root/bench/training_throughput.py" --threads 1 "$(nproc)" | tee "$models/pytorch_training_throughput.json" ||
  status=1

echo
"$python" - "$models" "$status" <<'EOF' || status=1
import json, os, sys
models, status = sys.argv[1], int(sys.argv[2])
def load(name):
    path = os.path.join(models, name)
    return json.load(open(path)) if os.path.exists(path) else {}
pytorch, typenet, reloaded = load("pytorch_summary.json"), load("typenet_summary.json"), load("pytorch_reloaded.json")
print("=== summary ===")
print(f"PyTorch accuracy (its training run):       {100 * pytorch.get('test_accuracy', float('nan')):.2f}%")
print(f"typenet accuracy (the same .pth, in C++):  {100 * typenet.get('accuracy', float('nan')):.2f}%")
print(f"PyTorch accuracy (the file typenet saved): {100 * reloaded.get('test_accuracy', float('nan')):.2f}%")
print(f"agreement: same class on {typenet.get('same_class', '?')} of 10000 images, "
      f"max |logit difference| {typenet.get('max_logit_difference', float('nan')):.3g}")
print(f"images/s on one thread: typenet {typenet.get('images_per_second_1_thread', 0):.0f}, "
      f"PyTorch {pytorch.get('inference_images_per_second', 0):.0f} "
      f"(typenet on all threads: {typenet.get('images_per_second_all_threads', 0):.0f})")
trained, verified = load("typenet_training.json"), load("pytorch_on_typenet_trained.json")
torch_speed = load("pytorch_training_throughput.json")
print(f"training in C++: {trained.get('steps', '?')} steps ({trained.get('epochs', 0):.2f} epochs), test accuracy {100 * trained.get('test_accuracy', float('nan')):.2f}% "
      f"(PyTorch's run: {100 * pytorch.get('test_accuracy', float('nan')):.2f}%); "
      f"PyTorch on the C++-trained weights: {100 * verified.get('test_accuracy', float('nan')):.2f}%")
threads = max(torch_speed, key=int) if torch_speed else "?"
print(f"training images/s on one thread: typenet {trained.get('images_per_second_1_thread', 0):.0f}, "
      f"PyTorch {torch_speed.get('1', 0):.0f}; on {threads} threads: typenet "
      f"{trained.get('images_per_second_all_threads', 0):.0f}, PyTorch {torch_speed.get(threads, 0):.0f}")
# The same weights on the same images: PyTorch's count of correct answers must be typenet's, give or
# take an image whose two largest logits are within rounding of each other.
if abs(trained.get("test_accuracy", -1) - verified.get("test_accuracy", 1)) > 2e-4:
    print("FAILED: PyTorch's accuracy on the C++-trained weights is not typenet's")
    status = 1
print("all checks passed" if status == 0 else "a check FAILED (see above)")
sys.exit(status)
EOF
exit $status
