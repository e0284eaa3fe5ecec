/* What the C kernels share: multiversioning (an x86-64-v3 build and a baseline one of a
 * function, the loader picking one), forced inlining, clamping, packing a matrix into panels
 * of rows, and eight-float vectors. */
#ifndef KILN_KERNEL_SUPPORT_H
#define KILN_KERNEL_SUPPORT_H

#include <stddef.h>
#include <string.h>

#if defined(__x86_64__) && defined(__linux__)
#define KILN_MULTIVERSION __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define KILN_MULTIVERSION
#endif

#define KILN_INLINE static inline __attribute__((always_inline))

/* min(max(v, low), high); NaN stays NaN. */
KILN_INLINE float clamp_one(float v, float low, float high) {
  v = v < low ? low : v;
  return v > high ? high : v;
}

/* Floats of pack_row_panels' result: rows rounded up to whole panels, times depth. */
KILN_INLINE ptrdiff_t row_panels_count(ptrdiff_t rows, ptrdiff_t depth, ptrdiff_t panel) {
  return (rows + panel - 1) / panel * panel * depth;
}

/* A [rows, depth] (row i at a + i * a_stride) as [ceil(rows / panel)][depth][panel]: each step
 * of the depth holds one element of each of `panel` consecutive rows, the rows past the last
 * zero. */
KILN_INLINE void pack_row_panels(const float *a, ptrdiff_t rows, ptrdiff_t depth, ptrdiff_t a_stride, ptrdiff_t panel,
                                 float *packed) {
  for (ptrdiff_t first = 0; first < rows; first += panel) {
    for (ptrdiff_t p = 0; p < depth; p++, packed += panel) {
      for (ptrdiff_t r = 0; r < panel; r++) packed[r] = first + r < rows ? a[(first + r) * a_stride + p] : 0;
    }
  }
}

#define KILN_LANES 8

/* Eight floats, one per vector lane. Loads and stores go through memcpy: unaligned vector
 * moves. Values of this type never cross a call (every helper taking one is inlined), so the
 * baseline build's warning that passing it changes the ABI does not apply (callers silence
 * -Wpsabi around their use). */
typedef float kiln_lanes __attribute__((vector_size(KILN_LANES * sizeof(float))));

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

KILN_INLINE kiln_lanes load_lanes(const float *from) {
  kiln_lanes lanes;
  memcpy(&lanes, from, sizeof lanes);
  return lanes;
}

KILN_INLINE void store_lanes(float *to, kiln_lanes lanes) { memcpy(to, &lanes, sizeof lanes); }

/* x in every lane. */
KILN_INLINE kiln_lanes splat_lanes(float x) { return (kiln_lanes){x, x, x, x, x, x, x, x}; }

#pragma GCC diagnostic pop

#endif
