"""The committed fixtures: they are what fixtures/make_fixtures.py writes, and they round-trip
through `kiln convert --pipeline none` unchanged and computing the same."""

import subprocess
import sys

import numpy as np
import onnx

from conftest import REPO_ROOT
from oracle_testdata import identical, ort_session

FIXTURES = REPO_ROOT / "fixtures"


def test_fixtures_match_their_generator(tmp_path):
    subprocess.run([sys.executable, str(FIXTURES / "make_fixtures.py"), str(tmp_path)],
                   check=True, capture_output=True)
    generated = sorted(p.name for p in tmp_path.glob("*.onnx"))
    assert generated, "make_fixtures.py wrote no models"
    for name in generated:
        assert (FIXTURES / name).read_bytes() == (tmp_path / name).read_bytes(), (
            f"fixtures/{name} differs from what make_fixtures.py writes: regenerate it")


def test_mnist_small_roundtrip(run_kiln, tmp_path):
    source = FIXTURES / "mnist-small.onnx"
    assert source.stat().st_size < 200 * 1024
    out = tmp_path / "mnist.onnx"
    rc, stdout, stderr = run_kiln("convert", source, "-o", out, "--pipeline", "none")
    assert rc == 0, stderr
    original, converted = onnx.load(str(source)), onnx.load(str(out))
    assert original == converted
    onnx.checker.check_model(converted, full_check=True)
    images = np.random.default_rng(0).random((5, 1, 28, 28), dtype=np.float32)
    expected = ort_session(source.read_bytes()).run(None, {"image": images})
    actual = ort_session(out.read_bytes()).run(None, {"image": images})
    assert expected[0].shape == (5, 10)
    assert identical(expected, actual)
