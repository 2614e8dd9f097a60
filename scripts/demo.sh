#!/usr/bin/env bash
# Installs what the demo needs, builds it, and runs it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TYPENET_BUILD_DIR:-$root/build}/demo
"$root/scripts/install-deps.sh" demo
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTYPENET_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target simple_mnist
"$build/examples/simple_mnist"
