# Cross-compiles the kernel library and its C++ tests for AArch64 (the NEON kernels) with Debian's
# g++-aarch64-linux-gnu, and runs them under qemu-user (ctest uses CMAKE_CROSSCOMPILING_EMULATOR).
# Used by scripts/test-neon.sh:
#   cmake -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=native/test/aarch64-toolchain.cmake
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(GN_AARCH64_PREFIX aarch64-linux-gnu)
set(GN_AARCH64_SYSROOT /usr/${GN_AARCH64_PREFIX})

set(CMAKE_C_COMPILER ${GN_AARCH64_PREFIX}-gcc)
set(CMAKE_CXX_COMPILER ${GN_AARCH64_PREFIX}-g++)

# Look for libraries and headers (libgomp, libstdc++) in the target tree, programs on the host.
set(CMAKE_FIND_ROOT_PATH ${GN_AARCH64_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# qemu-user runs the test binary; -L points it at the target's dynamic loader and libraries.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L ${GN_AARCH64_SYSROOT})
