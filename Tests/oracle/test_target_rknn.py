"""`kiln convert --target rknn`, checked with onnxruntime and rknn-toolkit2's PC simulator.

Models: the generated ResNet-18-like and MobileNetV2-like CNNs at 64x64 and the digits CNN
(its symbolic batch becomes 1 by the rknn pipeline, with a note).
  onnx   the ONNX uses only ops of the RKNN table, has static shapes, passes onnx's checker and
         gives onnxruntime's output on the original within FP32_RTOL of its largest value;
  build  (when rknn-toolkit2 is installed: .venv-rknn or $KILN_RKNN_PYTHON) --build writes the
         .rknn and the simulator agrees with Kiln's runtime on the same inputs: float16
         (digits, MobileNetV2) cosine >= FP16_COSINE and max error <= FP16_RTOL of the largest
         output; int8 (digits quantized from its calibration images, ResNet from 32 seeded
         random samples) cosine >= INT8_COSINE and max error <= INT8_RTOL. Measured here (error / max |output|): float16 digits cosine
         1.000000, error 4.9e-4; float16 MobileNetV2 (random weights, 17 blocks) cosine 0.99979,
         error 2.6e-2; int8 digits cosine 0.99989, error 8.1e-3; int8 ResNet cosine 0.99968, error
         2.0e-2. (int8 MobileNetV2 with random weights reaches only cosine 0.94, so it is not
         built here.) The whole file runs in ~30 s.
Without the toolkit, --build exits 2 saying how to install it, and writes nothing.
"""

import json
import os
import subprocess

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

from conftest import REPO_ROOT
from target_checks import DIGITS, MODELS, converts_like_onnxruntime, expect_refused

FP16_COSINE, FP16_RTOL = 0.999, 5e-2
INT8_COSINE, INT8_RTOL = 0.995, 5e-2

RKNN_PYTHON = os.environ.get("KILN_RKNN_PYTHON", str(REPO_ROOT / ".venv-rknn" / "bin" / "python"))
needs_toolkit = pytest.mark.skipif(not os.access(RKNN_PYTHON, os.X_OK), reason="rknn-toolkit2 is not installed")


@pytest.mark.parametrize("name", sorted(MODELS))
def test_rknn_onnx_matches_onnxruntime(name, run_kiln, tmp_path):
    report = converts_like_onnxruntime(run_kiln, tmp_path, name, "rknn")
    if name == "digits":
        assert report["targetNotes"] == [
            "legalize-static-batch: input 'image': batch dim N set to 1 (choose it with --input-shape)"]


BUILDS = {
    "digits-fp16": ("digits", (), FP16_COSINE, FP16_RTOL),
    "digits-int8": ("digits", ("--int8", "--images", DIGITS / "calibration", "--preprocess", DIGITS / "preprocess.json"),
                    INT8_COSINE, INT8_RTOL),
    "mobilenetv2-fp16": ("mobilenetv2-bn-64", (), FP16_COSINE, FP16_RTOL),
    "resnet18-int8": ("resnet18-bn-64", ("--int8", "--random", "32"), INT8_COSINE, INT8_RTOL),
}


def _format(section):
    return ", ".join(f"{name} cosine {cosine:.6f} error {error:.1e}" for name, (cosine, error)
                     in section["builds"].items()) + " (simulator against Kiln; error / max |output|)"


@needs_toolkit
@pytest.mark.parametrize("build", sorted(BUILDS))
def test_build_and_simulator(build, run_kiln, summary, tmp_path):
    name, options, min_cosine, max_error = BUILDS[build]
    path = tmp_path / "model.onnx"
    onnx.save(MODELS[name][0](), path)
    out = tmp_path / "m.onnx"
    rc, stdout, stderr = run_kiln("convert", path, "--target", "rknn", "-o", out, "--build", "--json",
                                  "--target-platform", "rk3588", *options, timeout=300)
    assert rc == 0, stderr
    report = json.loads(stdout)
    assert [f["path"] for f in report["target"]["files"]] == [str(out), str(tmp_path / "m.rknn")]
    assert (tmp_path / "m.rknn").stat().st_size > 0
    toolkit = report["toolkit"]
    assert toolkit["ran"] and ("int8" if options else "float16") in toolkit["note"]
    [output] = toolkit["outputs"]
    error = output["maxAbsoluteError"] / output["maxMagnitude"]
    summary.setdefault("target-rknn", {"format": _format, "builds": {}})["builds"][build] = (output["cosine"], error)
    assert output["samples"] == 4
    assert output["cosine"] >= min_cosine and error <= max_error, output


def test_build_without_toolkit_writes_nothing(kiln, tmp_path):
    environment = dict(os.environ, KILN_RKNN_PYTHON=str(tmp_path / "no-python"))
    proc = subprocess.run([str(kiln), "convert", str(DIGITS / "model.onnx"), "--target", "rknn", "-o",
                           str(tmp_path / "m.onnx"), "--build"], capture_output=True, text=True, env=environment)
    assert proc.returncode == 2, proc.stderr
    assert "needs rknn-toolkit2" in proc.stderr and "make setup" in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_unsupported_model_writes_nothing(run_kiln, tmp_path):
    expect_refused(
        run_kiln, tmp_path, "rknn",
        [helper.make_node("Neg", ["x"], ["n"], name="negate"),
         helper.make_node("Resize", ["n", "", "", "sizes"], ["y"], name="cubic", mode="cubic")],
        [1, 2, "H", 4], [1, 2, 8, 8],
        ["input 'x' has dynamic shape [1,2,H,4]", "negate (Neg): rknn has no such op",
         "cubic (Resize): mode 'cubic' is not supported (nearest, linear)"],
        [numpy_helper.from_array(np.array([1, 2, 8, 8], np.int64), "sizes")])
