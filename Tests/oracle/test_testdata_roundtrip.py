"""Round trip of every libonnx-testdata model through `kiln convert --pipeline none`.

For each model (node/, pytorch-converted/, pytorch-operator/, simple/):
  convert   kiln exits 0 and writes the output;
  protobuf  onnx.load(original) == onnx.load(output), and their deterministic serializations
            are equal;
  checker   onnx.checker.check_model passes on the output;
  runtime   onnxruntime (CPU, 1 thread, graph optimizations off) gives identical outputs for
            the original and the output on every shipped test_data_set_* (floats bitwise, any
            NaN equal to any NaN).

A model whose original fails the checker, or whose outputs differ between two runs of the same
model, is an expected exclusion and must be listed in roundtrip-exclusions.txt with its reason;
each test asserts that the checks it had to exclude are exactly the ones listed for it, so the
list stays honest. A model that onnxruntime cannot load or run in its original form is counted
as runtime-unsupported instead (the output must then fail the same way).
"""

import collections
from pathlib import Path

import onnx
import pytest

from oracle_testdata import identical, libonnx_models, load_data_sets, ort_session

HERE = Path(__file__).resolve().parent
EXCLUSIONS_FILE = HERE / "roundtrip-exclusions.txt"
CHECKS = ("checker", "protobuf", "runtime")
MODELS = libonnx_models()


def read_exclusions():
    """{model_id: {check: reason}} from roundtrip-exclusions.txt.

    One line per model and check: `suite/name  check  reason...`; `#` starts a comment.
    """
    listed = {}
    for number, raw in enumerate(EXCLUSIONS_FILE.read_text().splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split(None, 2)
        assert len(parts) == 3 and parts[1] in CHECKS, (
            f"{EXCLUSIONS_FILE.name}:{number}: expected `suite/name check reason`, "
            f"check one of {CHECKS}: {raw!r}")
        model_id, check, reason = parts
        assert check not in listed.get(model_id, {}), (
            f"{EXCLUSIONS_FILE.name}:{number}: {model_id} {check} listed twice")
        listed.setdefault(model_id, {})[check] = reason
    return listed


EXCLUSIONS = read_exclusions()


def _format(section):
    c = section["counts"]
    return (f"{c['models']} models, {c['protobuf-equal']} protobuf-equal, "
            f"{c['checker-ok']} checker-ok, {c['runtime-identical']} runtime-identical, "
            f"{c['runtime-unsupported']} runtime-unsupported, "
            f"{c['byte-identical']} byte-identical files, "
            f"{c['excluded']} listed exclusions ({c['excluded-checker']} checker, "
            f"{c['excluded-runtime']} runtime, {c['excluded-protobuf']} protobuf), "
            f"{c['failed']} failed")


@pytest.fixture(scope="module")
def counts(summary):
    section = summary.setdefault("roundtrip", {"format": _format,
                                               "counts": collections.Counter()})
    return section["counts"]


def _error_text(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


def _check(model: onnx.ModelProto):
    """None when the checker accepts the model, else its message."""
    try:
        onnx.checker.check_model(model)
        return None
    except Exception as error:  # onnx raises ValidationError, sometimes others
        return _error_text(error)


def _run_all(model_bytes: bytes, data_sets):
    """('load-error', msg) | ('run-error', msg) | ('ok', [(set, outputs)])."""
    try:
        session = ort_session(model_bytes)
    except Exception as error:
        return "load-error", _error_text(error)
    results = []
    for name, feeds in data_sets:
        try:
            results.append((name, session.run(None, feeds)))
        except Exception as error:
            return "run-error", f"{name}: {_error_text(error)}"
    return "ok", results


@pytest.mark.parametrize("model_id,model_path", MODELS, ids=[m[0] for m in MODELS])
def test_roundtrip(model_id, model_path, run_kiln, counts, tmp_path):
    counts["models"] += 1
    out_path = tmp_path / "model.onnx"
    rc, stdout, stderr = run_kiln("convert", model_path, "-o", out_path, "--pipeline", "none",
                                  "-q")
    if rc != 0 or not out_path.is_file():
        counts["failed"] += 1
        pytest.fail(f"kiln convert exited {rc} (output written: {out_path.is_file()})\n"
                    f"stdout: {stdout}\nstderr: {stderr}")

    original_bytes = model_path.read_bytes()
    output_bytes = out_path.read_bytes()
    original = onnx.load_from_string(original_bytes)
    output = onnx.load_from_string(output_bytes)

    problems = []  # failures not covered by the exclusions list
    hit = {}  # check -> what happened, for checks that did not pass

    # protobuf
    same_message = original == output
    same_serialization = (original.SerializeToString(deterministic=True)
                          == output.SerializeToString(deterministic=True))
    if same_message and same_serialization:
        counts["protobuf-equal"] += 1
    else:
        hit["protobuf"] = (f"message equal: {same_message}, deterministic serialization "
                           f"equal: {same_serialization}")
    # An unchanged model must come back byte for byte: Kiln writes fields in field-number
    # order, as protobuf's serializers do.
    if original_bytes == output_bytes:
        counts["byte-identical"] += 1
    else:
        problems.append(f"bytes: the output ({len(output_bytes)} bytes) differs from the "
                        f"original ({len(original_bytes)} bytes)")

    # checker
    original_check = _check(original)
    output_check = _check(output)
    if output_check is None:
        counts["checker-ok"] += 1
        if original_check is not None:
            problems.append(f"checker: the original fails ({original_check}) but the output "
                            "passes; the round trip changed something")
    elif original_check is None:
        problems.append(f"checker: the original passes but the output fails: {output_check}")
    else:
        hit["checker"] = f"original fails the checker too: {original_check}"
        if original_check != output_check:
            problems.append(f"checker: original and output fail differently:\n"
                            f"  original: {original_check}\n  output:   {output_check}")

    # runtime
    data_sets = load_data_sets(original, model_path.parent)
    original_status, original_result = _run_all(original_bytes, data_sets)
    output_status, output_result = _run_all(output_bytes, data_sets)
    if original_status != "ok":
        counts["runtime-unsupported"] += 1
        if (output_status, output_result) != (original_status, original_result):
            problems.append(f"runtime: the original is unsupported ({original_status}: "
                            f"{original_result}) but the output gives {output_status}: "
                            f"{output_result if output_status != 'ok' else 'results'}")
    elif output_status != "ok":
        problems.append(f"runtime: the original runs but the output gives {output_status}: "
                        f"{output_result}")
    else:
        differing = [
            f"{set_name} output {i} ({meta.name})"
            for (set_name, a_outputs), (_, b_outputs) in zip(original_result, output_result)
            for i, (meta, a, b) in enumerate(zip(original.graph.output, a_outputs, b_outputs))
            if not identical(a, b)
        ]
        if differing:
            hit["runtime"] = "outputs differ: " + ", ".join(differing)
        else:
            counts["runtime-identical"] += 1

    listed = EXCLUSIONS.get(model_id, {})
    for check, what in hit.items():
        if check in listed:
            counts["excluded"] += 1
            counts[f"excluded-{check}"] += 1
        else:
            problems.append(f"{check}: {what} (not listed in {EXCLUSIONS_FILE.name})")
    for check in sorted(set(listed) - set(hit)):
        problems.append(f"{check}: listed in {EXCLUSIONS_FILE.name} ({listed[check]}) but the "
                        "check passes: remove the line")
    if problems:
        counts["failed"] += 1
        pytest.fail(f"{model_id}:\n" + "\n".join(problems))


def test_exclusions_name_real_models():
    known = {model_id for model_id, _ in MODELS}
    unknown = sorted(set(EXCLUSIONS) - known)
    assert not unknown, f"{EXCLUSIONS_FILE.name} lists models that do not exist: {unknown}"
