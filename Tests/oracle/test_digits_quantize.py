"""The digits fixture quantized by Kiln, run in onnxruntime.

`kiln calibrate` on fixtures/digits/calibration, then `kiln quantize --int8 --stats` and
`kiln quantize --fp16 --keep-io-types`. The 300 test PNGs are decoded here (8-bit gray,
filter 0, as fixtures/make_digits.py writes them) and preprocessed as preprocess.json says
(32x32 -> 16x16 bilinear with half-pixel centers, i.e. the mean of each 2x2 block; /255;
(x - 0.5) / 0.5), then fed as one batch:
  checker      onnx.checker passes on both outputs;
  onnxruntime  (all graph optimizations on, so QDQ runs as int8 kernels) top-1 accuracy of int8
               within 1 point of float32, fp16 within 0.2 point;
  KilnRuntime  (`kiln run` on the same batch) predicts what onnxruntime predicts.
"""

import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

from conftest import REPO_ROOT

DIGITS = REPO_ROOT / "fixtures" / "digits"


def read_gray_png(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat, size = 8, b"", None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert (depth, color) == (8, 0), f"{path.name}: not 8-bit gray"
            size = (height, width)
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    raw = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(size[0], size[1] + 1)
    assert not raw[:, 0].any(), f"{path.name}: rows use PNG filters"
    return raw[:, 1:]


def labeled_test_images():
    lines = (DIGITS / "labels.txt").read_text().split("\n")
    names, labels = zip(*(line.split("\t") for line in lines if line))
    return preprocessed([read_gray_png(DIGITS / "test" / name) for name in names]), np.array(labels, np.int64)


def preprocessed(images):
    """32x32 gray images as the [N, 1, 16, 16] float32 batch preprocess.json describes."""
    pixels = np.stack(images).astype(np.float32)
    small = 0.25 * (pixels[:, 0::2, 0::2] + pixels[:, 1::2, 0::2] + pixels[:, 0::2, 1::2] + pixels[:, 1::2, 1::2])
    return ((small / 255 - 0.5) / 0.5)[:, None, :, :].astype(np.float32)


def ort_predictions(path, batch):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"image": batch})[0].argmax(axis=1)


def kiln_predictions(kiln, path, batch_path, out_dir):
    subprocess.run([str(kiln), "run", str(path), "--input", f"image={batch_path}", "--output-dir", str(out_dir)],
                   check=True, capture_output=True)
    return np.load(out_dir / "logits.npy").astype(np.float32).argmax(axis=1)


def quantized(kiln, tmp_path):
    stats = tmp_path / "stats.json"
    subprocess.run([str(kiln), "calibrate", str(DIGITS / "model.onnx"), "--images", str(DIGITS / "calibration"),
                    "--preprocess", str(DIGITS / "preprocess.json"), "-q", "-o", str(stats)],
                   check=True, capture_output=True)
    outputs = {}
    for kind, args in (("int8", ["--int8", "--stats", str(stats)]), ("fp16", ["--fp16", "--keep-io-types"])):
        outputs[kind] = tmp_path / f"{kind}.onnx"
        subprocess.run([str(kiln), "quantize", str(DIGITS / "model.onnx"), "-o", str(outputs[kind])] + args,
                       check=True, capture_output=True)
        onnx.checker.check_model(onnx.load(outputs[kind]), full_check=True)
    return outputs


def test_quantized_digits_in_onnxruntime(kiln, tmp_path):
    batch, labels = labeled_test_images()
    batch_path = tmp_path / "batch.npy"
    np.save(batch_path, batch)
    outputs = quantized(kiln, tmp_path)
    accuracy = {"float": 100 * float((ort_predictions(DIGITS / "model.onnx", batch) == labels).mean())}
    for kind, path in outputs.items():
        predicted = ort_predictions(path, batch)
        accuracy[kind] = 100 * float((predicted == labels).mean())
        out_dir = tmp_path / kind
        out_dir.mkdir()
        np.testing.assert_array_equal(kiln_predictions(kiln, path, batch_path, out_dir), predicted,
                                      err_msg=f"{kind}: KilnRuntime and onnxruntime predict differently")
    assert accuracy["int8"] >= accuracy["float"] - 1, accuracy
    assert abs(accuracy["fp16"] - accuracy["float"]) <= 0.2, accuracy
