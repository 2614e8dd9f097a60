#!/usr/bin/env bash
# Regenerates the published benchmark results, bench/results/{results.md,results.json,chart.png}:
# installs what is missing, builds the suite (bench/, GCC, Release, -march=native), makes the
# weights, TorchScript and ONNX files with PyTorch, runs typenet and LibTorch (Google Benchmark),
# ONNX Runtime (Node, if available), the compile-time measurements, and writes the report.
#
#     scripts/bench.sh [--no-compile-times] [--no-onnxruntime] [--repetitions=N]
#
# Build trees go to $TYPENET_BUILD_DIR/bench (default: ./build/bench). Close other programs
# first: the timings are wall-clock, and the report prints the load average they ran under.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TYPENET_BUILD_DIR:-$root/build}/bench
results=$root/bench/results
python=/usr/bin/python3  # Debian's, where python3-torch and python3-matplotlib install

compile_times=1
onnxruntime=1
repetitions=5
for arg in "$@"; do
  case "$arg" in
    --no-compile-times) compile_times=0 ;;
    --no-onnxruntime) onnxruntime=0 ;;
    --repetitions=*) repetitions=${arg#*=} ;;
    *) echo "usage: $0 [--no-compile-times] [--no-onnxruntime] [--repetitions=N]" >&2; exit 2 ;;
  esac
done

"$root/scripts/install-deps.sh" bench
# LibTorch links libblas.so.3; the comparison is only fair against OpenBLAS, not the reference BLAS.
blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)
case "$blas" in
  *openblas*) ;;
  *) echo "error: libblas.so.3 is $blas, not OpenBLAS: apt-get install libopenblas0-openmp" >&2; exit 1 ;;
esac

echo "=== build ($build) ==="
cmake -S "$root/bench" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++ \
  -DTYPENET_PYTHON="$python" >/dev/null
cmake --build "$build"
data=$build/data

echo "=== typenet and LibTorch ($repetitions repetitions) ==="
"$build/typenet_bench" --benchmark_repetitions="$repetitions" --benchmark_out="$build/benchmark.json" \
  --benchmark_out_format=json
ort_json=""
if [ $onnxruntime -eq 1 ]; then
  if command -v node >/dev/null && command -v npm >/dev/null; then
    echo "=== ONNX Runtime ==="
    # Installed in the build tree, from the lock file; --ignore-scripts skips the package's
    # download of GPU binaries (the CPU library ships in the package).
    mkdir -p "$build/onnx"
    cp "$root/bench/onnx/package.json" "$root/bench/onnx/package-lock.json" "$build/onnx/"
    (cd "$build/onnx" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
    NODE_PATH="$build/onnx/node_modules" node "$root/bench/onnx/bench_ort.js" "$data" "$build/onnxruntime.json" \
      --repetitions="$repetitions"
    ort_json=$build/onnxruntime.json
  else
    echo "warning: node and npm not found: no ONNX Runtime figures (apt-get install nodejs npm)" >&2
  fi
fi

if [ $compile_times -eq 1 ]; then
  echo "=== compile times ==="
  "$python" "$root/bench/compile_times.py" "$build/compile_times.json"
elif [ -f "$build/compile_times.json" ]; then
  echo "compile times: reusing $build/compile_times.json of an earlier run"
fi

echo "=== report ==="
args=(--benchmark "$build/benchmark.json" --manifest "$data/manifest.json" --out-dir "$results")
[ -n "$ort_json" ] && args+=(--ort "$ort_json")
[ -f "$build/compile_times.json" ] && args+=(--compile-times "$build/compile_times.json")
PYTHONDONTWRITEBYTECODE=1 "$python" "$root/bench/report.py" "${args[@]}"
