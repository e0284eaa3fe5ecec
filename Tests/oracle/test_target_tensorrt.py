"""`kiln convert --target tensorrt`, checked with onnxruntime (TensorRT itself is not here).

Models: the generated ResNet-18-like and MobileNetV2-like CNNs at 64x64 and the digits CNN.
  fp32   the ONNX uses only ops of the TensorRT table, has static shapes, passes onnx's checker,
         and gives onnxruntime's output on the original within FP32_RTOL of its largest value;
  int8   (digits, statistics from `kiln calibrate` on its calibration images) every
         QuantizeLinear and DequantizeLinear has an int8 zero point of 0, every Conv and Gemm
         reads dequantized int8 weights per channel and a float bias, and onnxruntime's top-1
         accuracy on the 300 test images is within 1 point of float32's, as for `kiln quantize`;
  trtexec  the JSON names the command, `--int8` with QDQ, the --min/opt/maxShapes of a range;
         without trtexec on PATH --build writes the ONNX and says the engine was not built.
An unsupported model exits 2 listing every node with its reason and leaves no files.
"""

import json

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

from target_checks import DIGITS, MODELS, converts_like_onnxruntime, expect_refused, run_ort
from test_digits_quantize import labeled_test_images

@pytest.mark.parametrize("name", sorted(MODELS))
def test_tensorrt_onnx_matches_onnxruntime(name, run_kiln, tmp_path):
    report = converts_like_onnxruntime(run_kiln, tmp_path, name, "tensorrt", *MODELS[name][3])
    out, engine = tmp_path / "out.onnx", tmp_path / "out.engine"
    assert report["toolkit"]["command"] == f"trtexec --onnx={out} --saveEngine={engine}"


def test_int8_qdq_as_tensorrt_wants_it(run_kiln, digits_stats, tmp_path):
    out = tmp_path / "int8.onnx"
    rc, stdout, stderr = run_kiln("convert", DIGITS / "model.onnx", "--target", "tensorrt", "-o", out,
                                  "--input-shape", "image=1..64..300x1x16x16", "--int8", "--stats", digits_stats,
                                  "--json")
    assert rc == 0, stderr
    command = json.loads(stdout)["toolkit"]["command"]
    assert command.endswith("--int8 --minShapes=image:1x1x16x16 --optShapes=image:64x1x16x16 "
                            "--maxShapes=image:300x1x16x16")
    model = onnx.load(out)
    onnx.checker.check_model(model)
    constants = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    producers = {output: node for node in model.graph.node for output in node.output}
    for node in model.graph.node:
        if node.op_type in ("QuantizeLinear", "DequantizeLinear"):
            zero = constants[node.input[2]]
            assert zero.dtype == np.int8 and not zero.any(), f"{node.name}: zero point"
        if node.op_type in ("Conv", "Gemm"):
            activation, weight = producers[node.input[0]], producers[node.input[1]]
            assert activation.op_type == "DequantizeLinear"
            assert producers[activation.input[0]].op_type == "QuantizeLinear"
            assert weight.op_type == "DequantizeLinear" and constants[weight.input[0]].dtype == np.int8
            assert constants[weight.input[1]].size > 1, "weights per channel"
            assert constants[node.input[2]].dtype == np.float32, "bias stays float"
    assert sum(node.op_type == "QuantizeLinear" for node in model.graph.node) == 4
    images, labels = labeled_test_images()
    fp32 = (run_ort(DIGITS / "model.onnx", {"image": images}).argmax(1) == labels).mean()
    int8 = (run_ort(out, {"image": images}).argmax(1) == labels).mean()
    assert int8 >= fp32 - 0.01, f"int8 top-1 {int8:.3f}, fp32 {fp32:.3f}"


def test_build_without_trtexec_writes_the_onnx(run_kiln, tmp_path):
    out = tmp_path / "d.onnx"
    rc, stdout, stderr = run_kiln("convert", DIGITS / "model.onnx", "--target", "tensorrt", "-o", out,
                                  "--input-shape", "image=1x1x16x16", "--fp16-weights", "--build", "--json")
    assert rc == 0, stderr
    toolkit = json.loads(stdout)["toolkit"]
    assert toolkit["command"].endswith("--fp16")
    if not toolkit["ran"]:
        assert "trtexec is not on PATH" in toolkit["note"]
        assert sorted(p.name for p in tmp_path.iterdir()) == ["d.onnx"]


def test_unsupported_model_writes_nothing(run_kiln, tmp_path):
    expect_refused(
        run_kiln, tmp_path, "tensorrt",
        [helper.make_node("Hardmax", ["x"], ["h"], name="hard"),
         helper.make_node("MaxPool", ["h"], ["y"], name="pool1d", kernel_shape=[2])],
        ["N", 4, 8], ["N", 4, 7],
        ["input 'x' has dynamic shape [N,4,8]", "hard (Hardmax): tensorrt has no such op",
         "pool1d (MaxPool): 1-D pooling; only 2-D to 3-D"])
