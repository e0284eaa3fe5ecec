"""`kiln quantize --int8 --ranges` and `--fp16` on a generated small CNN, checked by onnx and
onnxruntime.

The CNN (Conv-BatchNorm-Relu twice, global pooling, Gemm) is prepared with `kiln convert`
(the default pipeline, as `kiln quantize` applies it) and every tensor's range is measured on
the prepared model with onnxruntime. For each quantized output:
  checker   onnx.checker.check_model passes;
  runtimes  onnxruntime and KilnRuntime (`kiln run`) agree on the quantized model;
  accuracy  the quantized model stays close to the float one.
"""

import json
import subprocess

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper


def small_cnn(path):
    rng = np.random.default_rng(0)

    def init(name, shape, scale=0.3):
        return numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name)

    inits = [init("W1", (8, 3, 3, 3)), init("B1", (8,)), init("W2", (16, 8, 3, 3)), init("G", (10, 16)), init("C", (10,))]
    for prefix, channels in (("bn1", 8), ("bn2", 16)):
        inits += [
            numpy_helper.from_array(rng.uniform(0.5, 1.5, channels).astype(np.float32), f"{prefix}_s"),
            numpy_helper.from_array(rng.uniform(-0.2, 0.2, channels).astype(np.float32), f"{prefix}_b"),
            numpy_helper.from_array(rng.uniform(-0.2, 0.2, channels).astype(np.float32), f"{prefix}_m"),
            numpy_helper.from_array(rng.uniform(0.5, 1.5, channels).astype(np.float32), f"{prefix}_v"),
        ]
    nodes = [
        helper.make_node("Conv", ["X", "W1", "B1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "bn1_s", "bn1_b", "bn1_m", "bn1_v"], ["n1"]),
        helper.make_node("Relu", ["n1"], ["r1"]),
        helper.make_node("Conv", ["r1", "W2"], ["c2"], pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("BatchNormalization", ["c2", "bn2_s", "bn2_b", "bn2_m", "bn2_v"], ["n2"]),
        helper.make_node("Relu", ["n2"], ["r2"]),
        helper.make_node("GlobalAveragePool", ["r2"], ["p"]),
        helper.make_node("Flatten", ["p"], ["f"]),
        helper.make_node("Gemm", ["f", "G", "C"], ["Y"], transB=1),
    ]
    graph = helper.make_graph(
        nodes, "cnn", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, path)


def run_ort(path, feeds, outputs=None):
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return session.run(outputs, feeds)


def ranges_of(prepared, feeds, path):
    """min/max of every node output of `prepared`, measured by onnxruntime."""
    model = onnx.load(prepared)
    names = [out for node in model.graph.node for out in node.output]
    model.graph.output.extend(helper.make_empty_tensor_value_info(name) for name in names)
    instrumented = path.parent / "instrumented.onnx"
    onnx.save(model, instrumented)
    values = run_ort(instrumented, feeds, names)
    ranges = {name: {"min": float(v.min()), "max": float(v.max())} for name, v in zip(names, values)}
    x = feeds["X"]
    ranges["X"] = {"min": float(x.min()), "max": float(x.max())}
    path.write_text(json.dumps(ranges))


def kiln_run(kiln, model, input_path, out_dir):
    subprocess.run([str(kiln), "run", str(model), "--input", f"X={input_path}", "--output-dir", str(out_dir)],
                   check=True, capture_output=True)
    return np.load(out_dir / "Y.npy")


def check_quantized(kiln, tmp_path, args, float_tolerance, runtime_tolerance):
    source = tmp_path / "cnn.onnx"
    small_cnn(source)
    x = np.random.default_rng(1).uniform(-1, 1, (1, 3, 16, 16)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    prepared = tmp_path / "prepared.onnx"
    subprocess.run([str(kiln), "convert", str(source), "-o", str(prepared)], check=True, capture_output=True)
    ranges_of(prepared, {"X": x}, tmp_path / "ranges.json")
    quantized = tmp_path / "quantized.onnx"
    args = [a.replace("RANGES", str(tmp_path / "ranges.json")) for a in args]
    result = subprocess.run([str(kiln), "quantize", str(source), "-o", str(quantized), "--json"] + args,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    onnx.checker.check_model(onnx.load(quantized), full_check=True)
    expected = run_ort(source, {"X": x})[0]
    actual = run_ort(quantized, {"X": x})[0]
    kiln_actual = kiln_run(kiln, quantized, tmp_path / "x.npy", tmp_path)
    scale = np.abs(expected).max()
    assert np.abs(actual - expected).max() / scale < float_tolerance
    assert np.abs(kiln_actual.astype(np.float32) - actual.astype(np.float32)).max() / scale < runtime_tolerance
    return json.loads(result.stdout)


def test_int8(kiln, tmp_path):
    summary = check_quantized(kiln, tmp_path, ["--int8", "--ranges", "RANGES"], 0.05, 0.02)
    assert sum(node["quantized"] for node in summary["int8"]["nodes"]) == 3


def test_fp16(kiln, tmp_path):
    summary = check_quantized(kiln, tmp_path, ["--fp16", "--keep-io-types"], 3e-3, 3e-3)
    assert summary["float16"]["convertedNodes"] > 0
