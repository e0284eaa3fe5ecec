/* Inner loops of KilnRuntime (and of calibration's histograms) that gain from the wider vector
 * units (AVX2, FMA) of the machine they run on. Each is compiled twice, for x86-64-v3 and for
 * the baseline, and the loader picks the right one once (an ifunc), so one binary runs
 * everywhere and fast where it can. Also the spin-wait hint the worker pool needs, which Swift
 * does not expose. */
#ifndef CKILNKERNELS_H
#define CKILNKERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* to[i] += weight * from[i * step] for i in [0, count). `to` and `from` do not overlap. */
void kiln_accumulate_scaled(float *to, const float *from, float weight, ptrdiff_t count, ptrdiff_t step);

/* values[i] = min(max(values[i], low), high) for i in [0, count); NaN stays NaN. */
void kiln_clamp(float *values, ptrdiff_t count, float low, float high);

/* The four float32 arithmetic ops of kiln_arithmetic. */
typedef enum { KILN_ADD, KILN_SUBTRACT, KILN_MULTIPLY, KILN_DIVIDE } kiln_arithmetic_op;

/* y[i] = clamp(a[i * a_step] op b[i * b_step], low, high) for i in [0, count), each step 0 (one
 * value for every i) or 1; infinite bounds clamp nothing and NaN stays NaN. y overlaps neither. */
void kiln_arithmetic(kiln_arithmetic_op op, const float *a, ptrdiff_t a_step, const float *b, ptrdiff_t b_step,
                     float *y, ptrdiff_t count, float low, float high);

/* Rows of A per panel of kiln_pack_weights' layout. */
#define KILN_GEMM_ROWS 6

/* Floats that kiln_pack_weights writes for A [rows, depth]: rows rounded up to whole panels. */
ptrdiff_t kiln_packed_weights_count(ptrdiff_t rows, ptrdiff_t depth);

/* A [rows, depth] (row i at a + i * a_stride) into panels of KILN_GEMM_ROWS rows, each
 * [depth][KILN_GEMM_ROWS], the rows past the last zero: the A of kiln_packed_gemm, packed once
 * for every product with it. */
void kiln_pack_weights(const float *a, ptrdiff_t rows, ptrdiff_t depth, ptrdiff_t a_stride, float *packed);

/* C = A . B, A packed by kiln_pack_weights, C [rows, columns] and B [depth, columns] row-major
 * with their own row strides. */
typedef struct {
  const float *weights;
  ptrdiff_t rows, depth;
  const float *b;
  ptrdiff_t b_stride;
  float *c;
  ptrdiff_t c_stride;
} kiln_packed_gemm;

/* Floats of the working memory that kiln_packed_gemm_run takes (64-byte aligned): a block of B. */
#define KILN_GEMM_WORKSPACE (256 * 256)

/* Computes C's rows [row_begin, row_end) x columns [column_begin, column_end), overwriting
 * them; row_begin is a multiple of KILN_GEMM_ROWS. Threads may compute disjoint parts of one C
 * at once, each with its own workspace. */
void kiln_packed_gemm_run(const kiln_packed_gemm *gemm, ptrdiff_t row_begin, ptrdiff_t row_end,
                          ptrdiff_t column_begin, ptrdiff_t column_end, float *workspace);

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

/* Output channels per block of kiln_pack_direct_weights' layout, and consecutive output
 * positions that kiln_direct_conv_tiles computes together. */
#define KILN_DIRECT_CHANNELS 16
#define KILN_DIRECT_POSITIONS 6

/* Floats of kiln_pack_direct_weights' result for `outputs` channels of `taps` weights each. */
ptrdiff_t kiln_direct_weights_count(ptrdiff_t outputs, ptrdiff_t taps);

/* W [outputs][taps] (row-major; taps = channels x kernel height x kernel width) packed as
 * [ceil(outputs / 16)][taps][16], the channels past `outputs` zero. */
void kiln_pack_direct_weights(const float *w, ptrdiff_t outputs, ptrdiff_t taps, float *packed);

/* The rows and columns of the zero-padded input copy that kiln_direct_conv_tiles reads: the
 * input with its leading pads, and as far as the windows reach. */
typedef struct {
  ptrdiff_t height, width;
} kiln_direct_padding;

kiln_direct_padding kiln_direct_padded_size(const kiln_window_2d *window);

/* padded [channels][height][width] (kiln_direct_padded_size) = x [channels][input_height]
 * [input_width] placed at (pad_top, pad_left), zeros elsewhere. padded does not overlap x. */
void kiln_direct_pad(const kiln_window_2d *window, const float *x, ptrdiff_t channels, float *padded);

/* Tiles of 6 consecutive positions (row-major, the last one partial) covering an output plane. */
ptrdiff_t kiln_direct_tiles(const kiln_window_2d *window);

/* A convolution of one image with one group computed directly from a padded input copy. */
typedef struct {
  kiln_window_2d window;
  /* kiln_direct_pad's copy of the image's `channels` input planes. */
  const float *padded;
  ptrdiff_t channels;
  /* kiln_pack_direct_weights' layout for `outputs` channels. */
  const float *weights;
  ptrdiff_t outputs;
  /* One per output channel. */
  const float *bias;
  float low, high;
  /* [outputs][output_height][output_width]; overlaps nothing else. */
  float *y;
} kiln_direct_conv;

/* Items [first, end) of a direct convolution, item i being tile i % kiln_direct_tiles of the
 * 16 output channels of block i / kiln_direct_tiles:
 * y[m][oy][ox] = clamp(bias[m] + sum over c, ky, kx of w[m][c][ky][kx] *
 *                padded[c][oy * stride_y + ky * dilation_y][ox * stride_x + kx * dilation_x])
 * for the block's channels m below `outputs` and the tile's positions, clamped to [low, high]
 * (NaN stays NaN; infinite bounds clamp nothing). Items of different calls may run on
 * different threads. */
void kiln_direct_conv_tiles(const kiln_direct_conv *conv, ptrdiff_t first, ptrdiff_t end);

/* The tiles of a Winograd F(4x4, 3x3) convolution (3x3 kernel, strides and dilations 1) over one
 * plane: the input size, its leading pads, the output size, and the number of 4x4 output tiles
 * per row, tiles_wide = ceil(output_width / 4). Tile (ty, tx) reads the 6x6 input patch at row
 * 4 * ty - pad_top and column 4 * tx - pad_left, zero outside the input. Tiles are numbered
 * row-major: t = ty * tiles_wide + tx. */
typedef struct {
  ptrdiff_t input_height, input_width;
  ptrdiff_t pad_top, pad_left;
  ptrdiff_t output_height, output_width;
  ptrdiff_t tiles_wide;
} kiln_winograd_grid;

/* `count` consecutive 3x3 kernels g (row-major, 9 floats each) transformed: u[xi * stride + k] =
 * (G g_k G^T)[xi] for kernel k and the 36 xi of the 6x6 result, row-major. stride >= count. */
void kiln_winograd_weights(const float *g, ptrdiff_t count, float *u, ptrdiff_t stride);

/* One input plane x transformed for tiles [first, first + count): v[xi * stride + (t - first)] =
 * (B^T d B)[xi] with d the 6x6 patch of tile t. stride >= count; v does not overlap x. */
void kiln_winograd_input(const kiln_winograd_grid *grid, const float *x, ptrdiff_t first, ptrdiff_t count, float *v,
                         ptrdiff_t stride);

/* One output plane y from the products of tiles [first, first + count), read as m[xi * stride +
 * (t - first)]: each tile's 4x4 outputs clamp(bias + (A^T M A)[r][s], low, high) (NaN stays NaN)
 * are written where they fall inside the output plane; the rest of a tile at the bottom or
 * right edge is dropped. y does not overlap m. */
void kiln_winograd_output(const kiln_winograd_grid *grid, const float *m, ptrdiff_t stride, ptrdiff_t first,
                          ptrdiff_t count, float bias, float low, float high, float *y);

/* QuantizeLinear of float32 x[0, count) with one scale and zero point, into int8 (is_signed) or
 * uint8 y: y[i] = clamp(round_half_even(x[i] / scale) + zero) to the type's range, NaN giving 0
 * (the quotient is rounded in float; beyond +-2^22 it saturates either way). */
void kiln_quantize_8bit(const float *x, ptrdiff_t count, float scale, float zero, bool is_signed, void *y);

/* counts[floor(values[i] * scale) + middle] += 1 for every finite values[i], the product in
 * double. Every finite value must land inside counts (the caller sized the bins to cover them);
 * bin_count is the length of counts. */
void kiln_histogram_bins(const float *values, ptrdiff_t count, double scale, ptrdiff_t middle, uint64_t *counts,
                         ptrdiff_t bin_count);

/* The range of the finite values among values[0, count) (*low and *high are lowered and raised
 * to cover them; pass +inf and -inf to start; *finite and *nans count them and the NaNs), then
 * kiln_histogram_bins when the bins cover every finite value, in one pass over large inputs:
 * returns true when they do (no finite |values[i]| reaches limit, the
 * bins' edge, counting the range passed in), false, with counts untouched, when the caller
 * must widen the bins and bin again. The range and counts of finite values and NaNs are
 * updated either way. */
bool kiln_histogram_add(const float *values, ptrdiff_t count, double scale, ptrdiff_t middle, double limit,
                        uint64_t *counts, ptrdiff_t bin_count, float *low, float *high, ptrdiff_t *finite,
                        ptrdiff_t *nans);

/* A hint to the processor that the caller is spinning on a flag (x86 PAUSE, ARM YIELD): it
 * saves power and leaves execution resources to a sibling hardware thread. */
void kiln_cpu_relax(void);

#endif
