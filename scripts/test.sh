#!/usr/bin/env bash
# Installs what the tests need, then builds and runs every test three times: with GCC 12, with
# Clang 14, and with Clang under AddressSanitizer + UndefinedBehaviorSanitizer. All builds use
# -Wall -Wextra -Werror. Build trees go to $TYPENET_BUILD_DIR (default: ./build).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TYPENET_BUILD_DIR:-$root/build}
"$root/scripts/install-deps.sh" test

run_config() {
  local name=$1; shift
  echo "=== $name ==="
  cmake -S "$root" -B "$build/$name" -G Ninja -DTYPENET_PYTHON=/usr/bin/python3 "$@"
  cmake --build "$build/$name"
  (cd "$build/$name" && ctest --output-on-failure -j 2)
}

start=$SECONDS
run_config gcc -DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=Release
run_config clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Release
run_config sanitizers -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTYPENET_SANITIZE=address,undefined
echo "all tests passed in $((SECONDS - start)) s"
