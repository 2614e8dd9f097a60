#!/usr/bin/env bash
# Builds typenet's libFuzzer targets with Clang and runs one for a while:
#
#   scripts/fuzz.sh TARGET SECONDS        TARGET: zip_reader, unpickler or safetensors
#
# The build goes to $TYPENET_BUILD_DIR/fuzz (default ./build/fuzz). A target's seed corpus is made
# from real files written by PyTorch the first time, by fuzz/make_corpus_TARGET.py OUTPUT_DIR (the
# .pth targets share fuzz/make_corpus_pth.py OUTPUT_DIR TARGET), into build/fuzz/corpus/TARGET, which
# the run then grows. Crashing inputs go to build/fuzz/artifacts/TARGET/; replay one with
#   build/fuzz/fuzz/TARGET build/fuzz/artifacts/TARGET/crash-...
set -euo pipefail
if [ $# -ne 2 ] || ! [[ $2 =~ ^[0-9]+$ ]]; then
  echo "usage: $0 TARGET SECONDS   (TARGET: zip_reader, unpickler or safetensors)" >&2
  exit 2
fi
target=$1 seconds=$2
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TYPENET_BUILD_DIR:-$root/build}/fuzz
python=${TYPENET_PYTHON:-/usr/bin/python3}

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTYPENET_BUILD_FUZZERS=ON -DTYPENET_BUILD_TESTS=OFF -DTYPENET_BUILD_EXAMPLES=OFF -DTYPENET_BUILD_TOOLS=OFF \
  -DTYPENET_OPENMP=OFF -DTYPENET_PYTHON="$python" >/dev/null
cmake --build "$build" --target "$target" -j 2

corpus=$build/corpus/$target
if [ ! -d "$corpus" ] || [ -z "$(ls -A "$corpus")" ]; then
  case $target in
    zip_reader | unpickler) corpus_script=$root/fuzz/make_corpus_pth.py ;;
    *) corpus_script=$root/fuzz/make_corpus_$target.py ;;
  esac
  rm -rf "$corpus.partial"
  "$python" "$corpus_script" "$corpus.partial" "$target"
  mv "$corpus.partial" "$corpus"
fi

artifacts=$build/artifacts/$target
mkdir -p "$artifacts"
exec "$build/fuzz/$target" "$corpus" -max_total_time="$seconds" -artifact_prefix="$artifacts/" \
  -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
