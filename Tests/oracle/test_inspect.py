"""`kiln inspect --json` against what onnx itself reads, on every libonnx-testdata model and on
the mnist-small fixture."""

import json

import onnx
import pytest

from conftest import REPO_ROOT
from oracle_testdata import libonnx_models

MODELS = libonnx_models()
MNIST = REPO_ROOT / "fixtures" / "mnist-small.onnx"


def count_nodes(graph: onnx.GraphProto) -> int:
    """Nodes of `graph` and of every subgraph inside its nodes' attributes, recursively."""
    total = 0
    for node in graph.node:
        total += 1
        for attribute in node.attribute:
            if attribute.HasField("g"):
                total += count_nodes(attribute.g)
            for subgraph in attribute.graphs:
                total += count_nodes(subgraph)
    return total


def expected_shape(value: onnx.ValueInfoProto):
    """The `shape` kiln reports for a tensor value: dims as numbers or names, "?" when
    unknown, None when the rank is unknown."""
    tensor = value.type.tensor_type
    if not tensor.HasField("shape"):
        return None
    return [str(d.dim_value) if d.HasField("dim_value")
            else d.dim_param if d.HasField("dim_param") else "?" for d in tensor.shape.dim]


def inspect_json(run_kiln, path):
    rc, stdout, stderr = run_kiln("inspect", "--json", path)
    assert rc == 0, f"kiln inspect --json exited {rc}\nstderr: {stderr}"
    try:
        return json.loads(stdout)
    except json.JSONDecodeError as error:
        pytest.fail(f"kiln inspect --json printed invalid JSON ({error}):\n{stdout[:2000]}")


def check_against_onnx(summary, model: onnx.ModelProto):
    graph = model.graph
    initializers = {t.name for t in graph.initializer}
    inputs = [v for v in graph.input if v.name not in initializers]
    assert [p["name"] for p in summary["inputs"]] == [v.name for v in inputs]
    assert [p["name"] for p in summary["outputs"]] == [v.name for v in graph.output]
    for port, value in zip(summary["inputs"] + summary["outputs"], inputs + list(graph.output)):
        if value.type.WhichOneof("value") == "tensor_type":
            assert port.get("shape") == expected_shape(value), (
                f"{value.name}: shape {port.get('shape')} != {expected_shape(value)}")
    assert summary["nodeCount"] == count_nodes(graph)
    assert sum(op["count"] for op in summary["ops"]) == summary["nodeCount"]
    assert [(o["domain"], o["version"]) for o in summary["opsets"]] == [
        (o.domain or "ai.onnx", o.version) for o in model.opset_import]
    assert summary["irVersion"] == model.ir_version
    assert summary["producerName"] == model.producer_name
    assert summary["initializerCount"] == len(graph.initializer)


@pytest.mark.parametrize("model_id,model_path", MODELS, ids=[m[0] for m in MODELS])
def test_inspect_testdata(model_id, model_path, run_kiln):
    summary = inspect_json(run_kiln, model_path)
    check_against_onnx(summary, onnx.load(model_path))


def test_inspect_mnist_small(run_kiln):
    summary = inspect_json(run_kiln, MNIST)
    model = onnx.load(MNIST)
    check_against_onnx(summary, model)
    (image,) = summary["inputs"]
    (probabilities,) = summary["outputs"]
    assert image["name"] == "image"
    assert image["shape"] == ["N", "1", "28", "28"]
    assert image["type"] == "float32[N,1,28,28]"
    assert probabilities["shape"] == ["N", "10"]
    assert probabilities["type"] == "float32[N,10]"
    assert summary["producerName"] == "kiln-fixtures"
    assert summary["nodeCount"] == 11
    assert summary["opsets"] == [{"domain": "ai.onnx", "version": 17}]
    assert summary["irVersion"] == 8
    assert summary["metadata"] == {p.key: p.value for p in model.metadata_props}
    assert summary["initializerCount"] == 8
    assert summary["parameterCount"] == sum(
        onnx.numpy_helper.to_array(t).size for t in model.graph.initializer)

    rc, text, stderr = run_kiln("inspect", MNIST)
    assert rc == 0, stderr
    assert "image: float32[N,1,28,28]" in text
    assert "probabilities: float32[N,10]" in text
