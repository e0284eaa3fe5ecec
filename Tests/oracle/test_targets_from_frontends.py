"""Every target from every frontend: the real TFLite, Caffe and Darknet models through
`kiln convert --target ncnn|openvino|tensorrt|rknn`.

The models are the ones the frontend tests match with their reference runtimes (LiteRT,
OpenCV's Caffe and Darknet importers), in .cache/test-models (or $KILN_TEST_MODELS;
scripts/fetch-test-models.sh fetches them). Each is converted to ONNX once; on one seeded input
in [0, 1), that ONNX in onnxruntime is the expected output. Then per target:
  ncnn      the .param/.bin in ncnn (CPU, float32 arithmetic): every output within RTOL of the
            largest expected magnitude;
  openvino  the .xml/.bin compiled on OpenVINO's CPU plugin in f32: likewise;
  tensorrt, rknn  the ONNX written for the toolkit has only ops of the target's table
            (`kiln targets --json`) and static shapes, and runs in onnxruntime within RTOL.
"""

import os
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import openvino as ov
import pytest

from conftest import REPO_ROOT
from target_checks import check_supported_and_static, target_ops
from test_target_ncnn import ncnn_run

RTOL = 1e-3
CACHE = Path(os.environ.get("KILN_TEST_MODELS", REPO_ROOT / ".cache" / "test-models"))
# name: the model file, then the weights file where the format has one.
MODELS = {
    "yolov3-tiny": ("darknet/yolov3-tiny.cfg", "darknet/yolov3-tiny.weights"),
    "open_nsfw": ("caffe/deploy.prototxt", "caffe/resnet_50_1by2_nsfw.caffemodel"),
    **{name: (f"tflite/{name}.tflite",) for name in (
        "face_detection_back", "face_detection_front", "face_detection_short_range",
        "face_detection_full_range", "face_detection_full_range_sparse", "face_landmark", "iris_landmark")},
}
TARGETS = ("ncnn", "openvino", "tensorrt", "rknn")


def model_arguments(name):
    """The model file (and --weights FILE) of `name` under the cache; a usage error when missing."""
    files = [CACHE / file for file in MODELS[name]]
    missing = [file for file in files if not file.is_file()]
    if missing:
        raise pytest.UsageError(f"{missing[0]} is missing: run scripts/fetch-test-models.sh")
    return [files[0]] + (["--weights", files[1]] if len(files) > 1 else [])


@pytest.fixture(scope="module")
def reference(run_kiln, tmp_path_factory):
    """reference(name) -> (input name, input, {output name: expected}) from Kiln's ONNX."""
    cache = {}

    def get(name):
        if name not in cache:
            path = tmp_path_factory.mktemp(name) / "model.onnx"
            rc, _, stderr = run_kiln("convert", *model_arguments(name), "-o", path, "-q")
            assert rc == 0, stderr
            graph = onnx.load(path).graph
            source = graph.input[0]
            shape = [d.dim_value for d in source.type.tensor_type.shape.dim]
            x = np.random.default_rng(0).random(shape).astype(np.float32)
            session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
            names = [output.name for output in graph.output]
            cache[name] = (source.name, x, dict(zip(names, session.run(names, {source.name: x}))))
        return cache[name]

    return get


def target_outputs(target, out, input_name, x, names):
    """{output name: value} of the target's files at `out` for input `x`."""
    if target == "ncnn":
        return dict(zip(names, ncnn_run(out.with_suffix(""), input_name, names, x)))
    if target == "openvino":
        core = ov.Core()
        compiled = core.compile_model(core.read_model(str(out)), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
        results = compiled({input_name: x})
        return {name: results[compiled.output(name)] for name in names}
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    return dict(zip(names, session.run(names, {input_name: x})))


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", sorted(MODELS))
def test_target_matches_kiln_onnx(name, target, run_kiln, reference, summary, tmp_path):
    input_name, x, expected = reference(name)
    out = tmp_path / {"ncnn": "model.param", "openvino": "model.xml"}.get(target, "model.onnx")
    rc, _, stderr = run_kiln("convert", *model_arguments(name), "--target", target, "-o", out, "-q")
    assert rc == 0, stderr
    if target in ("tensorrt", "rknn"):
        check_supported_and_static(out, target_ops(run_kiln, target))
    got = target_outputs(target, out, input_name, x, list(expected))
    errors = {output: float(np.abs(got[output].reshape(value.shape) - value).max() / np.abs(value).max())
              for output, value in expected.items()}
    table = summary.setdefault("targets-from-frontends", {"format": lambda s: ", ".join(
        f"{target} {max(v.values()):.1e}" for target, v in sorted(s["errors"].items()))
        + " (worst over the frontend models of max error / max |output|)", "errors": {}})["errors"]
    table.setdefault(target, {})[name] = max(errors.values())
    assert max(errors.values()) <= RTOL, errors
