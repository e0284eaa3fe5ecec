"""`kiln convert --target ncnn` from the other frontends: the real Darknet and TFLite models.

yolov3-tiny (Darknet) and the MediaPipe face models (TFLite; face_landmark and iris_landmark
use PRelu) in .cache/test-models (or $KILN_TEST_MODELS; scripts/fetch-test-models.sh fetches
them) are converted twice, to ONNX and to ncnn. On one seeded input in [0, 1), every output of
the ncnn network (CPU, float32) is within RTOL of onnxruntime's output for Kiln's ONNX, relative
to its largest magnitude; the frontend tests match that ONNX with the reference runtimes
(OpenCV's Darknet importer, LiteRT). Measured: 3e-7 to 7e-6. face_detection_full_range_sparse
is left out: the TFLite frontend does not densify sparse weights.
"""

import os
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from conftest import REPO_ROOT
from test_target_ncnn import ncnn_run, relative_error

RTOL = 1e-3
CACHE = Path(os.environ.get("KILN_TEST_MODELS", REPO_ROOT / ".cache" / "test-models"))
# name: the model file, then the weights file where the format has one.
MODELS = {
    "yolov3-tiny": ("darknet/yolov3-tiny.cfg", "darknet/yolov3-tiny.weights"),
    "face_detection_back": ("tflite/face_detection_back.tflite",),
    "face_detection_front": ("tflite/face_detection_front.tflite",),
    "face_detection_full_range": ("tflite/face_detection_full_range.tflite",),
    "face_landmark": ("tflite/face_landmark.tflite",),
    "iris_landmark": ("tflite/iris_landmark.tflite",),
}


def model_arguments(name):
    """The model file (and --weights FILE) of `name` under the cache; a usage error when missing."""
    files = [CACHE / file for file in MODELS[name]]
    missing = [file for file in files if not file.is_file()]
    if missing:
        raise pytest.UsageError(f"{missing[0]} is missing: run scripts/fetch-test-models.sh")
    return [files[0]] + (["--weights", files[1]] if len(files) > 1 else [])


@pytest.mark.parametrize("name", sorted(MODELS))
def test_ncnn_matches_kiln_onnx(name, run_kiln, summary, tmp_path):
    arguments = model_arguments(name)
    rc, _, stderr = run_kiln("convert", *arguments, "-o", tmp_path / "model.onnx", "-q")
    assert rc == 0, stderr
    rc, _, stderr = run_kiln("convert", *arguments, "--target", "ncnn", "-o", tmp_path / "model", "-q")
    assert rc == 0, stderr
    graph = onnx.load(tmp_path / "model.onnx").graph
    source = graph.input[0]
    shape = [d.dim_value for d in source.type.tensor_type.shape.dim]
    x = np.random.default_rng(0).random(shape).astype(np.float32)
    session = ort.InferenceSession(str(tmp_path / "model.onnx"), providers=["CPUExecutionProvider"])
    names = [output.name for output in graph.output]
    expected = session.run(names, {source.name: x})
    got = ncnn_run(tmp_path / "model", source.name, names, x)
    errors = {output: relative_error(g, e) for output, g, e in zip(names, got, expected)}
    summary.setdefault("target-ncnn-frontends", {"format": lambda s: ", ".join(
        f"{k} {v:.1e}" for k, v in s["errors"].items()) + " (max error / max |output|)", "errors": {}})["errors"][name] = \
        max(errors.values())
    assert max(errors.values()) <= RTOL, errors
