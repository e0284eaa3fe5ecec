/* See kiln_direct_conv_rows in CKilnKernels.h. A tile of the output is 16 output channels (two
 * vectors) by 6 positions along a row, twelve vector registers summed over every input channel
 * and kernel tap: each step loads the tap's 16 weights once and broadcasts 6 input values, so
 * the weights of a block of channels (taps x 16 floats) stay in L1 or L2 while the input is
 * read straight from its zero-padded copy, without an im2col matrix. */

#include "CKilnKernels.h"
#include "KernelSupport.h"

#include <string.h>

#define DIRECT_CHANNELS KILN_DIRECT_CHANNELS
#define DIRECT_POSITIONS KILN_DIRECT_POSITIONS
#define DIRECT_VECTORS (DIRECT_CHANNELS / KILN_LANES)

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

ptrdiff_t kiln_direct_weights_count(ptrdiff_t outputs, ptrdiff_t taps) {
  return (outputs + DIRECT_CHANNELS - 1) / DIRECT_CHANNELS * DIRECT_CHANNELS * taps;
}

void kiln_pack_direct_weights(const float *w, ptrdiff_t outputs, ptrdiff_t taps, float *packed) {
  for (ptrdiff_t first = 0; first < outputs; first += DIRECT_CHANNELS) {
    for (ptrdiff_t tap = 0; tap < taps; tap++, packed += DIRECT_CHANNELS) {
      for (ptrdiff_t j = 0; j < DIRECT_CHANNELS; j++) packed[j] = first + j < outputs ? w[(first + j) * taps + tap] : 0;
    }
  }
}

/* Tiles per output row. */
KILN_INLINE ptrdiff_t row_tiles(const kiln_window_2d *window) {
  return (window->output_width + DIRECT_POSITIONS - 1) / DIRECT_POSITIONS;
}

kiln_direct_padding kiln_direct_padded_size(const kiln_window_2d *window) {
  ptrdiff_t span_y = (window->kernel_height - 1) * window->dilation_y + 1;
  ptrdiff_t span_x = (window->kernel_width - 1) * window->dilation_x + 1;
  ptrdiff_t height = (window->output_height - 1) * window->stride_y + span_y;
  /* The last tile of a row reads all its positions, the ones past the output too. */
  ptrdiff_t width = (row_tiles(window) * DIRECT_POSITIONS - 1) * window->stride_x + span_x;
  ptrdiff_t filled_height = window->pad_top + window->input_height, filled_width = window->pad_left + window->input_width;
  kiln_direct_padding size = {height > filled_height ? height : filled_height, width > filled_width ? width : filled_width};
  return size;
}

void kiln_direct_pad(const kiln_window_2d *window, const float *x, ptrdiff_t channels, float *padded) {
  kiln_direct_padding size = kiln_direct_padded_size(window);
  memset(padded, 0, (size_t)(channels * size.height * size.width) * sizeof(float));
  for (ptrdiff_t c = 0; c < channels; c++) {
    for (ptrdiff_t row = 0; row < window->input_height; row++) {
      memcpy(padded + (c * size.height + window->pad_top + row) * size.width + window->pad_left,
             x + (c * window->input_height + row) * window->input_width, (size_t)window->input_width * sizeof(float));
    }
  }
}

/* The tile at output row oy, columns [ox, ox + 6), for the block's packed weights. */
KILN_INLINE void multiply_tile(const kiln_direct_conv *conv, kiln_direct_padding size, const float *weights,
                               ptrdiff_t oy, ptrdiff_t ox, kiln_lanes sums[DIRECT_POSITIONS][DIRECT_VECTORS]) {
  const kiln_window_2d *window = &conv->window;
  ptrdiff_t step = window->stride_x;
  for (int p = 0; p < DIRECT_POSITIONS; p++) {
    for (int v = 0; v < DIRECT_VECTORS; v++) sums[p][v] = splat_lanes(0);
  }
  const float *w = weights;
  for (ptrdiff_t c = 0; c < conv->channels; c++) {
    const float *plane = conv->padded + c * size.height * size.width + oy * window->stride_y * size.width + ox * step;
    for (ptrdiff_t ky = 0; ky < window->kernel_height; ky++) {
      const float *row = plane + ky * window->dilation_y * size.width;
      for (ptrdiff_t kx = 0; kx < window->kernel_width; kx++, w += DIRECT_CHANNELS) {
        kiln_lanes w0 = load_lanes(w), w1 = load_lanes(w + KILN_LANES);
        const float *x = row + kx * window->dilation_x;
        for (int p = 0; p < DIRECT_POSITIONS; p++) {
          kiln_lanes value = splat_lanes(x[p * step]);
          sums[p][0] += value * w0;
          sums[p][1] += value * w1;
        }
      }
    }
  }
}

/* Stores the tile's channels below `outputs` and positions inside the row, with bias and clamp. */
KILN_INLINE void store_tile(const kiln_direct_conv *conv, ptrdiff_t first_channel, ptrdiff_t oy, ptrdiff_t ox,
                            kiln_lanes sums[DIRECT_POSITIONS][DIRECT_VECTORS]) {
  const kiln_window_2d *window = &conv->window;
  float values[DIRECT_POSITIONS][DIRECT_CHANNELS];
  memcpy(values, sums, sizeof values);
  ptrdiff_t positions = window->output_width - ox < DIRECT_POSITIONS ? window->output_width - ox : DIRECT_POSITIONS;
  ptrdiff_t plane = window->output_height * window->output_width;
  for (ptrdiff_t j = 0; j < DIRECT_CHANNELS && first_channel + j < conv->outputs; j++) {
    float bias = conv->bias[first_channel + j];
    float *y = conv->y + (first_channel + j) * plane + oy * window->output_width + ox;
    for (ptrdiff_t p = 0; p < positions; p++) y[p] = clamp_one(values[p][j] + bias, conv->low, conv->high);
  }
}

KILN_MULTIVERSION
void kiln_direct_conv_rows(const kiln_direct_conv *conv, ptrdiff_t first, ptrdiff_t end) {
  const kiln_window_2d *window = &conv->window;
  kiln_direct_padding size = kiln_direct_padded_size(window);
  ptrdiff_t taps = conv->channels * window->kernel_height * window->kernel_width;
  for (ptrdiff_t item = first; item < end; item++) {
    ptrdiff_t block = item / window->output_height, oy = item % window->output_height;
    const float *weights = conv->weights + block * taps * DIRECT_CHANNELS;
    for (ptrdiff_t tile = 0; tile < row_tiles(window); tile++) {
      kiln_lanes sums[DIRECT_POSITIONS][DIRECT_VECTORS];
      multiply_tile(conv, size, weights, oy, tile * DIRECT_POSITIONS, sums);
      store_tile(conv, block * DIRECT_CHANNELS, oy, tile * DIRECT_POSITIONS, sums);
    }
  }
}

#pragma GCC diagnostic pop
