/* PNG decoding through libpng, from memory, with error handlers that jump back instead of aborting. */

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "KilnImage.h"

typedef struct {
  const uint8_t *data;
  size_t size;
  size_t offset;
  char *error;
  size_t error_size;
} png_source;

static void read_bytes(png_structp png, png_bytep out, png_size_t count) {
  png_source *source = png_get_io_ptr(png);
  if (count > source->size - source->offset) png_error(png, "the file is truncated");
  memcpy(out, source->data + source->offset, count);
  source->offset += count;
}

static void fail(png_structp png, png_const_charp message) {
  png_source *source = png_get_error_ptr(png);
  snprintf(source->error, source->error_size, "PNG: %s", message);
  png_longjmp(png, 1);
}

static void warn(png_structp png, png_const_charp message) {
  (void)png;
  (void)message;
}

/* Asks libpng for 8-bit gray or RGB whatever the file holds. Returns the channel count. */
static int request_8bit(png_structp png, png_infop info) {
  int color = png_get_color_type(png, info);
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (png_get_bit_depth(png, info) == 16) png_set_scale_16(png);
  png_set_strip_alpha(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  return (color & PNG_COLOR_MASK_COLOR) ? 3 : 1;
}

int kiln_decode_png(const uint8_t *data, size_t size, kiln_image *image, char *error, size_t error_size) {
  png_source source = {data, size, 0, error, error_size};
  png_structp png = NULL;
  png_infop info = NULL;
  uint8_t *volatile pixels = NULL;
  png_bytep *volatile rows = NULL;
  memset(image, 0, sizeof *image);
  png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &source, fail, warn);
  if (png != NULL) info = png_create_info_struct(png);
  if (info == NULL) {
    snprintf(error, error_size, "PNG: out of memory");
    png_destroy_read_struct(&png, NULL, NULL);
    return -1;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, NULL);
    free(pixels);
    free(rows);
    return -1;
  }
  png_set_read_fn(png, &source, read_bytes);
  png_read_info(png, info);
  int channels = request_8bit(png, info);
  png_uint_32 width = png_get_image_width(png, info), height = png_get_image_height(png, info);
  size_t row_bytes = png_get_rowbytes(png, info);
  if (row_bytes == 0 || row_bytes != (size_t)width * channels || height > KILN_IMAGE_MAX_BYTES / row_bytes) {
    png_error(png, "the image is too large");
  }
  pixels = malloc(row_bytes * height);
  rows = malloc(sizeof(png_bytep) * height);
  if (pixels == NULL || rows == NULL) png_error(png, "out of memory");
  for (png_uint_32 y = 0; y < height; y++) rows[y] = pixels + (size_t)y * row_bytes;
  png_read_image(png, rows);
  png_read_end(png, NULL);
  png_destroy_read_struct(&png, &info, NULL);
  free(rows);
  image->width = (int)width;
  image->height = (int)height;
  image->channels = channels;
  image->pixels = pixels;
  return 0;
}
