/* Inner loops of KilnRuntime that gain from the wider vector units (AVX2, FMA) of the machine
 * they run on. Each is compiled twice, for x86-64-v3 and for the baseline, and the loader picks
 * the right one once (an ifunc), so one binary runs everywhere and fast where it can. Also the
 * spin-wait hint the worker pool needs, which Swift does not expose. */
#ifndef CKILNKERNELS_H
#define CKILNKERNELS_H

#include <stddef.h>

/* to[i] += weight * from[i * step] for i in [0, count). `to` and `from` do not overlap. */
void kiln_accumulate_scaled(float *to, const float *from, float weight, ptrdiff_t count, ptrdiff_t step);

/* values[i] = min(max(values[i], low), high) for i in [0, count); NaN stays NaN. */
void kiln_clamp(float *values, ptrdiff_t count, float low, float high);

/* A hint to the processor that the caller is spinning on a flag (x86 PAUSE, ARM YIELD): it
 * saves power and leaves execution resources to a sibling hardware thread. */
void kiln_cpu_relax(void);

#endif
