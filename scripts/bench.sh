#!/usr/bin/env bash
# Regenerates the published benchmark results, bench/results/{results.md,results.json,chart.png}:
# installs what is missing, builds the suite (bench/, GCC, Release, -march=native), makes the
# weights, TorchScript and ONNX files with PyTorch, runs typenet and LibTorch (Google Benchmark:
# typenet_bench, then the sequence models' typenet_step_bench), ONNX Runtime (Node, if available),
# the compile-time measurements, and writes the report.
#
#     scripts/bench.sh [--no-compile-times] [--no-onnxruntime] [--repetitions=N] [--min-time=SECONDS]
#                      [--only=sequence]
#
# --only=sequence builds and runs the sequence models alone (GRU, LSTM, TransformerEncoder,
# RTNeural's network: bench/sequence_zoo.py, bench/step_latency.cpp) and writes their table into
# the existing results, leaving the other figures as the last full run wrote them. --min-time is
# each benchmark's minimum time per repetition (default: Google Benchmark's 0.5 s, and the same for
# ONNX Runtime); shorter only for trying the pipeline out.
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
min_time=""
only=""
usage="usage: $0 [--no-compile-times] [--no-onnxruntime] [--repetitions=N] [--min-time=SECONDS] [--only=sequence]"
for arg in "$@"; do
  case "$arg" in
    --no-compile-times) compile_times=0 ;;
    --no-onnxruntime) onnxruntime=0 ;;
    --repetitions=*) repetitions=${arg#*=} ;;
    --min-time=*) min_time=${arg#*=} ;;
    --only=sequence) only=sequence ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
gbench_time=()
ort_time=()
if [ -n "$min_time" ]; then
  gbench_time=(--benchmark_min_time="$min_time")
  ort_time=(--min-time="$min_time")
fi

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
if [ "$only" = sequence ]; then
  cmake --build "$build" --target typenet_step_bench
else
  cmake --build "$build"
fi
data=$build/data

if [ "$only" != sequence ]; then
  echo "=== typenet and LibTorch ($repetitions repetitions) ==="
  "$build/typenet_bench" --benchmark_repetitions="$repetitions" --benchmark_out="$build/benchmark.json" \
    --benchmark_out_format=json "${gbench_time[@]}"
fi
echo "=== sequence models: typenet and LibTorch ($repetitions repetitions) ==="
"$build/typenet_step_bench" --benchmark_repetitions="$repetitions" --benchmark_out="$build/step_benchmark.json" \
  --benchmark_out_format=json "${gbench_time[@]}"

ort_json=""
ort_args=()
if [ "$only" = sequence ]; then
  ort_args=(--only=sequence)
  ort_out=$build/onnxruntime_sequence.json
else
  ort_out=$build/onnxruntime.json
fi
if [ $onnxruntime -eq 1 ]; then
  if command -v node >/dev/null && command -v npm >/dev/null; then
    echo "=== ONNX Runtime ==="
    # Installed in the build tree, from the lock file; --ignore-scripts skips the package's
    # download of GPU binaries (the CPU library ships in the package).
    mkdir -p "$build/onnx"
    cp "$root/bench/onnx/package.json" "$root/bench/onnx/package-lock.json" "$build/onnx/"
    (cd "$build/onnx" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
    NODE_PATH="$build/onnx/node_modules" node "$root/bench/onnx/bench_ort.js" "$data" "$ort_out" \
      --repetitions="$repetitions" "${ort_time[@]}" "${ort_args[@]}"
    ort_json=$ort_out
  else
    echo "warning: node and npm not found: no ONNX Runtime figures (apt-get install nodejs npm)" >&2
  fi
fi

sequence_args=(--step-benchmark "$build/step_benchmark.json" --sequence-manifest "$data/sequence/manifest.json")
if [ "$only" = sequence ]; then
  echo "=== report (sequence models only) ==="
  args=("${sequence_args[@]}" --sequence-only --out-dir "$results")
  [ -n "$ort_json" ] && args+=(--ort "$ort_json")
  PYTHONDONTWRITEBYTECODE=1 "$python" "$root/bench/report.py" "${args[@]}"
  exit 0
fi

if [ $compile_times -eq 1 ]; then
  echo "=== compile times ==="
  "$python" "$root/bench/compile_times.py" "$build/compile_times.json"
elif [ -f "$build/compile_times.json" ]; then
  echo "compile times: reusing $build/compile_times.json of an earlier run"
fi

echo "=== report ==="
args=(--benchmark "$build/benchmark.json" --manifest "$data/manifest.json" "${sequence_args[@]}" --out-dir "$results")
[ -n "$ort_json" ] && args+=(--ort "$ort_json")
[ -f "$build/compile_times.json" ] && args+=(--compile-times "$build/compile_times.json")
PYTHONDONTWRITEBYTECODE=1 "$python" "$root/bench/report.py" "${args[@]}"
