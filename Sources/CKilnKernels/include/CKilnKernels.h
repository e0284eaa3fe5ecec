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

/* A 2-D sliding window over one plane: input and output sizes, kernel, strides, dilations and
 * leading pads (trailing pads follow from the output size). Kernel, strides and dilations are
 * positive; sizes and pads are at least 0. */
typedef struct {
  ptrdiff_t input_height, input_width;
  ptrdiff_t kernel_height, kernel_width;
  ptrdiff_t stride_y, stride_x;
  ptrdiff_t dilation_y, dilation_x;
  ptrdiff_t pad_top, pad_left;
  ptrdiff_t output_height, output_width;
} kiln_window_2d;

/* One plane of a depthwise convolution, in one pass over the output (small planes through a
 * zero-padded copy on the stack):
 * y[oy][ox] = clamp(bias + sum over taps (ky, kx) inside x of w[ky][kx] * x[iy][ix]) with
 * iy = oy * stride_y - pad_top + ky * dilation_y (ix likewise), clamped to [low, high] (NaN
 * stays NaN; infinite bounds clamp nothing). x is (input_height, input_width), w is
 * (kernel_height, kernel_width), y is (output_height, output_width); y overlaps neither. */
void kiln_depthwise_plane(const kiln_window_2d *window, const float *x, const float *w, float bias, float low,
                          float high, float *y);

/* A hint to the processor that the caller is spinning on a flag (x86 PAUSE, ARM YIELD): it
 * saves power and leaves execution resources to a sibling hardware thread. */
void kiln_cpu_relax(void);

#endif
