#!/usr/bin/env bash
# System packages the full test suite and the benchmarks use, from Debian/Ubuntu's archive:
#   g++-aarch64-linux-gnu, qemu-user  the NEON kernels, cross-compiled and run under emulation (npm test)
#   cmake, g++, make, python3         building the addon and the C++ kernel tests
#   binutils                          objdump, for the ISA guard (npm test)
#   dataset-fashion-mnist             the full data set (/usr/share/datasets/fashion-mnist) for the data tests
#   python3-numpy                     the independent safetensors reader/writer of the interop tests
#   libopenblas-dev, python3-torch    peers the benchmarks compare against (npm run bench); optional:
#                                     bench/native/gradnode_bench links OpenBLAS's cblas_sgemm (found
#                                     by CMake when it configures build-bench/), bench/peers/*.py run
#                                     with /usr/bin/python3, which has python3-torch; without them the
#                                     OpenBLAS / PyTorch columns say "skipped" and why
# Usage: bash scripts/install-system-deps.sh [--with-peers]
set -euo pipefail
packages=(g++ make cmake python3 python3-numpy binutils g++-aarch64-linux-gnu qemu-user dataset-fashion-mnist)
if [[ "${1:-}" == "--with-peers" ]]; then packages+=(libopenblas-dev python3-torch); fi
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-system-deps: all present (${packages[*]})"
  exit 0
fi
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
echo "install-system-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
