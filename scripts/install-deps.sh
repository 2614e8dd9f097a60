#!/usr/bin/env bash
# Installs the Debian 12 packages typenet's scripts need. Usage: install-deps.sh [demo|test|bench|all]
# Packages already installed are not fetched again, so re-runs work offline.
set -euo pipefail

common=(cmake ninja-build g++ libboost-dev python3-torch)
case "${1:-all}" in
  demo) packages=("${common[@]}" dataset-fashion-mnist zlib1g-dev libopenblas0-openmp) ;;
  test) packages=("${common[@]}" python3-torchvision clang libclang-rt-14-dev libomp-14-dev catch2 dataset-fashion-mnist zlib1g-dev) ;;
  bench) packages=("${common[@]}" python3-torchvision clang libbenchmark-dev libtorch-dev libopenblas0-openmp python3-matplotlib time) ;;
  all) packages=("${common[@]}" python3-torchvision clang libclang-rt-14-dev libomp-14-dev catch2 dataset-fashion-mnist zlib1g-dev libbenchmark-dev
                 libtorch-dev libopenblas0-openmp python3-matplotlib time valgrind) ;;
  *) echo "usage: $0 [demo|test|bench|all]" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
