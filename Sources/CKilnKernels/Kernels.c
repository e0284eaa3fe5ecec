/* See CKilnKernels.h. Steps 1 and 2 get loops with a constant stride, which vectorize. */

#include "CKilnKernels.h"

#if defined(__x86_64__) && defined(__linux__)
#define KILN_MULTIVERSION __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define KILN_MULTIVERSION
#endif

KILN_MULTIVERSION
void kiln_accumulate_scaled(float *restrict to, const float *restrict from, float weight, ptrdiff_t count,
                            ptrdiff_t step) {
  if (step == 1) {
    for (ptrdiff_t i = 0; i < count; i++) to[i] += weight * from[i];
  } else if (step == 2) {
    for (ptrdiff_t i = 0; i < count; i++) to[i] += weight * from[2 * i];
  } else {
    for (ptrdiff_t i = 0; i < count; i++) to[i] += weight * from[i * step];
  }
}

KILN_MULTIVERSION
void kiln_clamp(float *values, ptrdiff_t count, float low, float high) {
  for (ptrdiff_t i = 0; i < count; i++) {
    float v = values[i];
    v = v < low ? low : v;
    values[i] = v > high ? high : v;
  }
}

void kiln_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}
