"""Helpers for the oracle tests over Debian's libonnx-testdata: listing the models, reading
their test_data_set_* inputs, running them in onnxruntime and comparing results exactly.
"""

import os
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

TESTDATA = Path(os.environ.get("KILN_TESTDATA", "/usr/share/libonnx-testdata/data"))
SUITES = ("node", "pytorch-converted", "pytorch-operator", "simple")


def libonnx_models():
    """[(id, model_path)] for every model.onnx in the suites, id = "suite/name", sorted.

    Raises when the test data is not installed: the oracle tests must not pass vacuously.
    """
    models = []
    for suite in SUITES:
        for path in sorted((TESTDATA / suite).glob("*/model.onnx")):
            models.append((f"{suite}/{path.parent.name}", path))
    if not models:
        raise RuntimeError(
            f"no models under {TESTDATA}: install Debian's libonnx-testdata (make setup)")
    return models


def _load_value(path: Path, type_proto: onnx.TypeProto):
    """Reads one input_N.pb / output_N.pb, typed by the graph's declaration (as onnx's runner)."""
    data = path.read_bytes()
    kind = type_proto.WhichOneof("value")
    if kind == "sequence_type":
        proto = onnx.SequenceProto()
        proto.ParseFromString(data)
        return numpy_helper.to_list(proto)
    if kind == "optional_type":
        proto = onnx.OptionalProto()
        proto.ParseFromString(data)
        return numpy_helper.to_optional(proto)
    if kind == "map_type":
        proto = onnx.MapProto()
        proto.ParseFromString(data)
        return numpy_helper.to_dict(proto)
    proto = onnx.TensorProto()
    proto.ParseFromString(data)
    return numpy_helper.to_array(proto)


def load_data_sets(model: onnx.ModelProto, model_dir: Path):
    """[(set_name, feeds)] for each test_data_set_* beside the model.

    input_i.pb feeds graph.input[i] (the convention of onnx's backend test runner).
    """
    sets = []
    for set_dir in sorted(model_dir.glob("test_data_set_*")):
        files = sorted(set_dir.glob("input_*.pb"), key=lambda p: int(p.stem.split("_")[1]))
        feeds = {}
        for i, path in enumerate(files):
            declared = model.graph.input[i]
            feeds[declared.name] = _load_value(path, declared.type)
        sets.append((set_dir.name, feeds))
    return sets


def ort_session(model_bytes: bytes):
    """An onnxruntime CPU session that runs the model as written: one thread, no graph
    optimizations, so that two models compare node for node."""
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 4
    return ort.InferenceSession(model_bytes, sess_options=options,
                                providers=["CPUExecutionProvider"])


def _bits_equal(a: np.ndarray, b: np.ndarray) -> bool:
    """Bitwise equality of two float arrays, except that any NaN equals any NaN."""
    if a.shape != b.shape:
        return False
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    if not np.array_equal(nan_a, nan_b):
        return False
    view = {2: np.uint16, 4: np.uint32, 8: np.uint64}.get(a.dtype.itemsize)
    if view is None:  # longdouble: no integer view of its width; compare values and zero signs
        return np.array_equal(a, b, equal_nan=True) and np.array_equal(np.signbit(a),
                                                                      np.signbit(b))
    keep = ~nan_a
    return np.array_equal(np.ascontiguousarray(a)[keep].view(view),
                          np.ascontiguousarray(b)[keep].view(view))


def identical(a, b) -> bool:
    """Exact equality of two onnxruntime results (arrays, sequences of arrays, None, dicts)."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(
            identical(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(
            identical(a[k], b[k]) for k in a)
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind in "fc":
        if a.dtype.kind == "c":
            return _bits_equal(a.real.copy(), b.real.copy()) and _bits_equal(a.imag.copy(),
                                                                            b.imag.copy())
        return _bits_equal(a, b)
    if a.dtype.kind == "V":  # float8/bfloat16 style raw types: compare bytes
        return a.tobytes() == b.tobytes()
    return np.array_equal(a, b)
