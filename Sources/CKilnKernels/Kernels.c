/* See CKilnKernels.h. Steps 1 and 2 get loops with a constant stride, which vectorize: the
 * always-inlined helpers take the step as an argument and the callers pass it as a literal. */

#include "CKilnKernels.h"

#if defined(__x86_64__) && defined(__linux__)
#define KILN_MULTIVERSION __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define KILN_MULTIVERSION
#endif

#define KILN_INLINE static inline __attribute__((always_inline))

KILN_INLINE float clamp_one(float v, float low, float high) {
  v = v < low ? low : v;
  return v > high ? high : v;
}

KILN_INLINE void accumulate(float *restrict to, const float *restrict from, float weight, ptrdiff_t count,
                            ptrdiff_t step) {
  for (ptrdiff_t i = 0; i < count; i++) to[i] += weight * from[i * step];
}

KILN_MULTIVERSION
void kiln_accumulate_scaled(float *restrict to, const float *restrict from, float weight, ptrdiff_t count,
                            ptrdiff_t step) {
  if (step == 1) {
    accumulate(to, from, weight, count, 1);
  } else if (step == 2) {
    accumulate(to, from, weight, count, 2);
  } else {
    accumulate(to, from, weight, count, step);
  }
}

KILN_MULTIVERSION
void kiln_clamp(float *values, ptrdiff_t count, float low, float high) {
  for (ptrdiff_t i = 0; i < count; i++) values[i] = clamp_one(values[i], low, high);
}

/* ceil(a / b) for b > 0 and any sign of a; b is mostly 1 (a stride or dilation), which skips
 * the division. */
KILN_INLINE ptrdiff_t ceiling_divide(ptrdiff_t a, ptrdiff_t b) {
  if (b == 1) return a;
  return a >= 0 ? (a + b - 1) / b : -(-a / b);
}

/* The taps [first, last) along one axis that land inside the input for the window starting at
 * `origin` (which may be negative, in the leading pad). */
KILN_INLINE void taps_inside(ptrdiff_t origin, ptrdiff_t size, ptrdiff_t kernel, ptrdiff_t dilation,
                             ptrdiff_t *first, ptrdiff_t *last) {
  ptrdiff_t low = ceiling_divide(-origin, dilation), high = ceiling_divide(size - origin, dilation);
  *first = low < 0 ? 0 : low;
  *last = high > kernel ? kernel : high;
  if (*last < *first) *last = *first;
}

/* One output element with every tap bounds-checked: the columns at the left and right edges. */
KILN_INLINE float edge_sum(const kiln_window_2d *g, const float *x, const float *w, ptrdiff_t row_origin,
                           ptrdiff_t ky_first, ptrdiff_t ky_last, ptrdiff_t ox) {
  ptrdiff_t origin = ox * g->stride_x - g->pad_left, kx_first, kx_last;
  taps_inside(origin, g->input_width, g->kernel_width, g->dilation_x, &kx_first, &kx_last);
  float sum = 0;
  for (ptrdiff_t ky = ky_first; ky < ky_last; ky++) {
    ptrdiff_t row = (row_origin + ky * g->dilation_y) * g->input_width + origin;
    for (ptrdiff_t kx = kx_first; kx < kx_last; kx++) sum += w[ky * g->kernel_width + kx] * x[row + kx * g->dilation_x];
  }
  return sum;
}

/* `count` interior outputs of a 3x3 window whose three rows are all inside the input, in one
 * pass: rows r0..r2 start at the first output's window. */
KILN_INLINE void interior_3x3(float *restrict y, const float *r0, const float *r1, const float *r2,
                              const float *restrict w, ptrdiff_t dx, ptrdiff_t count, ptrdiff_t step, float bias,
                              float low, float high) {
  float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5], w6 = w[6], w7 = w[7], w8 = w[8];
  for (ptrdiff_t i = 0; i < count; i++) {
    ptrdiff_t j = i * step;
    float sum = bias + w0 * r0[j] + w1 * r0[j + dx] + w2 * r0[j + 2 * dx] + w3 * r1[j] + w4 * r1[j + dx] +
                w5 * r1[j + 2 * dx] + w6 * r2[j] + w7 * r2[j + dx] + w8 * r2[j + 2 * dx];
    y[i] = clamp_one(sum, low, high);
  }
}

/* `count` interior outputs of any window, one pass per tap inside the input (rows
 * [ky_first, ky_last)): the first output's window starts at offset `origin` of x. */
KILN_INLINE void interior_taps(const kiln_window_2d *g, float *restrict y, const float *x, ptrdiff_t origin,
                               const float *w, ptrdiff_t ky_first, ptrdiff_t ky_last, ptrdiff_t count, float bias,
                               float low, float high) {
  for (ptrdiff_t i = 0; i < count; i++) y[i] = bias;
  for (ptrdiff_t ky = ky_first; ky < ky_last; ky++) {
    const float *row = x + origin + ky * g->dilation_y * g->input_width;
    for (ptrdiff_t kx = 0; kx < g->kernel_width; kx++) {
      const float *from = row + kx * g->dilation_x;
      float weight = w[ky * g->kernel_width + kx];
      if (g->stride_x == 1) {
        accumulate(y, from, weight, count, 1);
      } else if (g->stride_x == 2) {
        accumulate(y, from, weight, count, 2);
      } else {
        accumulate(y, from, weight, count, g->stride_x);
      }
    }
  }
  for (ptrdiff_t i = 0; i < count; i++) y[i] = clamp_one(y[i], low, high);
}

/* The outputs [first, last) along one axis whose whole window lies inside the input; `first`
 * may equal `last` (no such output). */
KILN_INLINE void inside_outputs(ptrdiff_t size, ptrdiff_t pad, ptrdiff_t kernel, ptrdiff_t dilation, ptrdiff_t stride,
                                ptrdiff_t outputs, ptrdiff_t *first, ptrdiff_t *last) {
  ptrdiff_t reach = size - 1 + pad - (kernel - 1) * dilation;
  ptrdiff_t high = reach < 0 ? 0 : reach / stride + 1, low = ceiling_divide(pad, stride);
  *last = high > outputs ? outputs : high;
  *first = low > *last ? *last : low;
}

/* `count` outputs at y whose windows lie inside the input along the width (kernel rows
 * [ky_first, ky_last) inside along the height), the first window starting at offset `origin`
 * of x and the next ones stride_x further each: the fused 3x3 loop when the whole window is
 * inside, else one pass per tap. */
KILN_INLINE void interior_run(const kiln_window_2d *g, float *restrict y, const float *x, ptrdiff_t origin,
                              const float *w, ptrdiff_t ky_first, ptrdiff_t ky_last, ptrdiff_t count, float bias,
                              float low, float high) {
  if (count <= 0) return;
  if (!(g->kernel_height == 3 && g->kernel_width == 3 && ky_first == 0 && ky_last == 3)) {
    interior_taps(g, y, x, origin, w, ky_first, ky_last, count, bias, low, high);
    return;
  }
  ptrdiff_t dx = g->dilation_x, dy = g->dilation_y * g->input_width;
  const float *r0 = x + origin, *r1 = r0 + dy, *r2 = r1 + dy;
  if (g->stride_x == 1) {
    interior_3x3(y, r0, r1, r2, w, dx, count, 1, bias, low, high);
  } else if (g->stride_x == 2) {
    interior_3x3(y, r0, r1, r2, w, dx, count, 2, bias, low, high);
  } else {
    interior_3x3(y, r0, r1, r2, w, dx, count, g->stride_x, bias, low, high);
  }
}

/* Output row oy: the edge columns (outside [first, last)) bounds-checked, and the interior
 * columns unless `interior_done`. */
KILN_INLINE void plane_row(const kiln_window_2d *g, const float *x, const float *w, ptrdiff_t oy, ptrdiff_t first,
                           ptrdiff_t last, int interior_done, float bias, float low, float high, float *y) {
  float *y_row = y + oy * g->output_width;
  ptrdiff_t row_origin = oy * g->stride_y - g->pad_top, ky_first, ky_last;
  taps_inside(row_origin, g->input_height, g->kernel_height, g->dilation_y, &ky_first, &ky_last);
  for (ptrdiff_t ox = 0; ox < first; ox++)
    y_row[ox] = clamp_one(bias + edge_sum(g, x, w, row_origin, ky_first, ky_last, ox), low, high);
  if (!interior_done) {
    ptrdiff_t origin = row_origin * g->input_width + first * g->stride_x - g->pad_left;
    interior_run(g, y_row + first, x, origin, w, ky_first, ky_last, last - first, bias, low, high);
  }
  for (ptrdiff_t ox = last; ox < g->output_width; ox++)
    y_row[ox] = clamp_one(bias + edge_sum(g, x, w, row_origin, ky_first, ky_last, ox), low, high);
}

/* The most floats a small plane takes once padded: its copy and its result stay on the stack. */
#define KILN_SMALL_PLANE 1024

/* A plane small enough to copy, with equal strides of 1 or 2: x with its padding written out
 * as zeros, so that output oy * padded_width + ox reads padded input stride * (oy *
 * padded_width + ox) plus a fixed offset per tap, and the whole plane is one flat loop without
 * edge columns. Each row's padded_width - output_width extra results (about half the row at
 * stride 2) are dropped. False when the plane does not qualify. */
KILN_INLINE int small_plane(const kiln_window_2d *g, const float *x, const float *w, float bias, float low,
                            float high, float *y) {
  ptrdiff_t stride = g->stride_x;
  ptrdiff_t height = stride * (g->output_height - 1) + (g->kernel_height - 1) * g->dilation_y + 1;
  ptrdiff_t width = stride * (g->output_width - 1) + (g->kernel_width - 1) * g->dilation_x + 1;
  if (stride > 2 || g->stride_y != stride || height * width > KILN_SMALL_PLANE) return 0;
  float padded[KILN_SMALL_PLANE], result[KILN_SMALL_PLANE];
  /* One zeroing pass, then one copy per input row: a few calls rather than several per row. */
  ptrdiff_t begin = g->pad_left < width ? g->pad_left : width;
  ptrdiff_t end = g->pad_left + g->input_width < width ? g->pad_left + g->input_width : width;
  ptrdiff_t first_row = g->pad_top < height ? g->pad_top : height;
  ptrdiff_t last_row = g->pad_top + g->input_height < height ? g->pad_top + g->input_height : height;
  for (ptrdiff_t i = 0; i < height * width; i++) padded[i] = 0;
  for (ptrdiff_t row = first_row; row < last_row; row++) {
    const float *from = x + (row - g->pad_top) * g->input_width - g->pad_left;
    for (ptrdiff_t column = begin; column < end; column++) padded[row * width + column] = from[column];
  }
  kiln_window_2d flat = {height, width, g->kernel_height, g->kernel_width, stride, stride, g->dilation_y,
                         g->dilation_x, 0, 0, g->output_height, width};
  interior_run(&flat, result, padded, 0, w, 0, g->kernel_height, (g->output_height - 1) * width + g->output_width,
               bias, low, high);
  for (ptrdiff_t oy = 0; oy < g->output_height; oy++)
    for (ptrdiff_t ox = 0; ox < g->output_width; ox++) y[oy * g->output_width + ox] = result[oy * width + ox];
  return 1;
}

/* Small planes (rows of 7 to 28 columns: too short for vectors, and mostly edges) with strides
 * 1 or 2 go through a padded copy. On larger ones, with strides 1 and an output as wide as the
 * input, output oy * width + ox reads input (oy * width + ox) plus a fixed offset per tap, so
 * the rows whose windows lie inside along the height run as one flat loop, from the first
 * interior column of the first row to the last of the last: every read stays inside x. The
 * edge columns it computes wrap across rows and are then overwritten. Other planes go row by
 * row. */
KILN_MULTIVERSION
void kiln_depthwise_plane(const kiln_window_2d *window, const float *x, const float *w, float bias, float low,
                          float high, float *y) {
  const kiln_window_2d *g = window;
  if (g->output_height == 0 || g->output_width == 0 || small_plane(g, x, w, bias, low, high, y)) return;
  ptrdiff_t first, last, top, bottom, width = g->input_width;
  inside_outputs(width, g->pad_left, g->kernel_width, g->dilation_x, g->stride_x, g->output_width, &first, &last);
  inside_outputs(g->input_height, g->pad_top, g->kernel_height, g->dilation_y, g->stride_y, g->output_height, &top,
                 &bottom);
  int flat = g->stride_x == 1 && g->stride_y == 1 && g->output_width == width && last > first && bottom > top;
  if (flat) {
    ptrdiff_t start = top * width + first;
    interior_run(g, y + start, x, start - g->pad_top * width - g->pad_left, w, 0, g->kernel_height,
                 (bottom - 1 - top) * width + last - first, bias, low, high);
  }
  for (ptrdiff_t oy = 0; oy < g->output_height; oy++)
    plane_row(g, x, w, oy, first, last, flat && oy >= top && oy < bottom, bias, low, high, y);
}

void kiln_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}
