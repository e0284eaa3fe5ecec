/* See CKilnKernels.h. Steps 1 and 2 get loops with a constant stride, which vectorize: the
 * always-inlined helpers take the step as an argument and the callers pass it as a literal. */

#include "CKilnKernels.h"
#include "KernelSupport.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

KILN_INLINE float arithmetic_one(kiln_arithmetic_op op, float a, float b) {
  switch (op) {
  case KILN_ADD: return a + b;
  case KILN_SUBTRACT: return a - b;
  case KILN_MULTIPLY: return a * b;
  default: return a / b;
  }
}

KILN_INLINE void arithmetic_run(kiln_arithmetic_op op, const float *restrict a, ptrdiff_t a_step,
                                const float *restrict b, ptrdiff_t b_step, float *restrict y, ptrdiff_t count,
                                float low, float high) {
  for (ptrdiff_t i = 0; i < count; i++) y[i] = clamp_one(arithmetic_one(op, a[i * a_step], b[i * b_step]), low, high);
}

/* One loop per op and step pair, each with constants the compiler vectorizes. */
KILN_INLINE void arithmetic_steps(kiln_arithmetic_op op, const float *a, ptrdiff_t a_step, const float *b,
                                  ptrdiff_t b_step, float *y, ptrdiff_t count, float low, float high) {
  if (a_step == 0) {
    arithmetic_run(op, a, 0, b, 1, y, count, low, high);
  } else if (b_step == 0) {
    arithmetic_run(op, a, 1, b, 0, y, count, low, high);
  } else {
    arithmetic_run(op, a, 1, b, 1, y, count, low, high);
  }
}

KILN_MULTIVERSION
void kiln_arithmetic(kiln_arithmetic_op op, const float *a, ptrdiff_t a_step, const float *b, ptrdiff_t b_step,
                     float *y, ptrdiff_t count, float low, float high) {
  switch (op) {
  case KILN_ADD: arithmetic_steps(KILN_ADD, a, a_step, b, b_step, y, count, low, high); break;
  case KILN_SUBTRACT: arithmetic_steps(KILN_SUBTRACT, a, a_step, b, b_step, y, count, low, high); break;
  case KILN_MULTIPLY: arithmetic_steps(KILN_MULTIPLY, a, a_step, b, b_step, y, count, low, high); break;
  case KILN_DIVIDE: arithmetic_steps(KILN_DIVIDE, a, a_step, b, b_step, y, count, low, high); break;
  }
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

/* Winograd F(4x4, 3x3) (Lavin & Gray 2015): a 6x6 input patch d becomes V = B^T d B, a 3x3
 * kernel g becomes U = G g G^T, and the 4x4 outputs of a tile are A^T M A where M sums U * V
 * (elementwise) over channels. Each transform applies a 1-D combination down the columns,
 * then along the rows: B^T takes 6 values to 6, G 3 to 6, A^T 6 to 4.
 * The tile loops take runs of up to KILN_WINOGRAD_RUN consecutive tiles (across tile rows),
 * eight tiles per step, one per vector lane; the input patches and the output rows pass
 * through buffers on the stack laid out so that every vector load and store is contiguous. */

#define KILN_WINOGRAD_RUN 64

/* One float per tile of a step (kiln_lanes, KernelSupport.h). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

KILN_INLINE void winograd_bt(const kiln_lanes d[6], kiln_lanes r[6]) {
  r[0] = 4 * d[0] - 5 * d[2] + d[4];
  r[1] = d[3] + d[4] - 4 * (d[1] + d[2]);
  r[2] = 4 * (d[1] - d[2]) + d[4] - d[3];
  r[3] = 2 * (d[3] - d[1]) + d[4] - d[2];
  r[4] = 2 * (d[1] - d[3]) + d[4] - d[2];
  r[5] = 4 * d[1] - 5 * d[3] + d[5];
}

KILN_INLINE void winograd_at(const kiln_lanes m[6], kiln_lanes r[4]) {
  kiln_lanes sum12 = m[1] + m[2], difference12 = m[1] - m[2];
  kiln_lanes sum34 = m[3] + m[4], difference34 = m[3] - m[4];
  r[0] = m[0] + sum12 + sum34;
  r[1] = difference12 + 2 * difference34;
  r[2] = sum12 + 4 * sum34;
  r[3] = difference12 + 8 * difference34 + m[5];
}

/* Multiplies by reciprocals rather than divides: divisions would make transforming a large
 * model's weights take as long as running it. */
KILN_INLINE void winograd_g(const float g[3], float r[6]) {
  const float sixth = 1.0f / 6, twelfth = 1.0f / 12, twentyfourth = 1.0f / 24;
  float outer = g[0] + g[2];
  r[0] = g[0] * 0.25f;
  r[1] = -(outer + g[1]) * sixth;
  r[2] = -(outer - g[1]) * sixth;
  r[3] = g[0] * twentyfourth + g[1] * twelfth + g[2] * sixth;
  r[4] = g[0] * twentyfourth - g[1] * twelfth + g[2] * sixth;
  r[5] = g[2];
}

/* Kernels transformed per batch: their results leave the stack as rows of a batch each, since
 * storing each kernel's 36 values straight to rows whose stride is a multiple of 4 KiB (C * M
 * floats) keeps evicting the cache lines just written. */
#define KILN_WINOGRAD_KERNEL_BATCH 64

KILN_MULTIVERSION
void kiln_winograd_weights(const float *g, ptrdiff_t count, float *u, ptrdiff_t stride) {
  float batch[36][KILN_WINOGRAD_KERNEL_BATCH];
  for (ptrdiff_t first = 0; first < count; first += KILN_WINOGRAD_KERNEL_BATCH) {
    ptrdiff_t size = count - first < KILN_WINOGRAD_KERNEL_BATCH ? count - first : KILN_WINOGRAD_KERNEL_BATCH;
    for (ptrdiff_t kernel = 0; kernel < size; kernel++) {
      const float *w = g + (first + kernel) * 9;
      float columns[3][6], row[3], result[6];
      for (int j = 0; j < 3; j++) {
        float column[3] = {w[j], w[3 + j], w[6 + j]};
        winograd_g(column, columns[j]);
      }
      for (int k = 0; k < 6; k++) {
        for (int j = 0; j < 3; j++) row[j] = columns[j][k];
        winograd_g(row, result);
        for (int l = 0; l < 6; l++) batch[k * 6 + l][kernel] = result[l];
      }
    }
    for (int xi = 0; xi < 36; xi++) memcpy(u + xi * stride + first, batch[xi], (size_t)size * sizeof(float));
  }
}

/* The part of tiles [t, end) that lies in t's tile row: returns its length and sets its row
 * and first column. */
KILN_INLINE ptrdiff_t winograd_part(const kiln_winograd_grid *g, ptrdiff_t t, ptrdiff_t end, ptrdiff_t *ty,
                                    ptrdiff_t *tx) {
  *ty = t / g->tiles_wide;
  *tx = t % g->tiles_wide;
  ptrdiff_t length = g->tiles_wide - *tx;
  return length < end - t ? length : end - t;
}

/* The input at `column` of `row` (a row of x, or NULL for a row in the padding), zero outside. */
KILN_INLINE float winograd_padded(const float *row, ptrdiff_t column, ptrdiff_t width) {
  return row != NULL && column >= 0 && column < width ? row[column] : 0;
}

/* The patches of `count` tiles of tile row ty from column tx, as patches[i][j][at + q] = the
 * padded input at row 4 * ty + i and column 4 * (tx + q) + j. The tiles whose patch columns
 * all lie in x are copied without bounds checks. */
KILN_INLINE void winograd_gather(const kiln_winograd_grid *g, const float *x, ptrdiff_t ty, ptrdiff_t tx,
                                 ptrdiff_t count, float patches[6][6][KILN_WINOGRAD_RUN], ptrdiff_t at) {
  ptrdiff_t origin = 4 * tx - g->pad_left;
  ptrdiff_t inside_first = origin < 0 ? (-origin + 3) / 4 : 0;
  ptrdiff_t inside_last = g->input_width - origin >= 6 ? (g->input_width - origin - 6) / 4 + 1 : 0;
  if (inside_last > count) inside_last = count;
  if (inside_first > inside_last) inside_first = inside_last;
  for (int i = 0; i < 6; i++) {
    ptrdiff_t y = 4 * ty + i - g->pad_top;
    const float *row = y >= 0 && y < g->input_height ? x + y * g->input_width : NULL;
    ptrdiff_t first = row == NULL ? count : inside_first, last = row == NULL ? count : inside_last;
    float *to[6] = {patches[i][0] + at, patches[i][1] + at, patches[i][2] + at,
                    patches[i][3] + at, patches[i][4] + at, patches[i][5] + at};
    for (ptrdiff_t q = 0; q < first; q++)
      for (int j = 0; j < 6; j++) to[j][q] = winograd_padded(row, origin + 4 * q + j, g->input_width);
    if (last > first) {
      const float *from = row + origin + 4 * first;
      for (ptrdiff_t q = 0; q < last - first; q++)
        for (int j = 0; j < 6; j++) to[j][first + q] = from[4 * q + j];
    }
    for (ptrdiff_t q = last; q < count; q++)
      for (int j = 0; j < 6; j++) to[j][q] = winograd_padded(row, origin + 4 * q + j, g->input_width);
  }
}

/* V = B^T d B for the eight tiles of the run from tile q. */
KILN_INLINE void winograd_input_step(float patches[6][6][KILN_WINOGRAD_RUN], ptrdiff_t q, kiln_lanes v[36]) {
  kiln_lanes columns[6][6], column[6], row[6];
  for (int j = 0; j < 6; j++) {
    for (int i = 0; i < 6; i++) column[i] = load_lanes(&patches[i][j][q]);
    winograd_bt(column, columns[j]);
  }
  for (int k = 0; k < 6; k++) {
    for (int j = 0; j < 6; j++) row[j] = columns[j][k];
    winograd_bt(row, &v[k * 6]);
  }
}

/* The input transform of a run of `count` (at most KILN_WINOGRAD_RUN) tiles from tile first. */
KILN_INLINE void winograd_input_run(const kiln_winograd_grid *g, const float *x, ptrdiff_t first, ptrdiff_t count,
                                    float *v, ptrdiff_t stride) {
  float patches[6][6][KILN_WINOGRAD_RUN];
  kiln_lanes result[36];
  ptrdiff_t ty, tx, end = first + count, steps = (count + KILN_LANES - 1) / KILN_LANES * KILN_LANES;
  for (ptrdiff_t t = first, length; t < end; t += length) {
    length = winograd_part(g, t, end, &ty, &tx);
    winograd_gather(g, x, ty, tx, length, patches, t - first);
  }
  for (int i = 0; i < 6; i++)
    for (int j = 0; j < 6; j++)
      for (ptrdiff_t q = count; q < steps; q++) patches[i][j][q] = 0;
  ptrdiff_t q = 0;
  for (; q + KILN_LANES <= count; q += KILN_LANES) {
    winograd_input_step(patches, q, result);
    for (int xi = 0; xi < 36; xi++) store_lanes(v + xi * stride + q, result[xi]);
  }
  if (q == count) return;
  winograd_input_step(patches, q, result);
  for (int xi = 0; xi < 36; xi++)
    for (ptrdiff_t lane = 0; lane < count - q; lane++) v[xi * stride + q + lane] = result[xi][lane];
}

/* A^T M A for the `lanes` (at most eight) tiles of the run from tile q, into planar[r][s][q...]. */
KILN_INLINE void winograd_output_step(const float *m, ptrdiff_t stride, ptrdiff_t q, ptrdiff_t lanes,
                                      float planar[4][4][KILN_WINOGRAD_RUN]) {
  kiln_lanes products[36], columns[6][4], column[6], row[6], result[4];
  if (lanes == KILN_LANES) {
    for (int xi = 0; xi < 36; xi++) products[xi] = load_lanes(m + xi * stride + q);
  } else {
    for (int xi = 0; xi < 36; xi++)
      for (ptrdiff_t lane = 0; lane < KILN_LANES; lane++)
        products[xi][lane] = lane < lanes ? m[xi * stride + q + lane] : 0;
  }
  for (int j = 0; j < 6; j++) {
    for (int i = 0; i < 6; i++) column[i] = products[i * 6 + j];
    winograd_at(column, columns[j]);
  }
  for (int r = 0; r < 4; r++) {
    for (int j = 0; j < 6; j++) row[j] = columns[j][r];
    winograd_at(row, result);
    for (int s = 0; s < 4; s++) store_lanes(&planar[r][s][q], result[s]);
  }
}

/* Writes the outputs of `count` tiles of tile row ty from column tx, whose results are
 * planar[r][s][at + q], with bias and clamp, dropping those outside the output plane. */
KILN_INLINE void winograd_scatter(const kiln_winograd_grid *g, float planar[4][4][KILN_WINOGRAD_RUN], ptrdiff_t at,
                                  ptrdiff_t ty, ptrdiff_t tx, ptrdiff_t count, float bias, float low, float high,
                                  float *y) {
  ptrdiff_t height = g->output_height - 4 * ty, width = g->output_width - 4 * tx;
  if (height > 4) height = 4;
  if (width > 4 * count) width = 4 * count;
  for (ptrdiff_t r = 0; r < height; r++) {
    float *to = y + (4 * ty + r) * g->output_width + 4 * tx;
    const float *p0 = planar[r][0] + at, *p1 = planar[r][1] + at, *p2 = planar[r][2] + at, *p3 = planar[r][3] + at;
    ptrdiff_t whole = width / 4;
    for (ptrdiff_t q = 0; q < whole; q++) {
      to[4 * q] = clamp_one(p0[q] + bias, low, high);
      to[4 * q + 1] = clamp_one(p1[q] + bias, low, high);
      to[4 * q + 2] = clamp_one(p2[q] + bias, low, high);
      to[4 * q + 3] = clamp_one(p3[q] + bias, low, high);
    }
    for (ptrdiff_t column = 4 * whole; column < width; column++)
      to[column] = clamp_one(planar[r][column & 3][at + (column >> 2)] + bias, low, high);
  }
}

/* The output transform of a run of `count` (at most KILN_WINOGRAD_RUN) tiles from tile first. */
KILN_INLINE void winograd_output_run(const kiln_winograd_grid *g, const float *m, ptrdiff_t stride, ptrdiff_t first,
                                     ptrdiff_t count, float bias, float low, float high, float *y) {
  float planar[4][4][KILN_WINOGRAD_RUN];
  for (ptrdiff_t q = 0; q < count; q += KILN_LANES)
    winograd_output_step(m, stride, q, count - q < KILN_LANES ? count - q : KILN_LANES, planar);
  ptrdiff_t ty, tx, end = first + count;
  for (ptrdiff_t t = first, length; t < end; t += length) {
    length = winograd_part(g, t, end, &ty, &tx);
    winograd_scatter(g, planar, t - first, ty, tx, length, bias, low, high, y);
  }
}

#pragma GCC diagnostic pop

KILN_MULTIVERSION
void kiln_winograd_input(const kiln_winograd_grid *grid, const float *x, ptrdiff_t first, ptrdiff_t count, float *v,
                         ptrdiff_t stride) {
  for (ptrdiff_t done = 0; done < count; done += KILN_WINOGRAD_RUN) {
    ptrdiff_t run = count - done < KILN_WINOGRAD_RUN ? count - done : KILN_WINOGRAD_RUN;
    winograd_input_run(grid, x, first + done, run, v + done, stride);
  }
}

KILN_MULTIVERSION
void kiln_winograd_output(const kiln_winograd_grid *grid, const float *m, ptrdiff_t stride, ptrdiff_t first,
                          ptrdiff_t count, float bias, float low, float high, float *y) {
  for (ptrdiff_t done = 0; done < count; done += KILN_WINOGRAD_RUN) {
    ptrdiff_t run = count - done < KILN_WINOGRAD_RUN ? count - done : KILN_WINOGRAD_RUN;
    winograd_output_run(grid, m + done, stride, first + done, run, bias, low, high, y);
  }
}

/* round_half_even(x / scale) + zero clamped to [low, high], NaN giving 0. Adding and subtracting
 * 1.5 * 2^23 rounds to an integer in the default (nearest-even) mode for |q| <= 2^22, without
 * a libm call, so the loop vectorizes; larger quotients saturate anyway. */
KILN_INLINE float quantized(float x, float scale, float zero, float low, float high) {
  float q = clamp_one(x / scale, -0x1p22f, 0x1p22f);
  q = clamp_one((q + 0x1.8p23f) - 0x1.8p23f + zero, low, high);
  return q == q ? q : 0.0f;
}

KILN_MULTIVERSION
void kiln_quantize_8bit(const float *x, ptrdiff_t count, float scale, float zero, bool is_signed, void *y) {
  if (is_signed) {
    int8_t *to = y;
    for (ptrdiff_t i = 0; i < count; i++) to[i] = (int8_t)(int32_t)quantized(x[i], scale, zero, -128.0f, 127.0f);
  } else {
    uint8_t *to = y;
    for (ptrdiff_t i = 0; i < count; i++) to[i] = (uint8_t)(int32_t)quantized(x[i], scale, zero, 0.0f, 255.0f);
  }
}

/* Neither NaN nor infinite. */
KILN_INLINE int is_finite_value(float x) { return fabsf(x) <= FLT_MAX; }

/* Running range and counts of finite values and NaNs, as kiln_histogram_add reports them. */
typedef struct {
  float low, high;
  ptrdiff_t finite, nans;
} value_range;

/* Eight floats or int32s, for the loops the compiler does not vectorize by itself. */
typedef float kiln_float8 __attribute__((ext_vector_type(8)));
typedef int32_t kiln_int8 __attribute__((ext_vector_type(8)));

/* Takes values[i] into the range, one value at a time. */
KILN_INLINE void take_value(value_range *range, float x) {
  int is_finite = is_finite_value(x);
  range->low = is_finite && x < range->low ? x : range->low;
  range->high = is_finite && x > range->high ? x : range->high;
  range->finite += is_finite;
  range->nans += x != x;
}

/* The most values finite_range takes at once: its lanes count in int32. */
enum { KILN_RANGE_RUN = 1 << 30 };

/* Takes the finite values among values[0, count) into the range (count at most
 * KILN_RANGE_RUN), eight lanes at a time: each lane keeps the scalar comparisons, so min
 * and max are those of a scalar scan (up to which of -0 and +0 a tie keeps). */
KILN_INLINE void finite_range(const float *restrict values, ptrdiff_t count, value_range *range) {
  kiln_float8 low = range->low, high = range->high;
  kiln_int8 seen = 0, not_numbers = 0;
  ptrdiff_t i = 0;
  for (; i + 8 <= count; i += 8) {
    kiln_float8 x;
    memcpy(&x, values + i, sizeof x);
    kiln_int8 is_finite = __builtin_elementwise_abs(x) <= FLT_MAX;
    low = (is_finite & (x < low)) ? x : low;
    high = (is_finite & (x > high)) ? x : high;
    seen -= is_finite;
    not_numbers -= x != x;
  }
  for (int lane = 0; lane < 8; lane++) {
    range->low = low[lane] < range->low ? low[lane] : range->low;
    range->high = high[lane] > range->high ? high[lane] : range->high;
    range->finite += seen[lane];
    range->nans += not_numbers[lane];
  }
  for (; i < count; i++) take_value(range, values[i]);
}

/* floor(v) for |v| < 2^62 without a libm call: truncation, one lower for negative non-integers. */
KILN_INLINE ptrdiff_t floor_index(double v) {
  ptrdiff_t truncated = (ptrdiff_t)v;
  return (double)truncated > v ? truncated - 1 : truncated;
}

/* Counts x into its bin of `counts` when it is finite. */
KILN_INLINE void count_value(uint64_t *counts, float x, double scale, ptrdiff_t middle) {
  if (is_finite_value(x)) counts[floor_index((double)x * scale) + middle]++;
}

/* Values per block of the lane histograms: their bin indices are computed in one vectorizable
 * loop, then counted. */
enum { KILN_HISTOGRAM_BLOCK = 256 };

/* Bin indices of one block, as count_value picks them: a non-finite value gets bin_count, and
 * a finite one beyond the bins the nearest edge bin (kiln_histogram_add then drops the pass).
 * block_bins computes x * scale in double; block_bins_float in float, for a scale of at least
 * 1 (and a float) only: x * scale is then exact in float too, as scale is a power of two that
 * cannot make a nonzero product underflow, so the bins are the same, at twice the values per
 * vector. */
#define KILN_BLOCK_BINS(name, real)                                                                  \
  KILN_INLINE void name(const float *restrict values, ptrdiff_t count, real scale, ptrdiff_t middle, \
                        ptrdiff_t bin_count, int32_t *restrict bins) {                               \
    real first = (real)-middle, last = (real)(middle - 1);                                           \
    for (ptrdiff_t i = 0; i < count; i++) {                                                          \
      float x = values[i];                                                                           \
      int is_finite = is_finite_value(x);                                                            \
      real v = is_finite ? (real)x * scale : 0;                                                      \
      v = v < first ? first : v;                                                                     \
      v = v > last ? last : v;                                                                       \
      int32_t truncated = (int32_t)v;                                                                \
      truncated -= (real)truncated > v;                                                              \
      bins[i] = is_finite ? truncated + (int32_t)middle : (int32_t)bin_count;                        \
    }                                                                                                \
  }

KILN_BLOCK_BINS(block_bins, double)
KILN_BLOCK_BINS(block_bins_float, float)

/* Values per lane of the lane histograms. */
enum { KILN_HISTOGRAM_LANES = 4 };

/* Private histograms, one per lane, of bin_count + 1 slots (the last takes the non-finite
 * values), for a tensor large enough to pay for their zeroing and summing; NULL for a smaller
 * one (or when memory is short). Runs of equal values (the zeros of a ReLU output) would make
 * every increment wait for the previous one to the same bin; the lanes break that chain. */
static uint64_t *lane_histograms(ptrdiff_t count, ptrdiff_t bin_count) {
  if (count < 8 * bin_count) return NULL;
  return calloc((size_t)(KILN_HISTOGRAM_LANES * (bin_count + 1)), sizeof(uint64_t));
}

/* Counts values into the lane histograms block by block, taking their range into `range`
 * too unless it is NULL. */
KILN_INLINE void count_into_lanes(const float *values, ptrdiff_t count, double scale, ptrdiff_t middle,
                                  ptrdiff_t bin_count, uint64_t *lanes, value_range *range) {
  ptrdiff_t stride = bin_count + 1;
  int32_t bins[KILN_HISTOGRAM_BLOCK];
  for (ptrdiff_t start = 0; start < count; start += KILN_HISTOGRAM_BLOCK) {
    ptrdiff_t n = count - start < KILN_HISTOGRAM_BLOCK ? count - start : KILN_HISTOGRAM_BLOCK, i = 0;
    if (range != NULL) finite_range(values + start, n, range);
    if (scale >= 1 && scale <= FLT_MAX) {
      block_bins_float(values + start, n, (float)scale, middle, bin_count, bins);
    } else {
      block_bins(values + start, n, scale, middle, bin_count, bins);
    }
    for (; i + KILN_HISTOGRAM_LANES <= n; i += KILN_HISTOGRAM_LANES) {
      for (ptrdiff_t lane = 0; lane < KILN_HISTOGRAM_LANES; lane++) lanes[lane * stride + bins[i + lane]]++;
    }
    for (; i < n; i++) lanes[bins[i]]++;
  }
}

/* Adds the lane histograms' bins (not their non-finite slots) into counts. */
KILN_INLINE void add_lanes(const uint64_t *lanes, ptrdiff_t bin_count, uint64_t *counts) {
  for (ptrdiff_t lane = 0; lane < KILN_HISTOGRAM_LANES; lane++) {
    for (ptrdiff_t bin = 0; bin < bin_count; bin++) counts[bin] += lanes[lane * (bin_count + 1) + bin];
  }
}

KILN_MULTIVERSION
void kiln_histogram_bins(const float *values, ptrdiff_t count, double scale, ptrdiff_t middle, uint64_t *counts,
                         ptrdiff_t bin_count) {
  uint64_t *lanes = lane_histograms(count, bin_count);
  if (lanes == NULL) {
    for (ptrdiff_t i = 0; i < count; i++) count_value(counts, values[i], scale, middle);
    return;
  }
  count_into_lanes(values, count, scale, middle, bin_count, lanes, NULL);
  add_lanes(lanes, bin_count, counts);
  free(lanes);
}

/* Fits when no finite value reached the bins' edge: min and max inside (-limit, limit). */
KILN_INLINE bool range_fits(float low, float high, double limit) { return -(double)low < limit && (double)high < limit; }

/* kiln_histogram_add over a value_range: one pass into lane histograms for a large tensor,
 * committed only when it fits; the range first, then the bins, for a small one. */
KILN_INLINE bool binned_in_one_pass(const float *values, ptrdiff_t count, double scale, ptrdiff_t middle, double limit,
                                    uint64_t *counts, ptrdiff_t bin_count, value_range *range) {
  uint64_t *lanes = lane_histograms(count, bin_count);
  if (lanes == NULL) {
    for (ptrdiff_t start = 0; start < count; start += KILN_RANGE_RUN) {
      finite_range(values + start, count - start < KILN_RANGE_RUN ? count - start : KILN_RANGE_RUN, range);
    }
    if (!range_fits(range->low, range->high, limit)) return false;
    kiln_histogram_bins(values, count, scale, middle, counts, bin_count);
    return true;
  }
  count_into_lanes(values, count, scale, middle, bin_count, lanes, range);
  bool fits = range_fits(range->low, range->high, limit);
  if (fits) add_lanes(lanes, bin_count, counts);
  free(lanes);
  return fits;
}

KILN_MULTIVERSION
bool kiln_histogram_add(const float *values, ptrdiff_t count, double scale, ptrdiff_t middle, double limit,
                        uint64_t *counts, ptrdiff_t bin_count, float *low, float *high, ptrdiff_t *finite,
                        ptrdiff_t *nans) {
  value_range range = {*low, *high, 0, 0};
  bool fits = binned_in_one_pass(values, count, scale, middle, limit, counts, bin_count, &range);
  *low = range.low;
  *high = range.high;
  *finite += range.finite;
  *nans += range.nans;
  return fits;
}

void kiln_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}
