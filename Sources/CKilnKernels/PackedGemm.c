/* See kiln_packed_gemm in CKilnKernels.h. The blocking of Goto & van de Geijn (2008): the
 * product runs in blocks of GEMM_WIDTH columns and GEMM_DEPTH steps of the sum; each block of
 * B is copied once into strips of GEMM_COLUMNS columns (zero-padded), which stay in L1 while
 * every panel of GEMM_ROWS rows of A (packed once, ahead) is multiplied with them, rows of A
 * in groups of GEMM_HEIGHT that stay in L2. A tile of C (GEMM_ROWS x GEMM_COLUMNS) is held in
 * twelve vector registers for a whole block of the sum. */

#include "CKilnKernels.h"
#include "KernelSupport.h"

#include <string.h>

#define GEMM_ROWS KILN_GEMM_ROWS
#define GEMM_VECTORS 2
#define GEMM_COLUMNS (GEMM_VECTORS * KILN_LANES)
#define GEMM_DEPTH 256
#define GEMM_WIDTH (KILN_GEMM_WORKSPACE / GEMM_DEPTH)
#define GEMM_HEIGHT 384

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

typedef struct {
  kiln_lanes lanes[GEMM_ROWS][GEMM_VECTORS];
} gemm_tile;

KILN_INLINE ptrdiff_t smaller(ptrdiff_t a, ptrdiff_t b) { return a < b ? a : b; }

ptrdiff_t kiln_packed_weights_count(ptrdiff_t rows, ptrdiff_t depth) { return row_panels_count(rows, depth, GEMM_ROWS); }

KILN_MULTIVERSION
void kiln_pack_weights(const float *a, ptrdiff_t rows, ptrdiff_t depth, ptrdiff_t a_stride, float *packed) {
  pack_row_panels(a, rows, depth, a_stride, GEMM_ROWS, packed);
}

/* Strips of GEMM_COLUMNS columns of B's block [depth, width] at b, each [depth][GEMM_COLUMNS],
 * the columns past width zero. */
KILN_INLINE void pack_block(const float *b, ptrdiff_t b_stride, ptrdiff_t depth, ptrdiff_t width, float *to) {
  for (ptrdiff_t column = 0; column < width; column += GEMM_COLUMNS) {
    ptrdiff_t count = smaller(GEMM_COLUMNS, width - column);
    const float *from = b + column;
    for (ptrdiff_t p = 0; p < depth; p++, to += GEMM_COLUMNS, from += b_stride) {
      if (count == GEMM_COLUMNS) {
        memcpy(to, from, GEMM_COLUMNS * sizeof(float));
      } else {
        memcpy(to, from, (size_t)count * sizeof(float));
        memset(to + count, 0, (size_t)(GEMM_COLUMNS - count) * sizeof(float));
      }
    }
  }
}

/* tile += a [depth][GEMM_ROWS] . b [depth][GEMM_COLUMNS], in the tile's first `vectors` (1 or
 * 2, a literal) vectors of each row. */
KILN_INLINE void multiply_tile(ptrdiff_t depth, const float *a, const float *b, gemm_tile *tile, int vectors) {
  kiln_lanes c[GEMM_ROWS][GEMM_VECTORS];
  memcpy(c, tile->lanes, sizeof c);
  for (ptrdiff_t p = 0; p < depth; p++, a += GEMM_ROWS, b += GEMM_COLUMNS) {
    kiln_lanes b0 = load_lanes(b), b1 = vectors > 1 ? load_lanes(b + KILN_LANES) : b0;
    for (int r = 0; r < GEMM_ROWS; r++) {
      kiln_lanes ar = splat_lanes(a[r]);
      c[r][0] += ar * b0;
      if (vectors > 1) c[r][1] += ar * b1;
    }
  }
  memcpy(tile->lanes, c, sizeof c);
}

/* Where a tile of C lies and how much of it is inside C. */
typedef struct {
  float *c;
  ptrdiff_t c_stride, rows, columns;
} tile_place;

KILN_INLINE int is_whole(tile_place place) { return place.rows == GEMM_ROWS && place.columns == GEMM_COLUMNS; }

/* The tile's starting values: zeros (first step of the sum) or C so far. */
KILN_INLINE void start_tile(gemm_tile *tile, tile_place place, int first) {
  if (first || is_whole(place)) {
    for (int r = 0; r < GEMM_ROWS; r++) {
      for (int v = 0; v < GEMM_VECTORS; v++) {
        tile->lanes[r][v] = first ? splat_lanes(0) : load_lanes(place.c + r * place.c_stride + v * KILN_LANES);
      }
    }
    return;
  }
  float values[GEMM_ROWS][GEMM_COLUMNS] = {{0}};
  for (ptrdiff_t r = 0; r < place.rows; r++) {
    memcpy(values[r], place.c + r * place.c_stride, (size_t)place.columns * sizeof(float));
  }
  memcpy(tile->lanes, values, sizeof values);
}

/* Stores the tile's part inside C. */
KILN_INLINE void finish_tile(const gemm_tile *tile, tile_place place) {
  if (is_whole(place)) {
    for (int r = 0; r < GEMM_ROWS; r++) {
      for (int v = 0; v < GEMM_VECTORS; v++) store_lanes(place.c + r * place.c_stride + v * KILN_LANES, tile->lanes[r][v]);
    }
    return;
  }
  float values[GEMM_ROWS][GEMM_COLUMNS];
  memcpy(values, tile->lanes, sizeof values);
  for (ptrdiff_t r = 0; r < place.rows; r++) {
    memcpy(place.c + r * place.c_stride, values[r], (size_t)place.columns * sizeof(float));
  }
}

/* C rows [row_begin, row_end) x the block's columns, for the block's steps of the sum. */
KILN_INLINE void multiply_block(const kiln_packed_gemm *g, ptrdiff_t row_begin, ptrdiff_t row_end,
                                ptrdiff_t column, ptrdiff_t width, ptrdiff_t step, ptrdiff_t depth,
                                const float *strips) {
  int first = step == 0;
  for (ptrdiff_t strip = 0; strip * GEMM_COLUMNS < width; strip++) {
    const float *b = strips + strip * depth * GEMM_COLUMNS;
    for (ptrdiff_t row = row_begin; row < row_end; row += GEMM_ROWS) {
      tile_place place = {g->c + row * g->c_stride + column + strip * GEMM_COLUMNS, g->c_stride,
                          smaller(GEMM_ROWS, row_end - row), smaller(GEMM_COLUMNS, width - strip * GEMM_COLUMNS)};
      gemm_tile tile;
      start_tile(&tile, place, first);
      const float *a = g->weights + (row / GEMM_ROWS * g->depth + step) * GEMM_ROWS;
      if (place.columns > KILN_LANES) {
        multiply_tile(depth, a, b, &tile, 2);
      } else {
        multiply_tile(depth, a, b, &tile, 1);
      }
      finish_tile(&tile, place);
    }
  }
}

KILN_MULTIVERSION
void kiln_packed_gemm_run(const kiln_packed_gemm *g, ptrdiff_t row_begin, ptrdiff_t row_end, ptrdiff_t column_begin,
                          ptrdiff_t column_end, float *workspace) {
  if (row_begin >= row_end || column_begin >= column_end) return;
  for (ptrdiff_t column = column_begin; column < column_end; column += GEMM_WIDTH) {
    ptrdiff_t width = smaller(GEMM_WIDTH, column_end - column), step = 0;
    do {
      ptrdiff_t depth = smaller(GEMM_DEPTH, g->depth - step);
      pack_block(g->b + step * g->b_stride + column, g->b_stride, depth, width, workspace);
      for (ptrdiff_t row = row_begin; row < row_end; row += GEMM_HEIGHT) {
        multiply_block(g, row, smaller(row + GEMM_HEIGHT, row_end), column, width, step, depth, workspace);
      }
      step += depth;
    } while (step < g->depth);
  }
}

#pragma GCC diagnostic pop
