"""External data through `kiln convert` and `kiln inspect`, checked with onnx and onnxruntime.

A model with a few large initializers is built with onnx + numpy and saved with its weights in
an external file. Kiln keeps external data external by default, inlines it with
--no-external-data and moves weights out of an inline model with --external-data. Locations that
leave the model's folder (absolute, `..`, a symlink pointing outside) are refused with exit 2,
a message naming the location, and no output written.
"""

import os
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from oracle_testdata import identical, ort_session

def build_model() -> onnx.ModelProto:
    """y = Reshape(Relu(x @ W1 + b1) @ W2 + b2): W1 64 KiB, b1 1 KiB, W2 128 KiB, b2 512 B,
    and t = Identity(table), an int64 table of 1600 B (not every external tensor is float)."""
    rng = np.random.default_rng(1234)
    weights = {
        "W1": rng.standard_normal((64, 256)).astype(np.float32),
        "b1": rng.standard_normal((256,)).astype(np.float32),
        "W2": rng.standard_normal((256, 128)).astype(np.float32),
        "b2": rng.standard_normal((128,)).astype(np.float32),
        "table": rng.integers(-2**40, 2**40, size=(200,), dtype=np.int64),
        "shape": np.array([-1, 64, 2], dtype=np.int64),
    }
    nodes = [
        helper.make_node("MatMul", ["x", "W1"], ["h1"]),
        helper.make_node("Add", ["h1", "b1"], ["h2"]),
        helper.make_node("Relu", ["h2"], ["h3"]),
        helper.make_node("MatMul", ["h3", "W2"], ["h4"]),
        helper.make_node("Add", ["h4", "b2"], ["h5"]),
        helper.make_node("Reshape", ["h5", "shape"], ["y"]),
        helper.make_node("Identity", ["table"], ["t"]),
    ]
    graph = helper.make_graph(
        nodes, "external_data_mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 64, 2]),
         helper.make_tensor_value_info("t", TensorProto.INT64, [200])],
        [numpy_helper.from_array(a, n) for n, a in weights.items()])
    model = helper.make_model(graph, producer_name="kiln-oracle",
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


MODEL = build_model()
ARRAYS = {t.name: numpy_helper.to_array(t) for t in MODEL.graph.initializer}
FEEDS = {"x": np.random.default_rng(7).standard_normal((3, 64)).astype(np.float32)}


def save_external(model, path: Path, location="w.bin"):
    model = onnx.ModelProto.FromString(model.SerializeToString())  # onnx.save edits its argument
    onnx.save(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
              location=location, size_threshold=1024)


def external_locations(path: Path):
    """{tensor name: location} for the initializers stored outside `path`."""
    model = onnx.load(str(path), load_external_data=False)
    return {t.name: {e.key: e.value for e in t.external_data}["location"]
            for t in model.graph.initializer
            if t.data_location == TensorProto.EXTERNAL}


def assert_same_model(path: Path):
    """The model at `path` (with its external data) holds MODEL's tensors and computes what
    MODEL computes in onnxruntime, bit for bit."""
    loaded = onnx.load(str(path), load_external_data=True)
    onnx.checker.check_model(str(path))
    got = {t.name: numpy_helper.to_array(t) for t in loaded.graph.initializer}
    assert got.keys() == ARRAYS.keys()
    for name, array in ARRAYS.items():
        assert got[name].dtype == array.dtype and np.array_equal(got[name], array), name
    expected = ort_session(MODEL.SerializeToString()).run(None, FEEDS)
    actual = ort_session(str(path)).run(None, FEEDS)
    assert all(identical(a, b) for a, b in zip(expected, actual))
    assert len(actual) == len(expected)


@pytest.fixture
def external_model(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    path = folder / "model.onnx"
    save_external(MODEL, path)
    assert set(external_locations(path)) == {"W1", "b1", "W2", "table"}
    return path


def convert(run_kiln, source, output, *flags):
    rc, stdout, stderr = run_kiln("convert", source, "-o", output, "--pipeline", "none", *flags)
    assert rc == 0, f"kiln convert exited {rc}\nstdout: {stdout}\nstderr: {stderr}"
    return stdout


def test_external_input_stays_external(run_kiln, external_model, tmp_path):
    original_weights = (external_model.parent / "w.bin").read_bytes()
    out = tmp_path / "out" / "model.onnx"
    out.parent.mkdir()
    convert(run_kiln, external_model, out)
    locations = external_locations(out)
    assert set(locations) == {"W1", "b1", "W2", "table"}, locations
    for location in set(locations.values()):
        assert not os.path.isabs(location) and (out.parent / location).is_file(), location
    assert_same_model(out)
    assert (external_model.parent / "w.bin").read_bytes() == original_weights
    rc, stdout, stderr = run_kiln("inspect", "--json", out)
    assert rc == 0, stderr


def test_no_external_data_inlines(run_kiln, external_model, tmp_path):
    out = tmp_path / "out" / "model.onnx"
    out.parent.mkdir()
    convert(run_kiln, external_model, out, "--no-external-data")
    assert external_locations(out) == {}
    assert sorted(p.name for p in out.parent.iterdir()) == ["model.onnx"]
    assert_same_model(out)
    # Inline now: the model is whole without the folder it came from.
    assert onnx.load_from_string(out.read_bytes()).graph.initializer[0].HasField("raw_data")


def test_external_data_from_inline(run_kiln, tmp_path):
    source = tmp_path / "inline.onnx"
    onnx.save(MODEL, str(source))
    out = tmp_path / "out" / "model.onnx"
    out.parent.mkdir()
    convert(run_kiln, source, out, "--external-data")
    locations = external_locations(out)
    assert set(locations) == {"W1", "b1", "W2", "table"}, locations
    assert_same_model(out)


def test_external_data_name_and_threshold(run_kiln, tmp_path):
    source = tmp_path / "inline.onnx"
    onnx.save(MODEL, str(source))
    out = tmp_path / "out" / "model.onnx"
    out.parent.mkdir()
    convert(run_kiln, source, out, "--external-data", "--external-data-name", "weights.bin",
            "--size-threshold", "65536")
    assert external_locations(out) == {"W1": "weights.bin", "W2": "weights.bin"}
    assert (out.parent / "weights.bin").is_file()
    assert_same_model(out)


def test_location_in_subfolder_is_accepted(run_kiln, tmp_path):
    folder = tmp_path / "in"
    (folder / "data").mkdir(parents=True)
    path = folder / "model.onnx"
    save_external(MODEL, path, location="data/w.bin")
    out = tmp_path / "out" / "model.onnx"
    out.parent.mkdir()
    rc, _, stderr = run_kiln("inspect", path)
    assert rc == 0, stderr
    convert(run_kiln, path, out)
    assert_same_model(out)


def _set_location(path: Path, tensor: str, location: str):
    model = onnx.load(str(path), load_external_data=False)
    (init,) = [t for t in model.graph.initializer if t.name == tensor]
    for entry in init.external_data:
        if entry.key == "location":
            entry.value = location
    path.write_bytes(model.SerializeToString())


def _hostile_absolute(folder: Path, outside: Path):
    target = outside / "abs.bin"
    shutil.copy(folder / "w.bin", target)
    return str(target)


def _hostile_parent(folder: Path, outside: Path):
    shutil.copy(folder / "w.bin", folder.parent / "x.bin")
    return "../x.bin"


def _hostile_symlink(folder: Path, outside: Path):
    target = outside / "linked.bin"
    shutil.copy(folder / "w.bin", target)
    (folder / "link.bin").symlink_to(target)
    return "link.bin"


@pytest.mark.parametrize("make_location", [_hostile_absolute, _hostile_parent, _hostile_symlink],
                         ids=["absolute", "dotdot", "symlink-outside"])
def test_hostile_locations_are_refused(run_kiln, external_model, tmp_path, make_location):
    outside = tmp_path / "outside"
    outside.mkdir()
    location = make_location(external_model.parent, outside)
    _set_location(external_model, "W2", location)
    # The file is real and readable: only its location makes it hostile.
    assert (external_model.parent / location).resolve().is_file()

    rc, stdout, stderr = run_kiln("inspect", external_model)
    assert rc == 2, f"kiln inspect exited {rc}\nstdout: {stdout}\nstderr: {stderr}"
    assert location in stderr, stderr

    out_dir = tmp_path / "out"
    out_dir.mkdir()
    rc, stdout, stderr = run_kiln("convert", external_model, "-o", out_dir / "model.onnx",
                                  "--pipeline", "none")
    assert rc == 2, f"kiln convert exited {rc}\nstdout: {stdout}\nstderr: {stderr}"
    assert location in stderr, stderr
    assert list(out_dir.iterdir()) == [], "convert left files behind after refusing the model"

    rc, stdout, stderr = run_kiln("convert", external_model, "-o", out_dir / "inline.onnx",
                                  "--pipeline", "none", "--no-external-data")
    assert rc == 2, f"kiln convert --no-external-data exited {rc}\nstderr: {stderr}"
    assert location in stderr, stderr
    assert list(out_dir.iterdir()) == []


@pytest.mark.parametrize("name", ["/tmp/kiln-oracle-escape.bin", "../escape.bin"],
                         ids=["absolute", "dotdot"])
def test_hostile_external_data_name_is_refused(run_kiln, tmp_path, name):
    source = tmp_path / "inline.onnx"
    onnx.save(MODEL, str(source))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    escape = Path(name) if os.path.isabs(name) else out_dir / name
    if escape.exists():
        escape.unlink()
    rc, stdout, stderr = run_kiln("convert", source, "-o", out_dir / "model.onnx",
                                  "--pipeline", "none", "--external-data",
                                  "--external-data-name", name)
    escaped = escape.exists()
    if escaped:
        escape.unlink()
    assert rc == 2, f"kiln convert exited {rc}\nstdout: {stdout}\nstderr: {stderr}"
    assert not escaped, f"kiln wrote external data outside the output folder: {escape}"
    assert list(out_dir.iterdir()) == []
