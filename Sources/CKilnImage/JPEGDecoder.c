/* JPEG decoding through libjpeg-turbo, with an error manager that jumps back instead of exiting. */

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "KilnImage.h"

typedef struct {
  struct jpeg_error_mgr base;
  jmp_buf jump;
  char *error;
  size_t error_size;
} error_manager;

static void fail(j_common_ptr info) {
  error_manager *manager = (error_manager *)info->err;
  char message[JMSG_LENGTH_MAX];
  manager->base.format_message(info, message);
  snprintf(manager->error, manager->error_size, "JPEG: %s", message);
  longjmp(manager->jump, 1);
}

/* Warnings (level -1) mean corrupt or missing data: fail. Trace messages (level >= 0) are ignored. */
static void emit(j_common_ptr info, int level) {
  if (level < 0) fail(info);
}

int kiln_decode_jpeg(const uint8_t *data, size_t size, kiln_image *image, char *error, size_t error_size) {
  struct jpeg_decompress_struct info;
  error_manager manager;
  uint8_t *volatile pixels = NULL;
  memset(image, 0, sizeof *image);
  info.err = jpeg_std_error(&manager.base);
  manager.base.error_exit = fail;
  manager.base.emit_message = emit;
  manager.error = error;
  manager.error_size = error_size;
  if (setjmp(manager.jump)) {
    jpeg_destroy_decompress(&info);
    free(pixels);
    return -1;
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, data, (unsigned long)size);
  jpeg_read_header(&info, TRUE);
  info.out_color_space = info.jpeg_color_space == JCS_GRAYSCALE ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&info);
  size_t row_bytes = (size_t)info.output_width * (size_t)info.output_components;
  if (row_bytes == 0 || (size_t)info.output_height > KILN_IMAGE_MAX_BYTES / row_bytes) {
    snprintf(error, error_size, "JPEG: the image (%ux%u) is too large", info.output_width, info.output_height);
    jpeg_destroy_decompress(&info);
    return -1;
  }
  pixels = malloc(row_bytes * info.output_height);
  if (pixels == NULL) {
    snprintf(error, error_size, "JPEG: out of memory");
    jpeg_destroy_decompress(&info);
    return -1;
  }
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = pixels + (size_t)info.output_scanline * row_bytes;
    jpeg_read_scanlines(&info, &row, 1);
  }
  jpeg_finish_decompress(&info);
  image->width = (int)info.output_width;
  image->height = (int)info.output_height;
  image->channels = info.output_components;
  image->pixels = pixels;
  jpeg_destroy_decompress(&info);
  return 0;
}

void kiln_image_free(kiln_image *image) {
  free(image->pixels);
  image->pixels = NULL;
}
