#!/usr/bin/env bash
# Builds the C++ kernel tests for AArch64 and runs them under qemu-user: functional coverage of the
# NEON kernels (and of the generic ones on an AArch64 build) without ARM hardware (KERNELS.md §6.7).
#
#   scripts/test-neon.sh [test-name-filter]
#
# Needs Debian's g++-aarch64-linux-gnu and qemu-user. Builds in build-aarch64/ (ignored by git).
# Environment: JOBS (parallel build jobs, default 2), BUILD_DIR (default build-aarch64).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${BUILD_DIR:-$root/build-aarch64}"
jobs="${JOBS:-2}"
filter="${1:-}"

missing=()
command -v aarch64-linux-gnu-g++ >/dev/null 2>&1 || missing+=("aarch64-linux-gnu-g++ (Debian package g++-aarch64-linux-gnu)")
command -v qemu-aarch64 >/dev/null 2>&1 || missing+=("qemu-aarch64 (Debian package qemu-user)")
[ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ] || missing+=("the AArch64 C library in /usr/aarch64-linux-gnu (Debian package libc6-arm64-cross)")
if [ "${#missing[@]}" -gt 0 ]; then
  echo "test-neon: cannot cross-test the NEON kernels, missing:" >&2
  for m in "${missing[@]}"; do echo "  - $m" >&2; done
  echo "install with: sudo apt-get install g++-aarch64-linux-gnu qemu-user" >&2
  exit 2
fi

cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$root/native/test/aarch64-toolchain.cmake"
cmake --build "$build_dir" --target gradnode_kernel_tests -j "$jobs"

if [ -n "$filter" ]; then
  # A filtered run: call the binary through qemu directly (ctest runs the whole suite).
  exec env OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}" qemu-aarch64 -L /usr/aarch64-linux-gnu \
    "$build_dir/gradnode_kernel_tests" "$filter"
fi
ctest --test-dir "$build_dir" --output-on-failure
