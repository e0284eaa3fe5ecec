"""`kiln validate`'s metrics against numpy on the outputs onnxruntime gives.

The digits float32 model and an int8 model `kiln quantize` makes from it run on the first 40
preprocessed test images, saved as .npy files for `kiln validate --inputs`. onnxruntime runs
both models with graph optimizations off (so QDQ runs as float arithmetic, as in KilnRuntime);
numpy computes each metric over all samples, and the JSON report must agree:
cosine, max/mean abs error, SNR in dB, top-1 and top-5 agreement.
"""

import json
import subprocess

import numpy as np
import onnxruntime as ort

from test_digits_quantize import DIGITS, labeled_test_images


def ort_outputs(path, samples):
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return np.concatenate([session.run(None, {name: sample})[0] for sample in samples]).astype(np.float64)


def test_metrics_match_numpy(kiln, tmp_path):
    images, _ = labeled_test_images()
    samples = [images[i:i + 1] for i in range(40)]
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    for index, sample in enumerate(samples):
        np.save(inputs / f"{index:03}.npy", sample)
    reference = DIGITS / "model.onnx"
    candidate = tmp_path / "int8.onnx"
    subprocess.run(
        [kiln, "quantize", reference, "-o", candidate, "--int8", "--images", DIGITS / "calibration",
         "--preprocess", DIGITS / "preprocess.json"], check=True, capture_output=True)
    report_path = tmp_path / "report.json"
    subprocess.run(
        [kiln, "validate", reference, candidate, "-q", "--inputs", inputs, "--json", report_path],
        check=True, capture_output=True)
    report = json.loads(report_path.read_text())
    assert report["schema"] == "kiln-validation-report" and report["samples"] == 40
    (output,) = report["outputs"]

    r = ort_outputs(reference, samples)
    c = ort_outputs(candidate, samples)
    error = np.abs(r - c)
    assert output["elements"] == r.size
    np.testing.assert_allclose(output["cosine"], np.dot(r.ravel(), c.ravel()) / (np.linalg.norm(r) * np.linalg.norm(c)), atol=1e-6)
    np.testing.assert_allclose(output["maxAbsError"], error.max(), rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(output["meanAbsError"], error.mean(), rtol=1e-3, atol=1e-5)
    np.testing.assert_allclose(output["snrDB"], 10 * np.log10((r ** 2).sum() / ((r - c) ** 2).sum()), rtol=1e-3)
    top_reference = r.argmax(axis=1)
    top5_candidate = np.argsort(-c, axis=1, kind="stable")[:, :5]
    classifier = output["classifier"]
    assert classifier["top1Agreement"] == 100 * np.mean(c.argmax(axis=1) == top_reference)
    assert classifier["top5Agreement"] == 100 * np.mean((top5_candidate == top_reference[:, None]).any(axis=1))
