"""What the TensorRT and RKNN oracle tests check of the ONNX a target wrote: every op in the
target's table (`kiln targets --json`), static shapes, and the numbers against onnxruntime."""

import json
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "Benchmarks"))
import runtime_models  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
DIGITS = REPO / "fixtures" / "digits"
FP32_RTOL = 1e-4  # of the largest output, against onnxruntime on the original

# name -> (model maker, input name, output name, kiln options that fix the shape)
MODELS = {
    "resnet18-bn-64": (lambda: runtime_models.resnet18(
        "resnet18_bn", batchnorm=True, size=64, width=0.25, classes=10), "image", "logits", ()),
    "mobilenetv2-bn-64": (lambda: runtime_models.mobilenet_v2(
        "mobilenetv2_bn", batchnorm=True, size=64, width=0.5, classes=10), "image", "logits", ()),
    "digits": (lambda: onnx.load(DIGITS / "model.onnx"), "image", "logits", ("--input-shape", "image=1x1x16x16")),
}


def target_ops(run_kiln, target):
    """The op types `kiln targets --json` lists for `target`."""
    rc, stdout, stderr = run_kiln("targets", "--json")
    assert rc == 0, stderr
    entry = next(t for t in json.loads(stdout) if t["name"] == target)
    return {op["op"] for op in entry["ops"]}


def check_supported_and_static(path, ops):
    """Every node's op is in `ops`; every graph input, output and inferred value has static
    dims; onnx's checker passes."""
    model = onnx.load(path)
    onnx.checker.check_model(model)
    assert {node.op_type for node in model.graph.node} <= ops, "an op outside the target's table"
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    for info in [*inferred.graph.input, *inferred.graph.output, *inferred.graph.value_info]:
        dims = info.type.tensor_type.shape.dim
        assert all(d.HasField("dim_value") for d in dims), f"{info.name} is not static"


def seeded_input(model):
    shape = [1] + [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim][1:]
    return (np.random.default_rng(0).random(shape) * 2 - 1).astype(np.float32)


def run_ort(path, feeds):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, feeds)[0]


def relative_error(got, expected):
    return float(np.abs(got - expected).max() / np.abs(expected).max())


def expect_refused(run_kiln, folder, target, nodes, input_shape, output_shape, lines, initializers=()):
    """A one-input model of `nodes` (x -> y, opset 17) converted for `target` exits 2 naming
    every line of `lines` and leaves nothing but the model in `folder`."""
    graph = helper.make_graph(
        nodes, "bad", [helper.make_tensor_value_info("x", TensorProto.FLOAT, input_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, output_shape)], list(initializers))
    path = folder / "bad.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    rc, _, stderr = run_kiln("convert", path, "--target", target, "-o", folder / "out.onnx")
    assert rc == 2, stderr
    for line in lines:
        assert line in stderr
    assert sorted(p.name for p in folder.iterdir()) == ["bad.onnx"]


def converts_like_onnxruntime(run_kiln, folder, name, target, *options):
    """Converts MODELS[name] for `target` (with `options`), checks that only `folder/out.onnx`
    was written, with ops of the target's table and static shapes, and that it gives
    onnxruntime's output on the original within FP32_RTOL; returns the JSON report."""
    make, input_name, _, _ = MODELS[name]
    model = make()
    path = folder / "model.onnx"
    onnx.save(model, path)
    out = folder / "out.onnx"
    rc, stdout, stderr = run_kiln("convert", path, "--target", target, "-o", out, "--json", *options)
    assert rc == 0, stderr
    report = json.loads(stdout)
    assert [f["path"] for f in report["target"]["files"]] == [str(out)]
    check_supported_and_static(out, target_ops(run_kiln, target))
    x = seeded_input(model)
    assert relative_error(run_ort(out, {input_name: x}), run_ort(path, {input_name: x})) <= FP32_RTOL
    return report
