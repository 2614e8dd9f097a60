#!/usr/bin/env bash
# Installs what the tests need, then builds and runs every test three times: with GCC 12 for this
# machine's CPU (-march=native: AVX-512 kernels here), with Clang 14 for x86-64-v2 (no AVX, so
# 16-byte vectors), and with Clang under AddressSanitizer + UndefinedBehaviorSanitizer; runs the
# program where threads share one Model under ThreadSanitizer; then it builds the libFuzzer targets
# and runs each for 30 s. All builds use -Wall -Wextra -Werror (the
# test builds OpenMP too). Build trees go to $TYPENET_BUILD_DIR (default: ./build).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TYPENET_BUILD_DIR:-$root/build}
"$root/scripts/install-deps.sh" test

run_config() {
  local name=$1; shift
  local config_start=$SECONDS
  echo "=== $name ==="
  cmake -S "$root" -B "$build/$name" -G Ninja -DTYPENET_PYTHON=/usr/bin/python3 "$@"
  cmake --build "$build/$name"
  (cd "$build/$name" && ctest --output-on-failure -j 2)
  echo "=== $name: built and tested in $((SECONDS - config_start)) s ==="
}

start=$SECONDS
run_config gcc -DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=Release -DTYPENET_MARCH=native
run_config clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Release -DTYPENET_MARCH=x86-64-v2
# -O1 and line tables only: what sanitizer reports need, in about half the time of -O2 -g (12 min for
# build and tests, was 23); the parity programs, each many models, dominate. The other two builds
# test the optimised code. UBSan's pointer-overflow check is left out: on this code (fully unrolled
# fixed-size loops) it made Clang's compile 6x slower (tests/layers/recurrent.cpp under UBSan alone:
# 90 s with it, 14 s without; 12 s under ASan alone), and an out-of-bounds pointer that is used is
# ASan's to report. The whole sanitizer stage went from about 20 to 12 minutes.
run_config sanitizers -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTYPENET_MARCH=native \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only -DNDEBUG" -DTYPENET_SANITIZE=address,undefined \
  -DTYPENET_NO_SANITIZE=pointer-overflow
# ThreadSanitizer on the one program where threads share a Model (tests/model_threads.cpp): about
# 25 s of CPU, most of it Catch2's main. Without OpenMP: the OpenMP runtime is not built for TSan,
# which then reports races inside it that are none (seen with Clang 14's libomp); the other builds
# run the same program with OpenMP.
echo "=== tsan ==="
tsan_start=$SECONDS
cmake -S "$root" -B "$build/tsan" -G Ninja -DTYPENET_PYTHON=/usr/bin/python3 -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only -DNDEBUG" \
  -DTYPENET_MARCH=native -DTYPENET_SANITIZE=thread -DTYPENET_OPENMP=OFF -DTYPENET_BUILD_EXAMPLES=OFF \
  -DTYPENET_BUILD_TOOLS=OFF
cmake --build "$build/tsan" --target typenet_threads_test
(cd "$build/tsan" && ctest --output-on-failure --no-tests=error -R '^threads:')
echo "=== tsan: built and tested in $((SECONDS - tsan_start)) s ==="
# The libFuzzer targets build, and run clean from their seed corpora (files PyTorch wrote) for a
# short while each; scripts/fuzz.sh TARGET SECONDS runs one for longer.
echo "=== fuzz targets ==="
for target in zip_reader unpickler safetensors; do
  TYPENET_BUILD_DIR=$build "$root/scripts/fuzz.sh" "$target" 30
done
echo "all tests passed in $((SECONDS - start)) s"
