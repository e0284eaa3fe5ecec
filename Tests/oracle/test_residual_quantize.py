"""`kiln quantize --int8` on a residual network, checked with onnxruntime.

The generated ResNet-18-like CNN (64x64 input, width 0.25, BatchNormalization) is calibrated by
`kiln calibrate --random 16` and quantized by `kiln quantize --int8 --stats`, with int8 and with
uint8 activations:
  structure    both inputs of every Add read a DequantizeLinear, and every Conv's output (or the
               Relu after it) is read by QuantizeLinear nodes only (the stem's by its MaxPool),
               the QDQ form in which
               onnxruntime runs a Conv as QLinearConv and TensorRT fuses an Add into its Conv;
               onnx's checker passes;
  onnxruntime  (1.32, all optimizations on) the int8 model's logits stay close to the float
               model's (cosine > 0.999 on seeded input); with uint8 activations its optimized
               graph runs every Conv as QLinearConv and the residual Adds as QLinearAdd (with
               int8 ones it runs a Conv in float when its input tensor is also read by an Add:
               it converts only unshared int8 QuantizeLinear nodes to uint8, and has no x86
               kernel for int8 activations with int8 weights);
  KilnRuntime  (`kiln run`) gives onnxruntime's logits of the int8 model.
"""

import subprocess

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from target_checks import MODELS, seeded_input


def run_ort(path, x, optimized=None):
    options = ort.SessionOptions()
    if optimized:
        options.optimized_model_filepath = str(optimized)
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return session.run(None, {"image": x})[0]


@pytest.fixture(scope="module")
def residual_model(kiln, tmp_path_factory):
    """The float model and its `kiln calibrate --random 16` statistics."""
    folder = tmp_path_factory.mktemp("residual")
    source, stats = folder / "model.onnx", folder / "stats.json"
    onnx.save(MODELS["resnet18-bn-64"][0](), source)
    run(kiln, "calibrate", source, "--random", "16", "-q", "-o", stats)
    return source, stats


def run(kiln, *args):
    result = subprocess.run([str(kiln), *map(str, args)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("activation", ["int8", "uint8"])
def test_residual_branches_are_quantized(kiln, residual_model, activation, tmp_path):
    source, stats = residual_model
    out = tmp_path / "int8.onnx"
    run(kiln, "quantize", source, "-o", out, "--int8", "--stats", stats, "--activation-type", activation)
    model = onnx.load(out)
    onnx.checker.check_model(model)
    producers = {output: node for node in model.graph.node for output in node.output}
    readers = {}
    for node in model.graph.node:
        for name in node.input:
            readers.setdefault(name, []).append(node)
    adds = [node for node in model.graph.node if node.op_type == "Add"]
    assert len(adds) == 8
    for add in adds:
        assert [producers[name].op_type for name in add.input] == ["DequantizeLinear"] * 2, add.name
    for conv in (node for node in model.graph.node if node.op_type == "Conv"):
        output = conv.output[0]
        if [reader.op_type for reader in readers[output]] == ["Relu"]:
            output = readers[output][0].output[0]
        assert {reader.op_type for reader in readers[output]} in ({"QuantizeLinear"}, {"MaxPool"}), conv.name

    x = seeded_input(model)
    optimized = tmp_path / "optimized.onnx"
    quantized = run_ort(out, x, optimized)
    float32 = run_ort(source, x)
    cosine = float((quantized * float32).sum() / np.linalg.norm(quantized) / np.linalg.norm(float32))
    assert cosine > 0.999, cosine
    if activation == "uint8":
        kinds = [node.op_type for node in onnx.load(optimized).graph.node]
        assert kinds.count("QLinearConv") == 20 and "Conv" not in kinds and "FusedConv" not in kinds, kinds
        assert kinds.count("QLinearAdd") >= 7, kinds

    np.save(tmp_path / "x.npy", x)
    run(kiln, "run", out, "--input", f"image={tmp_path / 'x.npy'}", "--output-dir", tmp_path / "kiln")
    from_kiln = np.load(tmp_path / "kiln" / "logits.npy")
    assert np.abs(from_kiln - quantized).max() <= 0.02 * np.abs(quantized).max()
