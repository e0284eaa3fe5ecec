"""`kiln validate --html` rendered in a real browser: Debian's chromium, headless.

The digits float32 model is validated against a copy with conv2's weights scaled by 10, so a
threshold fails and the per-layer diagnosis runs. chromium must load the page with exit 0, its
DOM must hold the checks table and both SVG charts, and with console logging on no console
message (an "Uncaught" error or any "CONSOLE" line) may appear. chromium is required: CI
installs it (scripts/setup.sh), and a missing one fails the test.
"""

import re
import shutil
import subprocess

import numpy as np
import onnx
from onnx import numpy_helper

from test_digits_quantize import DIGITS

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu"]


def chromium():
    path = shutil.which("chromium")
    assert path, "chromium is not installed: apt-get install chromium (scripts/setup.sh installs it)"
    return path


def damaged_copy(path):
    model = onnx.load(DIGITS / "model.onnx")
    for index, tensor in enumerate(model.graph.initializer):
        if tensor.name == "conv2.weight":
            scaled = numpy_helper.to_array(tensor) * np.float32(10)
            model.graph.initializer[index].CopyFrom(numpy_helper.from_array(scaled, tensor.name))
    onnx.save(model, path)


def test_html_report_renders_in_chromium(run_kiln, tmp_path):
    browser = chromium()
    candidate = tmp_path / "damaged.onnx"
    damaged_copy(candidate)
    page = tmp_path / "report.html"
    rc, _, err = run_kiln(
        "validate", DIGITS / "model.onnx", candidate, "-q", "--images", DIGITS / "test",
        "--preprocess", DIGITS / "preprocess.json", "--limit", 20, "--min-snr-db", 20, "--html", page)
    assert rc == 1, err
    html = page.read_text()
    assert "http" not in html and "<script" not in html

    dump = subprocess.run(
        [browser, *CHROMIUM_FLAGS, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=25)
    assert dump.returncode == 0, dump.stderr
    dom = dump.stdout
    assert "kiln validate: " in dom and "FAILED" in dom
    assert re.search(r"<table>.*<td>snrDB</td><td>logits</td>.*FAIL.*</table>", dom, re.S), dom
    bars = re.search(r'<svg class="bars".*?</svg>', dom, re.S)
    assert bars, dom
    assert "conv2 (Conv)" in bars.group(0)
    assert len(re.findall(r"<rect", bars.group(0))) >= 5
    assert re.search(r'<svg class="histogram".*?<rect.*?</svg>', dom, re.S)

    logged = subprocess.run(
        [browser, *CHROMIUM_FLAGS, "--enable-logging=stderr", "--v=1", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=25)
    assert logged.returncode == 0, logged.stderr
    console = [line for line in logged.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert not console, "\n".join(console)
