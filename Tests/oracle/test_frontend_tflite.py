"""The TFLite frontend against LiteRT: the real models in <test models>/tflite, and one generated
single-op model per supported op and attribute variant. Each converts with `kiln convert`, runs
in onnxruntime on the same seeded input as ai_edge_litert's Interpreter, and must match within
1e-4 relative (1e-3 for fp16 weights; one quantization step for int8 outputs). After the
default pipeline no Transpose may feed another Transpose.
"""

import os
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from ai_edge_litert.interpreter import Interpreter, OpResolverType

from conftest import REPO_ROOT
from tflite_models import TFLiteModelBuilder

MODELS = Path(os.environ.get("KILN_TEST_MODELS", REPO_ROOT / ".cache" / "test-models")) / "tflite"


def real_models():
    if not MODELS.is_dir():
        raise pytest.UsageError(f"{MODELS} is missing: run scripts/fetch-test-models.sh")
    return sorted(p.stem for p in MODELS.glob("*.tflite"))


def seeded_inputs(interpreter):
    rng = np.random.default_rng(0)
    feeds = {}
    for detail in interpreter.get_input_details():
        shape, dtype = detail["shape"], detail["dtype"]
        if np.issubdtype(dtype, np.floating):
            x = rng.uniform(-1, 1, shape).astype(dtype)
        else:
            info = np.iinfo(dtype)
            x = rng.integers(info.min, info.max, shape, endpoint=True).astype(dtype)
        interpreter.set_tensor(detail["index"], x)
        feeds[detail["name"]] = x
    return feeds


def compare(run_kiln, model_path, tmp_path, rtol=1e-4):
    """Converts `model_path`, runs both, asserts the outputs match; returns the ONNX model."""
    # TFLite's reference kernels: the XNNPACK delegate skips some fused activations.
    interpreter = Interpreter(model_path=str(model_path),
                              experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    interpreter.allocate_tensors()
    feeds = seeded_inputs(interpreter)
    interpreter.invoke()
    onnx_path = tmp_path / "model.onnx"
    rc, out, err = run_kiln("convert", model_path, "-o", onnx_path)
    assert rc == 0, err
    session = ort.InferenceSession(str(onnx_path))
    assert [i.name for i in session.get_inputs()] == list(feeds)
    results = session.run(None, feeds)
    for detail, result in zip(interpreter.get_output_details(), results):
        reference = interpreter.get_tensor(detail["index"])
        assert result.shape == reference.shape, detail["name"]
        difference = np.abs(result.astype(np.float64) - reference.astype(np.float64)).max()
        if np.issubdtype(reference.dtype, np.integer):
            assert difference <= 1, f"{detail['name']}: off by {difference} quantization steps"
        else:
            bound = rtol * np.abs(reference).max() + 1e-6
            assert difference <= bound, f"{detail['name']}: max |diff| {difference} > {bound}"
    model = onnx.load(str(onnx_path))
    assert_no_transpose_pairs(model)
    return model


def assert_no_transpose_pairs(model):
    producers = {output: node for node in model.graph.node for output in node.output}
    for node in model.graph.node:
        source = producers.get(node.input[0]) if node.input else None
        assert not (node.op_type == "Transpose" and source is not None and source.op_type == "Transpose"), node.name


@pytest.mark.parametrize("name", real_models())
def test_real_model_matches_litert(run_kiln, tmp_path, name, summary):
    path = MODELS / f"{name}.tflite"
    model = compare(run_kiln, path, tmp_path, rtol=1e-3 if "DEQUANTIZE" in ops_of(path) else 1e-4)
    assert model.producer_name == "kiln-tflite"
    assert [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")] == [17]
    convs = [n for n in model.graph.node if n.op_type == "Conv"]
    producers = {output: node for node in model.graph.node for output in node.output}
    for conv in convs:
        source = producers.get(conv.input[0])
        assert source is None or source.op_type != "Transpose" or source.input[0] in {i.name for i in model.graph.input}
    summary.setdefault("tflite real models", {"converted": 0})["converted"] += 1


def ops_of(path):
    from ai_edge_litert import schema_py_generated as s
    names = {v: k for k, v in vars(s.BuiltinOperator).items() if not k.startswith("_")}
    model = s.Model.GetRootAsModel(path.read_bytes(), 0)
    return {names.get(max(model.OperatorCodes(i).BuiltinCode(), model.OperatorCodes(i).DeprecatedBuiltinCode()))
            for i in range(model.OperatorCodesLength())}


def test_inspect_reads_tflite(run_kiln):
    rc, out, err = run_kiln("inspect", MODELS / "face_detection_front.tflite")
    assert rc == 0, err
    assert "Conv" in out and "kiln-tflite" in out


# --- single-op models --------------------------------------------------------------------

RNG = np.random.default_rng(1)
SAME, VALID = 0, 1
ACTIVATIONS = {"none": 0, "relu": 1, "relu_n1_to_1": 2, "relu6": 3, "tanh": 4}


def weights(*shape):
    return RNG.uniform(-0.5, 0.5, shape).astype(np.float32)


def activation(b, shape=(1, 9, 9, 4), after_conv=True):
    """A graph input of `shape`, through a 1x1 CONV_2D when `after_conv` so that the op under test
    reads a tensor the frontend holds channels-first."""
    x = b.input(list(shape))
    if not after_conv:
        return x, x
    c = shape[3]
    y = b.op("CONV_2D", [x, b.const(weights(c, 1, 1, c)), b.const(weights(c))], list(shape),
             padding=VALID, strideW=1, strideH=1)
    return x, y


def conv(padding, stride, dilation, fused):
    def make(b):
        x, a = activation(b, (1, 9, 9, 4), after_conv=False)
        out = (9 + stride - 1) // stride if padding == SAME else (9 - (3 - 1) * dilation - 1) // stride + 1
        y = b.op("CONV_2D", [a, b.const(weights(6, 3, 3, 4)), b.const(weights(6))], [1, out, out, 6], padding=padding,
                 strideW=stride, strideH=stride, dilationWFactor=dilation, dilationHFactor=dilation,
                 fusedActivationFunction=ACTIVATIONS[fused])
        return [x], [y]
    return make


def depthwise(padding, stride, multiplier, dilation=1):
    def make(b):
        x, a = activation(b)
        out = (9 + stride - 1) // stride if padding == SAME else (9 - 2 * dilation - 1) // stride + 1
        y = b.op("DEPTHWISE_CONV_2D", [a, b.const(weights(1, 3, 3, 4 * multiplier)), b.const(weights(4 * multiplier))],
                 [1, out, out, 4 * multiplier], padding=padding, strideW=stride, strideH=stride,
                 depthMultiplier=multiplier, dilationWFactor=dilation, dilationHFactor=dilation, fusedActivationFunction=1)
        return [x], [y]
    return make


def transpose_conv(padding, stride):
    def make(b):
        x, a = activation(b, (1, 5, 5, 4))
        out = 5 * stride if padding == SAME else (5 - 1) * stride + 3
        shape = b.const([1, out, out, 6], np.int32)
        y = b.op("TRANSPOSE_CONV", [shape, b.const(weights(6, 3, 3, 4)), a, b.const(weights(6))], [1, out, out, 6],
                 padding=padding, strideW=stride, strideH=stride)
        return [x], [y]
    return make


def fully_connected(rank4, keep):
    def make(b):
        x, a = activation(b, (1, 3, 3, 4)) if rank4 else (lambda t: (t, t))(b.input([2, 36]))
        shape = [1, 3, 3, 5] if keep else ([1, 5] if rank4 else [2, 5])
        size = 4 if keep else 36
        y = b.op("FULLY_CONNECTED", [a, b.const(weights(5, size)), b.const(weights(5))], shape, keepNumDims=keep,
                 fusedActivationFunction=1)
        return [x], [y]
    return make


def pool(kind, padding, stride, after_conv=True):
    def make(b):
        x, a = activation(b, after_conv=after_conv)
        out = (9 + stride - 1) // stride if padding == SAME else (9 - 3) // stride + 1
        y = b.op(kind, [a], [1, out, out, 4], padding=padding, strideW=stride, strideH=stride, filterWidth=3,
                 filterHeight=3)
        return [x], [y]
    return make


def binary(kind, operand, fused="none"):
    def make(b):
        x, a = activation(b)
        if operand == "activation":
            x2 = b.input([1, 9, 9, 4])
            other, inputs = x2, [x, x2]
        else:
            shape = {"vector": (4,), "rank4": (1, 9, 9, 4), "scalar": ()}[operand]
            other, inputs = b.const(RNG.uniform(0.5, 1.5, shape).astype(np.float32)), [x]
        options = {"fusedActivationFunction": ACTIVATIONS[fused]} if kind != "PRELU" else {}
        y = b.op(kind, [a, other], [1, 9, 9, 4], **options)
        return inputs, [y]
    return make


def unary(kind, after_conv=True, **options):
    def make(b):
        x, a = activation(b, after_conv=after_conv)
        return [x], [b.op(kind, [a], [1, 9, 9, 4], **options)]
    return make


def mean(axes, keep):
    def make(b):
        x, a = activation(b)
        shape = [1 if i in axes else d for i, d in enumerate([1, 9, 9, 4])] if keep else \
            [d for i, d in enumerate([1, 9, 9, 4]) if i not in axes]
        return [x], [b.op("MEAN", [a, b.const(axes, np.int32)], shape, keepDims=keep)]
    return make


def reshape(b):
    x, a = activation(b, (1, 3, 3, 4))
    return [x], [b.op("RESHAPE", [a, b.const([1, 9, 4], np.int32)], [1, 9, 4], newShape=[1, 9, 4])]


def squeeze(axes, shape, out):
    def make(b):
        x, a = activation(b, shape)
        return [x], [b.op("SQUEEZE", [a], out, squeezeDims=axes)]
    return make


def concatenation(axis, with_constant=False):
    def make(b):
        x, a = activation(b, (1, 4, 4, 4))
        x2, a2 = activation(b, (1, 4, 4, 4))
        inputs = [a, a2] + ([b.const(weights(1, 4, 4, 4))] if with_constant else [])
        shape = [1, 4, 4, 4]
        shape[axis] *= len(inputs)
        return [x, x2], [b.op("CONCATENATION", inputs, shape, axis=axis)]
    return make


def pad(kind, after_conv=True):
    def make(b):
        x, a = activation(b, after_conv=after_conv)
        pads = b.const([[0, 0], [1, 2], [2, 1], [0, 3]], np.int32)
        inputs = [a, pads] + ([b.const(np.array(0.5, np.float32))] if kind == "PADV2" else [])
        return [x], [b.op(kind, inputs, [1, 12, 12, 7])]
    return make


def resize(kind, align, half):
    def make(b):
        x, a = activation(b, (1, 5, 5, 4))
        y = b.op(kind, [a, b.const([11, 8], np.int32)], [1, 11, 8, 4], alignCorners=align, halfPixelCenters=half)
        return [x], [y]
    return make


def strided_slice(begin, end, strides, shape, begin_mask=0, end_mask=0, shrink=0):
    def make(b):
        x, a = activation(b)
        inputs = [a, b.const(begin, np.int32), b.const(end, np.int32), b.const(strides, np.int32)]
        return [x], [b.op("STRIDED_SLICE", inputs, shape, beginMask=begin_mask, endMask=end_mask,
                          shrinkAxisMask=shrink)]
    return make


def slice_op(b):
    x, a = activation(b)
    return [x], [b.op("SLICE", [a, b.const([0, 1, 2, 1], np.int32), b.const([1, -1, 4, 2], np.int32)], [1, 8, 4, 2])]


def split(axis):
    def make(b):
        x, a = activation(b, (1, 4, 6, 4))
        shape = [1, 4, 6, 4]
        shape[axis] //= 2
        outputs = [b.tensor(shape), b.tensor(shape)]
        b.op("SPLIT", [b.const(axis, np.int32), a], outputs=outputs, numSplits=2)
        return [x], outputs
    return make


def transpose(b):
    x, a = activation(b, (1, 3, 5, 4))
    return [x], [b.op("TRANSPOSE", [a, b.const([0, 3, 1, 2], np.int32)], [1, 4, 3, 5])]


def gather(axis):
    def make(b):
        x, a = activation(b, (1, 4, 5, 6))
        shape = [1, 4, 5, 6]
        shape[axis] = 3
        return [x], [b.op("GATHER", [a, b.const([2, 0, 1], np.int32)], shape, axis=axis)]
    return make


def depth_to_space(b):
    x, a = activation(b, (1, 3, 3, 8))
    return [x], [b.op("DEPTH_TO_SPACE", [a], [1, 6, 6, 2], blockSize=2)]


def fp16_weights(b):
    x = b.input([1, 9, 9, 4])
    w16 = b.const(weights(6, 3, 3, 4), np.float16)
    w = b.op("DEQUANTIZE", [w16], [6, 3, 3, 4])
    return [x], [b.op("CONV_2D", [x, w, b.const(weights(6))], [1, 9, 9, 6], padding=SAME, strideW=1, strideH=1)]


def int8_conv(per_axis):
    def make(b):
        x = b.input([1, 9, 9, 4], np.int8, quant=([0.02], [3], 0))
        w_scales = [0.004, 0.005, 0.006, 0.003, 0.004, 0.005] if per_axis else [0.005]
        w = b.const(RNG.integers(-127, 127, (6, 3, 3, 4)), np.int8, quant=(w_scales, [0] * len(w_scales), 0))
        bias_scales = [0.02 * s for s in w_scales]
        bias = b.const(RNG.integers(-500, 500, 6), np.int32, quant=(bias_scales, [0] * len(w_scales), 0))
        y = b.op("CONV_2D", [x, w, bias], [1, 9, 9, 6], dtype=np.int8, quant=([0.05], [-2], 0), padding=SAME, strideW=1,
                 strideH=1, fusedActivationFunction=1)
        return [x], [y]
    return make


def quantize_dequantize(b):
    x = b.input([1, 9, 9, 4])
    q = b.op("QUANTIZE", [x], [1, 9, 9, 4], dtype=np.int8, quant=([0.01], [5], 0))
    pooled = b.op("MAX_POOL_2D", [q], [1, 9, 9, 4], dtype=np.int8, quant=([0.01], [5], 0), padding=SAME, strideW=1,
                  strideH=1, filterWidth=2, filterHeight=2)
    return [x], [b.op("DEQUANTIZE", [pooled], [1, 9, 9, 4])]


def sparse_weights(shape, blocks=None):
    """Random weights with about half of them (whole blocks of `blocks`, {dim: size}) zero."""
    blocks = blocks or {}
    grid = [size // blocks.get(dim, 1) for dim, size in enumerate(shape)]
    mask = RNG.random(grid) < 0.5
    for dim, size in blocks.items():
        mask = np.repeat(mask, size, axis=dim)
    return weights(*shape) * mask


def densified(b, data, dtype=np.float32, **sparsity):
    """DENSIFY of a sparse constant holding `data`."""
    return b.op("DENSIFY", [b.sparse_const(data, dtype, **sparsity)], list(data.shape), dtype=dtype)


def fully_connected_sparse(outputs, **sparsity):
    def make(b):
        x = b.input([2, 36])
        w = densified(b, sparse_weights((outputs, 36), sparsity.get("blocks")), **sparsity)
        return [x], [b.op("FULLY_CONNECTED", [x, w, b.const(weights(outputs))], [2, outputs])]
    return make


def conv_sparse(filters, dtype=np.float32, **sparsity):
    def make(b):
        x = b.input([1, 9, 9, 4])
        w = densified(b, sparse_weights((filters, 3, 3, 4), sparsity.get("blocks")), dtype, **sparsity)
        if dtype == np.float16:
            w = b.op("DEQUANTIZE", [w], [filters, 3, 3, 4])
        y = b.op("CONV_2D", [x, w, b.const(weights(filters))], [1, 9, 9, filters], padding=SAME, strideW=1, strideH=1)
        return [x], [y]
    return make


DENSE, CSR = 0, 1

CASES = {
    **{f"conv_{p}_s{s}_d{d}_{f}": conv(pv, s, d, f) for p, pv in (("same", SAME), ("valid", VALID))
       for s, d, f in ((1, 1, "none"), (2, 1, "relu"), (1, 2, "relu6"), (2, 1, "relu_n1_to_1"), (1, 1, "tanh"))},
    "depthwise_same_s1_m1": depthwise(SAME, 1, 1), "depthwise_valid_s2_m2": depthwise(VALID, 2, 2),
    "depthwise_same_dilated": depthwise(SAME, 1, 1, dilation=2),
    "transpose_conv_same_s2": transpose_conv(SAME, 2), "transpose_conv_valid_s2": transpose_conv(VALID, 2),
    "fully_connected_2d": fully_connected(False, False), "fully_connected_4d": fully_connected(True, False),
    "fully_connected_keep_dims": fully_connected(True, True),
    **{f"{k.lower()}_{p}_s{s}": pool(k, pv, s) for k in ("MAX_POOL_2D", "AVERAGE_POOL_2D")
       for p, pv in (("same", SAME), ("valid", VALID)) for s in (1, 2)},
    "max_pool_on_input": pool("MAX_POOL_2D", SAME, 2, after_conv=False),
    **{f"{k.lower()}_{o}": binary(k, o) for k in ("ADD", "SUB", "MUL", "DIV") for o in ("vector", "rank4", "activation")},
    "add_scalar_relu6": binary("ADD", "scalar", "relu6"), "mul_vector_relu": binary("MUL", "vector", "relu"),
    "prelu": binary("PRELU", "vector"),
    **{k.lower(): unary(k) for k in ("RELU", "RELU6", "RELU_N1_TO_1", "LOGISTIC", "TANH", "HARD_SWISH")},
    "relu_on_input": unary("RELU", after_conv=False),
    "softmax": unary("SOFTMAX", beta=1.0), "softmax_beta": unary("SOFTMAX", beta=0.5),
    "mean_hw_keep": mean([1, 2], True), "mean_hw": mean([1, 2], False), "mean_c": mean([3], False),
    "mean_w_keep": mean([2], True), "mean_h": mean([1], False),
    "reshape": reshape,
    "squeeze_hw": squeeze([1, 2], (1, 1, 1, 4), [1, 4]), "squeeze_all": squeeze([], (1, 1, 3, 4), [3, 4]),
    "squeeze_w": squeeze([2], (1, 3, 1, 4), [1, 3, 4]),
    "concat_channels": concatenation(3), "concat_height": concatenation(1),
    "concat_with_constant": concatenation(3, with_constant=True),
    "pad": pad("PAD"), "padv2": pad("PADV2"), "pad_on_input": pad("PAD", after_conv=False),
    **{f"{k.lower()}_{n}": resize(k, a, h) for k in ("RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR")
       for n, a, h in (("default", False, False), ("align_corners", True, False), ("half_pixel", False, True))},
    "strided_slice": strided_slice([0, 1, 0, 1], [1, 8, 9, 4], [1, 2, 3, 1], [1, 4, 3, 3]),
    "strided_slice_masks": strided_slice([0, 5, 2, 0], [0, 0, 9, 2], [1, 1, 1, 1], [1, 9, 7, 4], begin_mask=0b0010,
                                         end_mask=0b1011),
    "strided_slice_shrink": strided_slice([0, 2, 0, 0], [1, 3, 9, 4], [1, 1, 2, 1], [1, 5, 4], end_mask=0b1100,
                                          shrink=0b0010),
    "slice": slice_op, "split_channels": split(3), "split_width": split(2), "transpose": transpose,
    "gather_channels": gather(3), "gather_height": gather(1), "depth_to_space": depth_to_space,
    "fp16_weights": fp16_weights, "int8_conv_per_tensor": int8_conv(False), "int8_conv_per_axis": int8_conv(True),
    "quantize_dequantize": quantize_dequantize,
    "fully_connected_sparse_csr": fully_connected_sparse(5),
    "fully_connected_sparse_1x4_blocks": fully_connected_sparse(8, blocks={1: 4}, formats=[DENSE, CSR, DENSE]),
    "fully_connected_sparse_all_dense": fully_connected_sparse(5, formats=[DENSE, DENSE]),
    "conv_sparse_csr": conv_sparse(6), "conv_sparse_fp16": conv_sparse(6, np.float16),
    "conv_sparse_4x1_blocks": conv_sparse(8, blocks={0: 4}, formats=[DENSE, CSR, DENSE, CSR, DENSE]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_single_op_matches_litert(run_kiln, tmp_path, case, summary):
    builder = TFLiteModelBuilder()
    inputs, outputs = CASES[case](builder)
    path = tmp_path / f"{case}.tflite"
    path.write_bytes(builder.build(inputs, outputs))
    compare(run_kiln, path, tmp_path, rtol=1e-3 if case == "fp16_weights" else 1e-4)
    summary.setdefault("tflite single-op models", {"matched": 0})["matched"] += 1


def test_unsupported_ops_listed_together(run_kiln, tmp_path):
    b = TFLiteModelBuilder()
    x = b.input([1, 4])
    y = b.op("EXP", [x], [1, 4])
    z = b.op("FLOOR", [y], [1, 4])
    path = tmp_path / "unsupported.tflite"
    path.write_bytes(b.build([x], [z]))
    rc, out, err = run_kiln("convert", path, "-o", tmp_path / "out.onnx")
    assert rc == 2
    assert "EXP" in err and "FLOOR" in err and "2 operators" in err
