// Shared definitions for every kernel translation unit.
//
// Kernels are plain C++17 over raw float pointers and integer sizes. They know nothing about Node,
// tensors or graphs. Callers (the addon glue, the C++ tests) validate shapes and lengths first; a
// kernel only asserts its preconditions in debug builds.
//
// This header is included by the per-ISA translation units too, so it must stay free of anything
// that instantiates templates or inline functions with external linkage (no STL containers or
// algorithms): such code, compiled once with -mavx2 and once without, would be merged by the linker
// and could leave AVX instructions in the baseline path (KERNELS.md §6.5).
#ifndef GRADNODE_KERNELS_COMMON_H_
#define GRADNODE_KERNELS_COMMON_H_

#include <cstddef>
#include <cstdint>

#if defined(_MSC_VER)
#define GN_RESTRICT __restrict
#else
#define GN_RESTRICT __restrict__
#endif

// Inlined whatever GCC's heuristics say: for small templates that take a lambda and must dissolve
// into their caller's loop (winograd_tiles.inc: left out of line, the AVX-512 backward-filter
// transform reloaded its captures around every masked store and ran 2-3x slower).
#if defined(_MSC_VER)
#define GN_ALWAYS_INLINE __forceinline
#else
#define GN_ALWAYS_INLINE inline __attribute__((always_inline))
#endif

// A hint to bring the cache line holding p into L1 ahead of its use (a no-op where unsupported).
#if defined(_MSC_VER)
#define GN_PREFETCH(p) ((void)(p))
#else
#define GN_PREFETCH(p) __builtin_prefetch((p), 0, 3)
#endif

namespace gn {

using index_t = std::int64_t;

}  // namespace gn

#endif  // GRADNODE_KERNELS_COMMON_H_
