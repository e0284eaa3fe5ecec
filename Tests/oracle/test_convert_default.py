"""`kiln convert` with the default pipeline, checked by onnx and onnxruntime.

Models: every libonnx-testdata pytorch-converted and pytorch-operator model, and generated
ResNet-18-like and MobileNetV2-like CNNs with BatchNormalization after every Conv (64x64 input,
channels scaled down; Benchmarks/runtime_models.py). For each:
  convert   kiln exits 0 and writes the output;
  checker   onnx.checker.check_model passes on the output (when it passes on the original);
  outputs   onnxruntime (CPU, 1 thread, graph optimizations off) gives the same outputs for the
            original and the output, within RTOL relative and ATOL absolute, on every shipped
            test_data_set_* (seeded random inputs for the generated models). Integer and
            Boolean outputs must be equal; NaN matches NaN.
A model onnxruntime cannot load or run in its original form (old opsets it dropped) is checked
by Kiln's own `--verify` instead, on the inputs of its first test_data_set_* (KilnRuntime runs
original and output); where KilnRuntime cannot run it either, it is only counted.
"""

import collections
import json
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest

from oracle_testdata import TESTDATA, load_data_sets, ort_session

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "Benchmarks"))
import runtime_models  # noqa: E402

RTOL = 1e-4
ATOL = 1e-5
SUITES = ("pytorch-converted", "pytorch-operator")
GENERATED = {
    "generated/resnet18-bn-64": lambda: runtime_models.resnet18(
        "resnet18_bn", batchnorm=True, size=64, width=0.25, classes=10),
    "generated/mobilenetv2-bn-64": lambda: runtime_models.mobilenet_v2(
        "mobilenetv2_bn", batchnorm=True, size=64, width=0.5, classes=10),
}


def _testdata_models():
    models = [(f"{suite}/{path.parent.name}", path)
              for suite in SUITES for path in sorted((TESTDATA / suite).glob("*/model.onnx"))]
    if not models:
        raise RuntimeError(f"no models under {TESTDATA}: install libonnx-testdata (make setup)")
    return models


MODELS = _testdata_models()


def _format(section):
    c = section["counts"]
    return (f"{c['models']} models, {c['checker-ok']} checker-ok, {c['outputs-match']} "
            f"outputs-match, {c['runtime-unsupported']} runtime-unsupported "
            f"({c['kiln-verified']} of them kiln-verified, {c['unverifiable']} unverifiable), "
            f"nodes {c['nodes-before']} -> {c['nodes-after']}, {c['failed']} failed")


@pytest.fixture(scope="module")
def counts(summary):
    section = summary.setdefault("convert-default", {"format": _format,
                                                     "counts": collections.Counter()})
    return section["counts"]


def _check(model):
    try:
        onnx.checker.check_model(model)
        return None
    except Exception as error:
        return f"{type(error).__name__}: {error}"


def _mismatch(a, b):
    """None when `b` matches `a` within the tolerances, else what differs."""
    if a is None or b is None:
        return None if a is None and b is None else "one side is None"
    if isinstance(a, (list, tuple)):
        if not isinstance(b, (list, tuple)) or len(a) != len(b):
            return "sequence lengths differ"
        return next((m for m in map(_mismatch, a, b) if m), None)
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return f"{a.dtype}{list(a.shape)} against {b.dtype}{list(b.shape)}"
    if a.dtype.kind in "fc":
        close = np.isclose(b, a, rtol=RTOL, atol=ATOL, equal_nan=True)
        if close.all():
            return None
        error = np.abs(b.astype(np.float64) - a.astype(np.float64))[~close]
        return f"{(~close).sum()} of {a.size} elements off, max abs error {error.max():.3g}"
    return None if np.array_equal(a, b) else "values differ"


def _random_feeds(model, seed=0):
    rng = np.random.default_rng(seed)
    feeds = {}
    for value in model.graph.input:
        shape = [d.dim_value for d in value.type.tensor_type.shape.dim]
        feeds[value.name] = (rng.random(shape) * 2 - 1).astype(np.float32)
    return [("random", feeds)]


def _convert_and_compare(model_id, model_path, data_sets, run_kiln, counts, tmp_path, extra=()):
    """Converts with the default pipeline (and `extra` options), then checks the output."""
    counts["models"] += 1
    out_path = tmp_path / "model.onnx"
    rc, stdout, stderr = run_kiln("convert", model_path, "-o", out_path, "--json", *extra)
    if rc != 0 or not out_path.is_file():
        counts["failed"] += 1
        pytest.fail(f"{model_id}: kiln convert exited {rc} (output written: {out_path.is_file()})\n"
                    f"stdout: {stdout}\nstderr: {stderr}")
    report = json.loads(stdout)
    if "--verify" in extra and not report["verification"]["passed"]:
        problems_text = json.dumps(report["verification"]["outputs"])
        pytest.fail(f"{model_id}: kiln's own verification failed: {problems_text}")
    original_bytes = Path(model_path).read_bytes()
    output_bytes = out_path.read_bytes()
    original, output = onnx.load_from_string(original_bytes), onnx.load_from_string(output_bytes)
    counts["nodes-before"] += len(original.graph.node)
    counts["nodes-after"] += len(output.graph.node)
    problems = []

    original_check, output_check = _check(original), _check(output)
    if output_check is None:
        counts["checker-ok"] += 1
    elif original_check is None:
        problems.append(f"checker: the original passes but the output fails: {output_check}")

    if [o.name for o in original.graph.output] != [o.name for o in output.graph.output]:
        problems.append("the graph outputs were renamed")
    try:
        before = ort_session(original_bytes)
        expected = [(name, before.run(None, feeds)) for name, feeds in data_sets]
    except Exception:
        counts["runtime-unsupported"] += 1
        expected = None
        problems += _kiln_verify(model_path, original, run_kiln, counts, tmp_path)
    if expected is not None:
        try:
            after = ort_session(output_bytes)
            for (set_name, feeds), (_, reference) in zip(data_sets, expected):
                for meta, a, b in zip(original.graph.output, reference, after.run(None, feeds)):
                    why = _mismatch(a, b)
                    if why:
                        problems.append(f"{set_name} output {meta.name}: {why}")
        except Exception as error:
            problems.append(f"onnxruntime runs the original but not the output: "
                            f"{type(error).__name__}: {error}")
        if not problems:
            counts["outputs-match"] += 1
    if problems:
        counts["failed"] += 1
        pytest.fail(f"{model_id}:\n" + "\n".join(problems))


def _kiln_verify(model_path, model, run_kiln, counts, tmp_path):
    """Problems found by `kiln convert --verify` on the first shipped data set's inputs."""
    sets = sorted(Path(model_path).parent.glob("test_data_set_*"))
    files = sorted(sets[0].glob("input_*.pb"), key=lambda p: int(p.stem.split("_")[1])) if sets else []
    inputs = [arg for i, path in enumerate(files)
              for arg in ("--input", f"{model.graph.input[i].name}={path}")]
    rc, stdout, stderr = run_kiln("convert", model_path, "-o", tmp_path / "verified.onnx",
                                  "--verify", "--json", *inputs)
    if rc == 0:
        counts["kiln-verified"] += 1
        return []
    if rc == 2 and "cannot verify" in stderr:
        counts["unverifiable"] += 1
        return []
    return [f"kiln convert --verify exited {rc}: {stderr.strip()}"]


@pytest.mark.parametrize("model_id,model_path", MODELS, ids=[m[0] for m in MODELS])
def test_convert_testdata(model_id, model_path, run_kiln, counts, tmp_path):
    data_sets = load_data_sets(onnx.load(model_path), model_path.parent)
    _convert_and_compare(model_id, model_path, data_sets, run_kiln, counts, tmp_path)


@pytest.mark.parametrize("model_id", sorted(GENERATED))
def test_convert_generated_cnn(model_id, run_kiln, counts, tmp_path):
    model = GENERATED[model_id]()
    assert any(node.op_type == "BatchNormalization" for node in model.graph.node)
    path = tmp_path / "original.onnx"
    onnx.save(model, path)
    # Kiln's own --verify (KilnRuntime, original against result) must agree with onnxruntime.
    _convert_and_compare(model_id, path, _random_feeds(model), run_kiln, counts, tmp_path,
                         extra=("--verify",))
