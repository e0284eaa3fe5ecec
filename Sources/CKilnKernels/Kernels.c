/* See CKilnKernels.h. Steps 1 and 2 get loops with a constant stride, which vectorize: the
 * always-inlined helpers take the step as an argument and the callers pass it as a literal. */

#include "CKilnKernels.h"

#include <string.h>

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

/* Winograd F(4x4, 3x3) (Lavin & Gray 2015): a 6x6 input patch d becomes V = B^T d B, a 3x3
 * kernel g becomes U = G g G^T, and the 4x4 outputs of a tile are A^T M A where M sums U * V
 * (elementwise) over channels. Each transform applies a 1-D combination down the columns,
 * then along the rows: B^T takes 6 values to 6, G 3 to 6, A^T 6 to 4.
 * The tile loops take up to KILN_WINOGRAD_SEGMENT tiles of one tile row at a time, eight
 * tiles per step, one per vector lane; the input patches and the output rows pass through
 * buffers on the stack laid out so that every vector load and store is contiguous. */

#define KILN_WINOGRAD_SEGMENT 64
#define KILN_LANES 8

/* One float per tile of a step. Loads and stores go through memcpy: unaligned vector moves.
 * Values of this type never cross a call (every helper taking one is inlined), so the
 * baseline build's warning that passing it changes the ABI does not apply. */
typedef float kiln_lanes __attribute__((vector_size(KILN_LANES * sizeof(float))));
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

KILN_INLINE kiln_lanes load_lanes(const float *from) {
  kiln_lanes lanes;
  memcpy(&lanes, from, sizeof lanes);
  return lanes;
}

KILN_INLINE void store_lanes(float *to, kiln_lanes lanes) { memcpy(to, &lanes, sizeof lanes); }

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

KILN_INLINE void winograd_g(const float g[3], float r[6]) {
  r[0] = g[0] / 4;
  r[1] = -(g[0] + g[1] + g[2]) / 6;
  r[2] = -(g[0] - g[1] + g[2]) / 6;
  r[3] = g[0] / 24 + g[1] / 12 + g[2] / 6;
  r[4] = g[0] / 24 - g[1] / 12 + g[2] / 6;
  r[5] = g[2];
}

void kiln_winograd_weights(const float *g, float *u, ptrdiff_t stride) {
  float columns[3][6], row[3], result[6];
  for (int j = 0; j < 3; j++) {
    float column[3] = {g[j], g[3 + j], g[6 + j]};
    winograd_g(column, columns[j]);
  }
  for (int k = 0; k < 6; k++) {
    for (int j = 0; j < 3; j++) row[j] = columns[j][k];
    winograd_g(row, result);
    for (int l = 0; l < 6; l++) u[(k * 6 + l) * stride] = result[l];
  }
}

/* Room for a segment's tiles plus one step of lanes past its end. */
#define KILN_WINOGRAD_ROOM (KILN_WINOGRAD_SEGMENT + KILN_LANES)

/* The six input rows of a segment split by column phase: phases[i][p][q] is the padded input
 * at row 4 * ty + i and column 4 * (tx + q) + p, zero outside x and past the segment. Tile
 * tx + q's patch is then phases[i][j % 4][q + j / 4], contiguous in q. */
KILN_INLINE void winograd_gather(const kiln_winograd_grid *g, const float *x, ptrdiff_t ty, ptrdiff_t tx,
                                 ptrdiff_t count, float phases[6][4][KILN_WINOGRAD_ROOM]) {
  float line[4 * KILN_WINOGRAD_ROOM];
  ptrdiff_t width = 4 * (count + 1), origin = 4 * tx - g->pad_left;
  ptrdiff_t begin = origin < 0 ? -origin : 0, end = g->input_width - origin;
  if (end > width) end = width;
  for (int i = 0; i < 6; i++) {
    ptrdiff_t row = 4 * ty + i - g->pad_top;
    for (ptrdiff_t column = 0; column < 4 * KILN_WINOGRAD_ROOM; column++) line[column] = 0;
    if (row >= 0 && row < g->input_height) {
      const float *from = x + row * g->input_width + origin;
      for (ptrdiff_t column = begin; column < end; column++) line[column] = from[column];
    }
    for (ptrdiff_t q = 0; q < KILN_WINOGRAD_ROOM; q++) {
      phases[i][0][q] = line[4 * q];
      phases[i][1][q] = line[4 * q + 1];
      phases[i][2][q] = line[4 * q + 2];
      phases[i][3][q] = line[4 * q + 3];
    }
  }
}

/* V = B^T d B for the eight tiles starting at tile q of the gathered segment. */
KILN_INLINE void winograd_input_step(float phases[6][4][KILN_WINOGRAD_ROOM], ptrdiff_t q, kiln_lanes v[36]) {
  kiln_lanes columns[6][6], column[6], row[6];
  for (int j = 0; j < 6; j++) {
    for (int i = 0; i < 6; i++) column[i] = load_lanes(&phases[i][j & 3][q + (j >> 2)]);
    winograd_bt(column, columns[j]);
  }
  for (int k = 0; k < 6; k++) {
    for (int j = 0; j < 6; j++) row[j] = columns[j][k];
    winograd_bt(row, &v[k * 6]);
  }
}

KILN_INLINE void winograd_input_segment(const kiln_winograd_grid *g, const float *x, ptrdiff_t ty, ptrdiff_t tx,
                                        ptrdiff_t count, float *v, ptrdiff_t stride) {
  float phases[6][4][KILN_WINOGRAD_ROOM];
  kiln_lanes result[36];
  winograd_gather(g, x, ty, tx, count, phases);
  ptrdiff_t q = 0;
  for (; q + KILN_LANES <= count; q += KILN_LANES) {
    winograd_input_step(phases, q, result);
    for (int xi = 0; xi < 36; xi++) store_lanes(v + xi * stride + q, result[xi]);
  }
  if (q == count) return;
  winograd_input_step(phases, q, result);
  for (int xi = 0; xi < 36; xi++)
    for (ptrdiff_t lane = 0; lane < count - q; lane++) v[xi * stride + q + lane] = result[xi][lane];
}

/* A^T M A for the `lanes` (at most eight) tiles starting at tile q of the segment, into
 * planar[r][s][q...]. */
KILN_INLINE void winograd_output_step(const float *m, ptrdiff_t stride, ptrdiff_t q, ptrdiff_t lanes,
                                      float planar[4][4][KILN_WINOGRAD_ROOM]) {
  kiln_lanes columns[6][4], column[6], row[6], result[4];
  float tail[36][KILN_LANES] = {{0}};
  if (lanes < KILN_LANES)
    for (int xi = 0; xi < 36; xi++)
      for (ptrdiff_t lane = 0; lane < lanes; lane++) tail[xi][lane] = m[xi * stride + q + lane];
  for (int j = 0; j < 6; j++) {
    for (int i = 0; i < 6; i++)
      column[i] = lanes < KILN_LANES ? load_lanes(tail[i * 6 + j]) : load_lanes(m + (i * 6 + j) * stride + q);
    winograd_at(column, columns[j]);
  }
  for (int r = 0; r < 4; r++) {
    for (int j = 0; j < 6; j++) row[j] = columns[j][r];
    winograd_at(row, result);
    for (int s = 0; s < 4; s++) store_lanes(&planar[r][s][q], result[s]);
  }
}

KILN_INLINE void winograd_output_segment(const kiln_winograd_grid *g, const float *m, ptrdiff_t stride, ptrdiff_t ty,
                                         ptrdiff_t tx, ptrdiff_t count, float bias, float low, float high,
                                         float *y) {
  float planar[4][4][KILN_WINOGRAD_ROOM];
  for (ptrdiff_t q = 0; q < count; q += KILN_LANES)
    winograd_output_step(m, stride, q, count - q < KILN_LANES ? count - q : KILN_LANES, planar);
  ptrdiff_t height = g->output_height - 4 * ty, width = g->output_width - 4 * tx;
  if (height > 4) height = 4;
  if (width > 4 * count) width = 4 * count;
  for (ptrdiff_t r = 0; r < height; r++) {
    float *to = y + (4 * ty + r) * g->output_width + 4 * tx;
    const float *p0 = planar[r][0], *p1 = planar[r][1], *p2 = planar[r][2], *p3 = planar[r][3];
    ptrdiff_t whole = width / 4;
    for (ptrdiff_t q = 0; q < whole; q++) {
      to[4 * q] = clamp_one(p0[q] + bias, low, high);
      to[4 * q + 1] = clamp_one(p1[q] + bias, low, high);
      to[4 * q + 2] = clamp_one(p2[q] + bias, low, high);
      to[4 * q + 3] = clamp_one(p3[q] + bias, low, high);
    }
    for (ptrdiff_t column = 4 * whole; column < width; column++)
      to[column] = clamp_one(planar[r][column & 3][column >> 2] + bias, low, high);
  }
}

#pragma GCC diagnostic pop

/* Calls `segment` on each run of tiles [first, first + count) that lies in one tile row, at
 * most KILN_WINOGRAD_SEGMENT long, with the tile row, first column and length, and the run's
 * offset from `first`. */
#define KILN_WINOGRAD_RUNS(grid, first, count, segment)                                        \
  for (ptrdiff_t t = (first), end = (first) + (count); t < end;) {                            \
    ptrdiff_t ty = t / (grid)->tiles_wide, tx = t % (grid)->tiles_wide, run = (grid)->tiles_wide - tx; \
    if (run > end - t) run = end - t;                                                          \
    if (run > KILN_WINOGRAD_SEGMENT) run = KILN_WINOGRAD_SEGMENT;                              \
    segment(ty, tx, run, t - (first));                                                         \
    t += run;                                                                                  \
  }

KILN_MULTIVERSION
void kiln_winograd_input(const kiln_winograd_grid *grid, const float *x, ptrdiff_t first, ptrdiff_t count, float *v,
                         ptrdiff_t stride) {
#define KILN_INPUT_RUN(ty, tx, run, offset) winograd_input_segment(grid, x, ty, tx, run, v + (offset), stride)
  KILN_WINOGRAD_RUNS(grid, first, count, KILN_INPUT_RUN)
#undef KILN_INPUT_RUN
}

KILN_MULTIVERSION
void kiln_winograd_output(const kiln_winograd_grid *grid, const float *m, ptrdiff_t stride, ptrdiff_t first,
                          ptrdiff_t count, float bias, float low, float high, float *y) {
#define KILN_OUTPUT_RUN(ty, tx, run, offset) \
  winograd_output_segment(grid, m + (offset), stride, ty, tx, run, bias, low, high, y)
  KILN_WINOGRAD_RUNS(grid, first, count, KILN_OUTPUT_RUN)
#undef KILN_OUTPUT_RUN
}

void kiln_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}
