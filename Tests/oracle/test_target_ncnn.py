"""`kiln convert --target ncnn`, checked by the ncnn Python package against onnxruntime.

Models: the generated ResNet-18-like and MobileNetV2-like CNNs (BatchNormalization after every
Conv; Benchmarks/runtime_models.py at 64x64), the digits CNN (fixtures/digits/model.onnx, batch
fixed to 1 with --input-shape), and a small model that uses every other mapped op family
(ConvTranspose, pools, MemoryData operands, Pad, Slice, Resize, Split, Concat, Transpose,
Softmax, MatMul, HardSwish alone and LeakyRelu, Sigmoid, HardSwish and Clip fused). For each:
  fp32   the .param/.bin load in ncnn (CPU, fp16 and bf16 storage and arithmetic off) and give
         the output onnxruntime gives for the original ONNX on the same seeded input, within
         FP32_RTOL of the output's largest magnitude;
  fp16   with --fp16-weights, within FP16_RTOL of it (float16 weights round to 11 bits; the
         error grows with depth: measured 5e-4 on ResNet and digits, 1e-2 on MobileNetV2);
  int8   with --int8 --stats (`kiln calibrate` on the digits calibration images, or on 16
         seeded random samples for the generated models), ncnn with use_int8_inference runs the
         int8 layers; the cosine similarity of its output with onnxruntime's float32 output on
         the original is at least INT8_COSINE on every input (the 300 digits test images, four
         seeded random inputs otherwise), and on digits top-1 accuracy is within 1 point of
         float32. Measured: digits 0.9993 (accuracy 99.0 both), ResNet 0.997; the MobileNetV2-
         like model (random weights, thin layers) is sensitive to int8 itself: 0.83 to 0.98
         over the inputs here, and onnxruntime running Kiln's QDQ int8 of the same statistics
         is no closer (0.82 to 0.98), so its bound is 0.8.
         The .bin of digits holds, for every Convolution and InnerProduct, the weights as
         clamp(round(w * s)) with s the table's 127/max|w| per output channel (31/max|w| for
         3x3 stride-1 convolutions), then the bias, the weight scales and 127/max(|min|,
         |max|) of the input's calibrated range, which the .table lists as ncnn2table would.
An unsupported model exits 2 listing every node with its reason and leaves no files.
"""

import json
import struct
import sys
from pathlib import Path

import ncnn
import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "Benchmarks"))
import runtime_models  # noqa: E402
from test_digits_quantize import labeled_test_images  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
DIGITS = REPO / "fixtures" / "digits"
FP32_RTOL = 1e-3
FP16_RTOL = 3e-2
INT8_COSINE = {"digits": 0.99, "resnet18-bn-64": 0.99, "mobilenetv2-bn-64": 0.8}
INT8_TAG = 0x000D4B38


def ops_model():
    """A small model using every mapped op family besides plain convolutions."""
    rng = np.random.default_rng(1)
    inits = []

    def const(name, value, dtype=np.float32):
        inits.append(numpy_helper.from_array(np.asarray(value, dtype), name))
        return name

    def weight(name, shape, scale=0.3):
        return const(name, rng.standard_normal(shape) * scale)

    node = helper.make_node
    nodes = [
        node("Conv", ["x", weight("w1", (8, 4, 3, 3)), weight("b1", (8,))], ["c1"], pads=[1, 1, 1, 1]),
        node("LeakyRelu", ["c1"], ["l1"], alpha=0.1),
        node("ConvTranspose", ["l1", weight("wt", (8, 3, 2, 2)), weight("bt", (6,))], ["d1"],
             strides=[2, 2], group=2),
        node("Sigmoid", ["d1"], ["s1"]),
        node("AveragePool", ["s1"], ["a1"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
        node("Mul", ["a1", weight("m1", (6, 1, 1), 1.0)], ["mu"]),
        node("Add", ["mu", const("sc", 1.5)], ["ad"]),
        node("HardSwish", ["ad"], ["h0"]),
        node("Conv", ["h0", weight("w2", (6, 6, 1, 1))], ["c2"]),
        node("HardSwish", ["c2"], ["hs"]),
        node("Pad", ["hs", const("pads", [0, 0, 1, 2, 0, 0, 2, 1], np.int64)], ["pd"]),
        node("Slice", ["pd", const("st", [1, 2], np.int64), const("en", [10, 100], np.int64),
                       const("ax", [2, 3], np.int64)], ["sl"]),
        node("Resize", ["sl", "", const("up", [1, 1, 2, 2])], ["rs"], mode="linear",
             coordinate_transformation_mode="half_pixel"),
        node("Resize", ["rs", "", const("down", [1, 1, 0.5, 0.5])], ["rn"], mode="nearest",
             coordinate_transformation_mode="asymmetric", nearest_mode="floor"),
        node("Split", ["rn", const("split", [2, 4], np.int64)], ["sp1", "sp2"], axis=1),
        node("Concat", ["sp2", "sp1", "sp1"], ["cc"], axis=1),
        node("Transpose", ["cc"], ["tp"], perm=[0, 2, 3, 1]),
        node("Softmax", ["tp"], ["sm"], axis=-1),
        node("Transpose", ["sm"], ["tp2"], perm=[0, 3, 1, 2]),
        node("MaxPool", ["tp2"], ["mp"], kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1),
        node("Reshape", ["mp", const("shape", [1, -1], np.int64)], ["fl"]),
        node("MatMul", ["fl", weight("mm", (200, 12), 0.1)], ["mmo"]),
        node("Clip", ["mmo", const("lo", -0.5), const("hi", 0.5)], ["out"]),
    ]
    graph = helper.make_graph(
        nodes, "ops", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 8, 8])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 12])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


MODELS = {
    "resnet18-bn-64": (lambda: runtime_models.resnet18(
        "resnet18_bn", batchnorm=True, size=64, width=0.25, classes=10), "image", "logits", ()),
    "mobilenetv2-bn-64": (lambda: runtime_models.mobilenet_v2(
        "mobilenetv2_bn", batchnorm=True, size=64, width=0.5, classes=10), "image", "logits", ()),
    "digits": (lambda: onnx.load(DIGITS / "model.onnx"), "image", "logits",
               ("--input-shape", "image=1x1x16x16")),
    "ops": (ops_model, "x", "out", ()),
}


def _format(section):
    return ", ".join(f"{name} fp32 {errors['fp32']:.2e} fp16 {errors['fp16']:.2e}"
                     for name, errors in section["errors"].items()) + " (max error / max |output|)"


@pytest.fixture(scope="module")
def errors(summary):
    return summary.setdefault("target-ncnn", {"format": _format, "errors": {}})["errors"]


def ncnn_run(stem, input_name, output_names, x, int8=False):
    """The outputs `output_names` of the ncnn network STEM.param/.bin for input `x` (batch 1),
    on the CPU in float32 arithmetic (with `int8`, int8 layers in int8)."""
    net = ncnn.Net()
    for option in ("use_vulkan_compute", "use_fp16_packed", "use_fp16_storage", "use_fp16_arithmetic",
                   "use_bf16_storage"):
        setattr(net.opt, option, False)
    net.opt.use_int8_inference = int8
    assert net.load_param(f"{stem}.param") == 0, "ncnn cannot load the .param"
    assert net.load_model(f"{stem}.bin") == 0, "ncnn cannot load the .bin"
    results = []
    with net.create_extractor() as extractor:
        assert extractor.input(input_name, ncnn.Mat(np.ascontiguousarray(x[0])).clone()) == 0
        for name in output_names:
            status, result = extractor.extract(name)
            assert status == 0, f"ncnn cannot compute {name}"
            results.append(np.array(result).copy())
    return results


def relative_error(got, expected):
    return float(np.abs(got.reshape(expected.shape) - expected).max() / np.abs(expected).max())


@pytest.mark.parametrize("name", sorted(MODELS))
def test_ncnn_matches_onnxruntime(name, run_kiln, errors, tmp_path):
    make, input_name, output_name, options = MODELS[name]
    model = make()
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    shape = [1] + [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim][1:]
    x = (np.random.default_rng(0).random(shape) * 2 - 1).astype(np.float32)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    expected = session.run([output_name], {input_name: x})[0]

    measured = {}
    for kind, extra in (("fp32", ()), ("fp16", ("--fp16-weights",))):
        stem = tmp_path / kind
        rc, stdout, stderr = run_kiln("convert", path, "--target", "ncnn", "-o", stem, "--json",
                                      *options, *extra)
        assert rc == 0, f"kiln convert --target ncnn exited {rc}: {stderr}"
        files = [entry["path"] for entry in json.loads(stdout)["target"]["files"]]
        assert files == [f"{stem}.param", f"{stem}.bin"]
        measured[kind] = relative_error(ncnn_run(stem, input_name, [output_name], x)[0], expected)
    errors[name] = measured
    assert measured["fp32"] <= FP32_RTOL, f"fp32: {measured}"
    assert measured["fp16"] <= FP16_RTOL, f"fp16 weights: {measured}"
    assert Path(f"{tmp_path}/fp16.bin").stat().st_size < Path(f"{tmp_path}/fp32.bin").stat().st_size * 0.6


def read_layers(param_path):
    """(type, name, inputs, params) of every layer line of a .param file."""
    lines = Path(param_path).read_text().splitlines()
    assert lines[0] == "7767517"
    layers = []
    for line in lines[2:]:
        fields = line.split()
        kind, name, n_in, n_out = fields[0], fields[1], int(fields[2]), int(fields[3])
        inputs = fields[4:4 + n_in]
        params = dict(field.split("=", 1) for field in fields[4 + n_in + n_out:])
        layers.append((kind, name, inputs, params))
    assert int(lines[1].split()[0]) == len(layers)
    return layers


def read_weights(layers, bin_path):
    """(weight, scales) of every Convolution and InnerProduct by layer name, reading the .bin as
    ncnn's load_model does: the tagged weight (float32 tag 0, or int8 tag 0x000D4B38 padded to 4
    bytes), the plain bias, and with 8=int8_scale_term the weight scales and the input scale."""
    data, offset, weights = Path(bin_path).read_bytes(), 0, {}

    def take(dtype, count, padded=4):
        nonlocal offset
        values = np.frombuffer(data, dtype, count, offset)
        offset += -(-values.nbytes // padded) * padded
        return values

    for kind, name, _, params in layers:
        if kind not in ("Convolution", "InnerProduct"):
            assert kind not in ("ConvolutionDepthWise", "Deconvolution", "BatchNorm", "MemoryData"), \
                "not expected in digits"
            continue
        convolution = kind == "Convolution"
        size, outputs = int(params["6" if convolution else "2"]), int(params["0"])
        tag = int(take(np.uint32, 1)[0])
        assert tag in (0, INT8_TAG), f"{name}: storage tag {tag:#x}"
        weight = take(np.float32 if tag == 0 else np.int8, size)
        if params["5" if convolution else "1"] == "1":
            take(np.float32, outputs)
        scales = (take(np.float32, outputs), take(np.float32, 1)) if "8" in params else None
        weights[name] = (weight, scales)
    assert offset == len(data), "the .bin holds exactly the layers' weights"
    return weights


def convert_digits(run_kiln, stem, *options):
    rc, _, stderr = run_kiln("convert", DIGITS / "model.onnx", "--target", "ncnn", "-o", stem,
                             "--input-shape", "image=1x1x16x16", "-q", *options)
    assert rc == 0, stderr
    layers = read_layers(f"{stem}.param")
    return layers, read_weights(layers, f"{stem}.bin")


def test_int8_files_from_calibration(run_kiln, digits_stats, tmp_path):
    _, floats = convert_digits(run_kiln, tmp_path / "fp32")
    stem = tmp_path / "int8"
    layers, quantized = convert_digits(run_kiln, stem, "--int8", "--stats", digits_stats)
    ranges = json.loads(digits_stats.read_text())["tensors"]
    table = dict((line.split()[0], [float(v) for v in line.split()[1:]])
                 for line in Path(f"{stem}.table").read_text().splitlines())
    layers = [layer for layer in layers if layer[0] in ("Convolution", "InnerProduct")]
    assert len(table) == 2 * len(layers) == 8
    for kind, name, inputs, params in layers:
        assert params["8"] == "2", f"{name}: int8_scale_term"
        weight = floats[name][0].reshape(int(params["0"]), -1)
        winograd = kind == "Convolution" and params["1"] == "3" and params["3"] == "1" and params["2"] == "1"
        np.testing.assert_allclose(table[f"{name}_param_0"], (31 if winograd else 127) / np.abs(weight).max(axis=1),
                                   rtol=1e-5)
        blob = inputs[0].split("_splitncnn_")[0]
        bound = max(abs(ranges[blob]["min"]), abs(ranges[blob]["max"]))
        np.testing.assert_allclose(table[name], [127 / bound], rtol=1e-5)
        values, (weight_scales, input_scale) = quantized[name]
        np.testing.assert_allclose(weight_scales, table[f"{name}_param_0"], rtol=1e-5)
        np.testing.assert_allclose(input_scale, table[name], rtol=1e-5)
        scaled = weight * weight_scales[:, None]
        expected = np.clip(np.trunc(scaled + np.copysign(0.5, scaled)), -127, 127)
        np.testing.assert_array_equal(values.reshape(weight.shape), expected, err_msg=name)


def int8_inputs(name, model):
    """The inputs of the int8 comparison: the digits test images with their labels, or four
    seeded random inputs."""
    if name == "digits":
        return labeled_test_images()
    shape = [4] + [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim][1:]
    return (np.random.default_rng(2).random(shape) * 2 - 1).astype(np.float32), None


@pytest.mark.parametrize("name", sorted(INT8_COSINE))
def test_int8_ncnn_close_to_onnxruntime(name, run_kiln, digits_stats, summary, tmp_path):
    make, input_name, output_name, options = MODELS[name]
    model = make()
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    stats = digits_stats
    if name != "digits":
        stats = tmp_path / "stats.json"
        rc, _, stderr = run_kiln("calibrate", path, "--random", 16, "--seed", 1, "-q", "-o", stats)
        assert rc == 0, stderr
    stem = tmp_path / "int8"
    rc, _, stderr = run_kiln("convert", path, "--target", "ncnn", "-o", stem, "-q", *options, "--int8", "--stats", stats)
    assert rc == 0, stderr
    batch, labels = int8_inputs(name, model)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    expected = np.concatenate([session.run([output_name], {input_name: x[None]})[0] for x in batch])
    got = np.stack([ncnn_run(stem, input_name, [output_name], x[None], int8=True)[0].ravel() for x in batch])
    cosine = (got * expected).sum(axis=1) / np.linalg.norm(got, axis=1) / np.linalg.norm(expected, axis=1)
    section = summary.setdefault("target-ncnn-int8", {"format": lambda s: ", ".join(
        f"{k} {v}" for k, v in s["results"].items()), "results": {}})
    section["results"][name] = f"min cosine {cosine.min():.4f}"
    assert cosine.min() >= INT8_COSINE[name], f"{name}: cosine {cosine.min()} on input {cosine.argmin()}"
    if labels is not None:
        accuracy = {kind: 100 * float((outputs.argmax(axis=1) == labels).mean())
                    for kind, outputs in (("float", expected), ("int8", got))}
        section["results"][name] += f", accuracy {accuracy}"
        assert accuracy["int8"] >= accuracy["float"] - 1, accuracy


def test_unsupported_model_writes_nothing(run_kiln, tmp_path):
    graph = helper.make_graph(
        [helper.make_node("Erf", ["x"], ["e"], name="erf"),
         helper.make_node("Transpose", ["e"], ["y"], name="swap", perm=[1, 0])],
        "bad", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 1])])
    path = tmp_path / "bad.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    rc, _, stderr = run_kiln("convert", path, "--target", "ncnn", "-o", tmp_path / "out")
    assert rc == 2, stderr
    assert "erf (Erf): ncnn has no such op" in stderr
    assert "swap (Transpose): perm [1, 0] is not supported" in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.onnx"]
