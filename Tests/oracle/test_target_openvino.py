"""`kiln convert --target openvino`, loaded and run by OpenVINO, compared with onnxruntime.

Models: the generated ResNet-18-like and MobileNetV2-like CNNs (BatchNormalization after every
Conv, 64x64 input, channels scaled down; Benchmarks/runtime_models.py) and the digits CNN
(fixtures/digits/model.onnx, dynamic batch). For each, the .xml/.bin are read by
`ov.Core().read_model` and compiled for "CPU" in float32 (INFERENCE_PRECISION_HINT f32: the
plugin's default bfloat16 would hide the comparison), then run on the same input as the
original ONNX in onnxruntime:
  float32   --target openvino: max |ov - ort| <= 1e-3 · max |ort|;
  float16   --fp16-weights (f16 Consts decompressed by Convert): relative L2 error <= 3e-2
            (measured 5e-4 ResNet, 1.2e-2 MobileNetV2, 3.5e-4 digits: the same as OpenVINO's
            own compress_to_fp16 on these models);
  int8      --int8 --stats (FakeQuantize from `kiln calibrate`): on the digits' 300 labelled
            test images, top-1 accuracy within 1 point of float32, and OpenVINO runs every
            Convolution and FullyConnected in u8; on the generated models (random weights,
            calibrated on 16 random samples) relative L2 error <= 0.5 (measured 0.31 and 0.37;
            Kiln's QDQ ONNX in onnxruntime gives 0.31 and 0.28 from the same statistics).
An unsupported node makes kiln exit 2, name the node and the reason, and write no file.
"""

import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import openvino as ov
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import REPO_ROOT
from test_digits_quantize import labeled_test_images

sys.path.insert(0, str(REPO_ROOT / "Benchmarks"))
import runtime_models  # noqa: E402

DIGITS = REPO_ROOT / "fixtures" / "digits" / "model.onnx"
GENERATED = {
    "resnet18": lambda: runtime_models.resnet18("resnet18_bn", batchnorm=True, size=64, width=0.25, classes=10),
    "mobilenetv2": lambda: runtime_models.mobilenet_v2("mobilenetv2_bn", batchnorm=True, size=64, width=0.5, classes=10),
}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Name -> path of every model under test."""
    folder = tmp_path_factory.mktemp("openvino-models")
    paths = {"digits": DIGITS}
    for name, make in GENERATED.items():
        paths[name] = folder / f"{name}.onnx"
        onnx.save(make(), paths[name])
    return paths


def sample(path):
    """A seeded input for the model's one input (dynamic dims as 2), and its name."""
    graph = onnx.load(path).graph
    initializers = {i.name for i in graph.initializer}
    (first,) = [i for i in graph.input if i.name not in initializers]
    shape = [d.dim_value if d.HasField("dim_value") else 2 for d in first.type.tensor_type.shape.dim]
    return first.name, np.random.default_rng(3).standard_normal(shape).astype(np.float32)


def ort_outputs(path, name, x):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {name: x})[0]


def compiled(xml):
    core = ov.Core()
    return core.compile_model(core.read_model(str(xml)), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})


def ov_outputs(xml, name, x):
    model = compiled(xml)
    return model({name: x})[model.output(0)]


def convert(run_kiln, model, out, *args):
    rc, _, err = run_kiln("convert", model, "--target", "openvino", "-q", "-o", out, *args)
    assert rc == 0, err
    assert out.is_file() and out.with_suffix(".bin").is_file()
    return out


def relative_l2(actual, expected):
    return float(np.linalg.norm(actual - expected) / np.linalg.norm(expected))


@pytest.mark.parametrize("name", ["resnet18", "mobilenetv2", "digits"])
def test_float32_matches_onnxruntime(run_kiln, models, tmp_path, name):
    xml = convert(run_kiln, models[name], tmp_path / f"{name}.xml")
    input_name, x = sample(models[name])
    expected = ort_outputs(models[name], input_name, x)
    actual = ov_outputs(xml, input_name, x)
    assert actual.shape == expected.shape
    assert np.abs(actual - expected).max() <= 1e-3 * np.abs(expected).max()


@pytest.mark.parametrize("name", ["resnet18", "mobilenetv2", "digits"])
def test_float16_weights_match_onnxruntime(run_kiln, models, tmp_path, name):
    xml = convert(run_kiln, models[name], tmp_path / f"{name}.xml", "--fp16-weights")
    text = xml.read_text()
    assert 'element_type="f16"' in text and '<attribute name="decompression" version="0" />' in text
    assert xml.with_suffix(".bin").stat().st_size < 0.6 * Path(models[name]).stat().st_size
    input_name, x = sample(models[name])
    assert relative_l2(ov_outputs(xml, input_name, x), ort_outputs(models[name], input_name, x)) <= 3e-2


def calibrated(run_kiln, model, stats, *data):
    rc, _, err = run_kiln("calibrate", model, *data, "-q", "-o", stats, timeout=300)
    assert rc == 0, err
    return stats


def test_int8_digits_keep_accuracy_and_run_in_u8(run_kiln, tmp_path):
    stats = calibrated(run_kiln, DIGITS, tmp_path / "stats.json", "--images", DIGITS.parent / "calibration",
                       "--preprocess", DIGITS.parent / "preprocess.json")
    xml = convert(run_kiln, DIGITS, tmp_path / "digits.xml", "--int8", "--stats", stats)
    batch, labels = labeled_test_images()
    model = compiled(xml)
    predicted = model({"image": batch})[model.output(0)].argmax(axis=1)
    float_predicted = ort_outputs(DIGITS, "image", batch).argmax(axis=1)
    assert (predicted == labels).mean() >= (float_predicted == labels).mean() - 0.01
    precisions = {str(op.get_rt_info()["runtimePrecision"].astype(str))
                  for op in model.get_runtime_model().get_ops()
                  if op.get_rt_info()["layerType"].astype(str) in ("Convolution", "FullyConnected")}
    assert precisions == {"u8"}


@pytest.mark.parametrize("name", ["resnet18", "mobilenetv2"])
def test_int8_generated_models_stay_close(run_kiln, models, tmp_path, name):
    stats = calibrated(run_kiln, models[name], tmp_path / "stats.json", "--random", "16")
    xml = convert(run_kiln, models[name], tmp_path / f"{name}.xml", "--int8", "--stats", stats)
    assert "FakeQuantize" in xml.read_text()
    input_name, x = sample(models[name])
    assert relative_l2(ov_outputs(xml, input_name, x), ort_outputs(models[name], input_name, x)) <= 0.5


def test_unsupported_nodes_are_listed_and_nothing_is_written(run_kiln, tmp_path):
    nodes = [
        helper.make_node("Hardmax", ["x"], ["h"], name="hardmax_node"),
        helper.make_node("Pad", ["h", "pads"], ["y"], name="wrap_pad", mode="wrap"),
    ]
    graph = helper.make_graph(
        nodes, "refused", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64), "pads")])
    model = tmp_path / "refused.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)]), model)
    rc, _, err = run_kiln("convert", model, "--target", "openvino", "-o", tmp_path / "out.xml")
    assert rc == 2
    assert "hardmax_node (Hardmax): openvino has no such op" in err
    assert "wrap_pad (Pad): mode 'wrap' is not supported" in err
    assert not (tmp_path / "out.xml").exists() and not (tmp_path / "out.bin").exists()
