"""Writes the tiny images the image decoding tests read.

Run by hand from the repository root (Debian's libjpeg-turbo-progs provides cjpeg):
    python3 Tests/KilnQuantTests/Resources/make_images.py
PNGs are written with zlib by hand; JPEGs come from cjpeg at quality 100. Only the standard
library is needed, and the output is the same on every run.
"""

import os
import struct
import subprocess
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def write_png(name, width, height, bit_depth, color_type, rows):
    """rows: one bytes object per row, without the filter byte."""
    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    raw = b"".join(b"\x00" + row for row in rows)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def write_jpeg(name, width, height, channels, value):
    kind = b"P5" if channels == 1 else b"P6"
    netpbm = kind + b"\n%d %d\n255\n" % (width, height) + bytes(value) * (width * height)
    jpeg = subprocess.run(["cjpeg", "-quality", "100"], input=netpbm, capture_output=True, check=True).stdout
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(jpeg)


# gray.png: 4x3, sample (x, y) = 10 * (4y + x).
write_png("gray.png", 4, 3, 8, 0, [bytes(10 * (4 * y + x) for x in range(4)) for y in range(3)])
# rgb.png: 2x2, pixel (x, y) = (x + 2y, 100 + x + 2y, 200 + x + 2y).
write_png("rgb.png", 2, 2, 8, 2, [bytes(v for x in range(2) for v in (x + 2 * y, 100 + x + 2 * y, 200 + x + 2 * y)) for y in range(2)])
# rgba.png: like rgb.png with alpha 0, 85, 170, 255 that decoding drops.
write_png("rgba.png", 2, 2, 8, 6, [bytes(v for x in range(2) for v in (x + 2 * y, 100 + x + 2 * y, 200 + x + 2 * y, 85 * (x + 2 * y))) for y in range(2)])
# gray16.png: 3x1 16-bit gray 0, 25700 (100 * 257), 65535.
write_png("gray16.png", 3, 1, 16, 0, [struct.pack(">HHH", 0, 25700, 65535)])
# rgb.jpg: 8x8 of (200, 100, 50); gray.jpg: 8x8 of 128.
write_jpeg("rgb.jpg", 8, 8, 3, [200, 100, 50])
write_jpeg("gray.jpg", 8, 8, 1, [128])
