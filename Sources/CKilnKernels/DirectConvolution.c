/* See kiln_direct_conv_tiles in CKilnKernels.h. A tile of the output is 16 output channels (two
 * vectors) by 6 consecutive positions of the output plane (rows wrap), twelve vector registers
 * summed over every input channel and kernel tap: each step loads the tap's 16 weights once and
 * broadcasts one input value per position, read straight from the zero-padded input copy
 * without an im2col matrix. A block's weights (taps x 16 floats) stay in cache across the
 * plane's tiles. */

#include "CKilnKernels.h"
#include "KernelSupport.h"

#include <string.h>

#define DIRECT_CHANNELS KILN_DIRECT_CHANNELS
#define DIRECT_POSITIONS KILN_DIRECT_POSITIONS
#define DIRECT_VECTORS (DIRECT_CHANNELS / KILN_LANES)

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

ptrdiff_t kiln_direct_weights_count(ptrdiff_t outputs, ptrdiff_t taps) {
  return row_panels_count(outputs, taps, DIRECT_CHANNELS);
}

void kiln_pack_direct_weights(const float *w, ptrdiff_t outputs, ptrdiff_t taps, float *packed) {
  pack_row_panels(w, outputs, taps, taps, DIRECT_CHANNELS, packed);
}

KILN_INLINE ptrdiff_t larger(ptrdiff_t a, ptrdiff_t b) { return a > b ? a : b; }

kiln_direct_padding kiln_direct_padded_size(const kiln_window_2d *window) {
  ptrdiff_t read_height = (window->output_height - 1) * window->stride_y + (window->kernel_height - 1) * window->dilation_y + 1;
  ptrdiff_t read_width = (window->output_width - 1) * window->stride_x + (window->kernel_width - 1) * window->dilation_x + 1;
  kiln_direct_padding size = {larger(read_height, window->pad_top + window->input_height),
                              larger(read_width, window->pad_left + window->input_width)};
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

ptrdiff_t kiln_direct_tiles(const kiln_window_2d *window) {
  return (window->output_height * window->output_width + DIRECT_POSITIONS - 1) / DIRECT_POSITIONS;
}

/* The sums of the tile whose positions start at `first` (past the plane's end the last position
 * is read again), over every channel and tap of the block's packed weights. */
KILN_INLINE void multiply_tile(const kiln_direct_conv *conv, kiln_direct_padding size, const float *weights,
                               ptrdiff_t first, kiln_lanes sums[DIRECT_POSITIONS][DIRECT_VECTORS]) {
  const kiln_window_2d *window = &conv->window;
  ptrdiff_t plane = window->output_height * window->output_width, offsets[DIRECT_POSITIONS];
  for (int p = 0; p < DIRECT_POSITIONS; p++) {
    ptrdiff_t q = first + p < plane ? first + p : plane - 1;
    offsets[p] = q / window->output_width * window->stride_y * size.width + q % window->output_width * window->stride_x;
    for (int v = 0; v < DIRECT_VECTORS; v++) sums[p][v] = splat_lanes(0);
  }
  const float *w = weights, *channel = conv->padded;
  for (ptrdiff_t c = 0; c < conv->channels; c++, channel += size.height * size.width) {
    const float *x[DIRECT_POSITIONS];
    for (int p = 0; p < DIRECT_POSITIONS; p++) x[p] = channel + offsets[p];
    for (ptrdiff_t ky = 0; ky < window->kernel_height; ky++) {
      for (ptrdiff_t kx = 0; kx < window->kernel_width; kx++, w += DIRECT_CHANNELS) {
        ptrdiff_t tap = ky * window->dilation_y * size.width + kx * window->dilation_x;
        kiln_lanes w0 = load_lanes(w), w1 = load_lanes(w + KILN_LANES);
        for (int p = 0; p < DIRECT_POSITIONS; p++) {
          kiln_lanes value = splat_lanes(x[p][tap]);
          sums[p][0] += value * w0;
          sums[p][1] += value * w1;
        }
      }
    }
  }
}

/* Stores the tile's channels below `outputs` and positions inside the plane, with bias and clamp. */
KILN_INLINE void store_tile(const kiln_direct_conv *conv, ptrdiff_t first_channel, ptrdiff_t first,
                            kiln_lanes sums[DIRECT_POSITIONS][DIRECT_VECTORS]) {
  const kiln_window_2d *window = &conv->window;
  float values[DIRECT_POSITIONS][DIRECT_CHANNELS];
  memcpy(values, sums, sizeof values);
  ptrdiff_t plane = window->output_height * window->output_width;
  ptrdiff_t positions = plane - first < DIRECT_POSITIONS ? plane - first : DIRECT_POSITIONS;
  for (ptrdiff_t j = 0; j < DIRECT_CHANNELS && first_channel + j < conv->outputs; j++) {
    float bias = conv->bias[first_channel + j];
    float *y = conv->y + (first_channel + j) * plane + first;
    for (ptrdiff_t p = 0; p < positions; p++) y[p] = clamp_one(values[p][j] + bias, conv->low, conv->high);
  }
}

KILN_MULTIVERSION
void kiln_direct_conv_tiles(const kiln_direct_conv *conv, ptrdiff_t first, ptrdiff_t end) {
  const kiln_window_2d *window = &conv->window;
  kiln_direct_padding size = kiln_direct_padded_size(window);
  ptrdiff_t taps = conv->channels * window->kernel_height * window->kernel_width, tiles = kiln_direct_tiles(window);
  for (ptrdiff_t item = first; item < end; item++) {
    ptrdiff_t block = item / tiles, position = item % tiles * DIRECT_POSITIONS;
    kiln_lanes sums[DIRECT_POSITIONS][DIRECT_VECTORS];
    multiply_tile(conv, size, conv->weights + block * taps * DIRECT_CHANNELS, position, sums);
    store_tile(conv, block * DIRECT_CHANNELS, position, sums);
  }
}

#pragma GCC diagnostic pop
