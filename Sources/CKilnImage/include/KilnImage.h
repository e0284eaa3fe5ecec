/* Decoding a whole JPEG or PNG file in memory to 8-bit gray or RGB pixels.
 *
 * libjpeg and libpng report errors by longjmp, which Swift cannot catch, so the decoders live in
 * C: they install error handlers that jump back here and return a message instead of exiting. */
#ifndef KILN_IMAGE_H
#define KILN_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/* Decoded pixels: rows top to bottom, channels interleaved (1 gray, 3 RGB). Free with
 * kiln_image_free. */
typedef struct {
  int width;
  int height;
  int channels;
  uint8_t *pixels;
} kiln_image;

/* The largest decoded image accepted, in bytes, so that a hostile header cannot ask for more. */
#define KILN_IMAGE_MAX_BYTES ((size_t)1 << 30)

/* Decodes a JPEG: gray stays gray, everything else becomes RGB. Any libjpeg warning (corrupt or
 * truncated data) is an error. Returns 0 and fills `image`, or -1 and writes a message to
 * `error` (at most `error_size` bytes, NUL-terminated). */
int kiln_decode_jpeg(const uint8_t *data, size_t size, kiln_image *image, char *error, size_t error_size);

/* Decodes a PNG: gray (with or without alpha) becomes gray, everything else RGB; alpha is
 * dropped, palettes expanded, 16-bit samples scaled to 8 bits. Same contract as kiln_decode_jpeg. */
int kiln_decode_png(const uint8_t *data, size_t size, kiln_image *image, char *error, size_t error_size);

/* Frees the pixels of an image a decoder filled. */
void kiln_image_free(kiln_image *image);

#endif
