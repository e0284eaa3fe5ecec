"""Validation throughput benchmark: `kiln validate` against a plain onnxruntime Python loop that
computes the same comparison of a float32 model and its int8 model on the same inputs.

Models and inputs (made by quantize_vs_onnxruntime.prepare, then one .npy file per sample):
  digits       fixtures/digits/model.onnx and its int8 model from `kiln quantize --int8 --images
               fixtures/digits/calibration --preprocess fixtures/digits/preprocess.json`, on the
               300 fixture test images (preprocessed as in Tests/oracle/test_digits_quantize.py);
  resnet18_bn  the generated ResNet-18-like model with BatchNormalization (runtime_models.py) and
               its int8 model (`kiln calibrate --method minmax` on the 100 calibration samples,
               then `kiln quantize --int8 --stats`), on the first RESNET_TEST (default 100) test
               images as 1x3x224x224 inputs.

Both tools run one sample at a time: `kiln validate REF CAND --inputs DIR --json OUT -q` (each
executor on one thread, the two models of a sample on two threads at once; per-layer diagnosis
off, no thresholds) and, in one
Python process, two onnxruntime sessions created once (intra_op and inter_op threads 1, all
graph optimizations on, so QDQ runs in onnxruntime's int8 kernels) over the same .npy files,
accumulating in float64 the metrics Kiln reports per output: cosine, max and mean abs error, SNR
dB and, for classifier outputs ([1, C]), top-1 and top-5 agreement (ties to the lowest class).
Kiln's time is its whole process (start, model loading, all samples, report); onnxruntime's is
timed inside its child from session creation to the metrics (interpreter start-up and imports
excluded). Each tool runs ROUNDS times (default 3), in turn; the fastest run of each is printed
as images/s, with the ratio Kiln / onnxruntime (the issue's target: >= 1x).

The numbers are then compared: each metric of onnxruntime's loop against the JSON report's,
relative difference |a - b| / max(|a|, |b|), "same" when within 1e-6. The runtimes' float
kernels differ in rounding (and onnxruntime runs QDQ as integer kernels), so the error metrics
of an int8 model are not expected to agree to 1e-6; the table shows how far they are apart.

Environment: KILN (default .build/release/kiln), RESNET_TEST, ROUNDS, TIMEOUT (per tool run).
"""

import glob
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import quantize_vs_onnxruntime as quantize_bench  # noqa: E402
from convert_vs_onnxsim import KILN, available, measure  # noqa: E402

DIGITS = quantize_bench.DIGITS
ROUNDS = int(os.environ.get("ROUNDS", "3"))
TOLERANCE = 1e-6
METRICS = ("cosine", "maxAbsError", "meanAbsError", "snrDB", "top1Agreement", "top5Agreement")


def write_inputs(model_folder):
    """Child: test.npy split into inputs/NNN.npy, one sample ([1, ...]) per file."""
    import numpy as np

    os.makedirs(f"{model_folder}/inputs")
    for index, sample in enumerate(np.load(f"{model_folder}/test.npy")):
        np.save(f"{model_folder}/inputs/{index:03d}.npy", sample[None])


def ort_validate(reference, candidate, inputs, out):
    """Child: both models in onnxruntime over the .npy files in `inputs`; writes {"seconds",
    "samples", "outputs": {name: metrics}} to `out`."""
    import numpy as np
    import onnxruntime as ort

    start = time.perf_counter()
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    sessions = [ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
                for path in (reference, candidate)]
    input_name = sessions[0].get_inputs()[0].name
    names = [output.name for output in sessions[0].get_outputs()]
    sums = {name: dict(elements=0, dot=0.0, rr=0.0, cc=0.0, dd=0.0, absolute=0.0, maxabs=0.0,
                       samples=0, top1=0, top5=0, classifier=None) for name in names}
    files = sorted(glob.glob(f"{inputs}/*.npy"))
    for path in files:
        feed = {input_name: np.load(path)}
        expected = dict(zip(names, sessions[0].run(names, feed)))
        actual = dict(zip(names, sessions[1].run(names, feed)))
        for name in names:
            r, c = expected[name].astype(np.float64), actual[name].astype(np.float64)
            s, d = sums[name], np.abs(r - c).ravel()
            s["elements"] += d.size
            s["dot"] += float(np.dot(r.ravel(), c.ravel()))
            s["rr"] += float(np.dot(r.ravel(), r.ravel()))
            s["cc"] += float(np.dot(c.ravel(), c.ravel()))
            s["dd"] += float(np.dot(d, d))
            s["absolute"] += float(d.sum())
            s["maxabs"] = max(s["maxabs"], float(d.max(initial=0)))
            if s["classifier"] is None:
                s["classifier"] = r.ndim == 2 and r.shape[0] == 1 and r.shape[1] >= 2
            if s["classifier"]:
                top = int(np.argmax(r[0]))
                ranking = np.argsort(-c[0], kind="stable")
                s["samples"] += 1
                s["top1"] += int(ranking[0] == top)
                s["top5"] += int(top in ranking[:5])
    outputs = {}
    for name, s in sums.items():
        norms = (s["rr"] * s["cc"]) ** 0.5
        metrics = {"cosine": s["dot"] / norms if norms > 0 else float(s["rr"] == s["cc"]),
                   "maxAbsError": s["maxabs"], "meanAbsError": s["absolute"] / max(s["elements"], 1),
                   "snrDB": float("inf") if s["dd"] == 0 else 10 * float(np.log10(s["rr"] / s["dd"]))}
        if s["classifier"]:
            metrics.update(top1Agreement=100 * s["top1"] / s["samples"], top5Agreement=100 * s["top5"] / s["samples"])
        outputs[name] = metrics
    seconds = time.perf_counter() - start
    Path(out).write_text(json.dumps({"seconds": seconds, "samples": len(files), "outputs": outputs}))


def child(*args):
    return [sys.executable, __file__, *args]


def int8_model(folder, name):
    """The int8 model of `name` made by Kiln; its path, or exits naming the failing step."""
    model, out = f"{folder}/{name}/model.onnx", f"{folder}/{name}/int8.onnx"
    if name == "digits":
        _, _, error = measure([KILN, "quantize", model, "-o", out, "--int8", "--images", str(DIGITS / "calibration"),
                               "--preprocess", str(DIGITS / "preprocess.json")])
        if error:
            sys.exit(f"kiln quantize {name}: {error}")
        return out
    row = quantize_bench.run_kiln(folder, name, "minmax", ["--inputs", f"{folder}/{name}/calib"], "kiln")
    if "error" in row:
        sys.exit(f"{name}: {row['error']}")
    return row["path"]


def run_kiln(reference, candidate, inputs, report):
    seconds, _, error = measure([KILN, "validate", reference, candidate, "--inputs", inputs, "--json", report, "-q"])
    return {"error": error} if error else {"seconds": seconds}


def run_ort(reference, candidate, inputs, out):
    _, _, error = measure(child("ort-validate", reference, candidate, inputs, out))
    return {"error": error} if error else {"seconds": json.loads(Path(out).read_text())["seconds"]}


def relative_difference(a, b):
    if a == b:
        return 0.0
    return abs(a - b) / max(abs(a), abs(b))


def compare(report_path, ort_path):
    """[(output, metric, kiln, onnxruntime, relative difference)] for every metric both report."""
    report, ours = json.loads(Path(report_path).read_text()), json.loads(Path(ort_path).read_text())["outputs"]
    rows = []
    for output in report["outputs"]:
        kiln = dict(output, **output.get("classifier", {}))
        for metric in METRICS:
            if metric in kiln and metric in ours[output["name"]]:
                a, b = float(kiln[metric]), float(ours[output["name"]][metric])
                rows.append((output["name"], metric, a, b, relative_difference(a, b)))
    return rows


def measure_model(folder, name):
    """Best-of-ROUNDS seconds of each tool and the metric comparison for one model."""
    reference, candidate = f"{folder}/{name}/model.onnx", int8_model(folder, name)
    inputs, report, ort_out = f"{folder}/{name}/inputs", f"{folder}/{name}/kiln.json", f"{folder}/{name}/ort.json"
    tools = {"kiln validate": lambda: run_kiln(reference, candidate, inputs, report),
             "onnxruntime loop": lambda: run_ort(reference, candidate, inputs, ort_out)}
    best = {}
    for _ in range(max(ROUNDS, 1)):
        for tool, run in tools.items():
            row = run()
            if "error" in row:
                sys.exit(f"{name} {tool}: {row['error']}")
            if tool not in best or row["seconds"] < best[tool]:
                best[tool] = row["seconds"]
    return best, len(glob.glob(f"{inputs}/*.npy")), compare(report, ort_out)


def main():
    if not available("kiln"):
        sys.exit(f"no kiln binary at {KILN} (build it: swift build -c release --product kiln --static-swift-stdlib)")
    results = {}
    with tempfile.TemporaryDirectory(prefix="kiln-validate-bench-") as folder:
        subprocess.run([sys.executable, quantize_bench.__file__, "prepare", folder], check=True)
        for name in quantize_bench.MODELS:
            subprocess.run(child("write-inputs", f"{folder}/{name}"), check=True)
            results[name] = measure_model(folder, name)
    print(f"float32 vs int8, one sample at a time (kiln: one thread per model; onnxruntime: 1 thread), best of {ROUNDS} runs (target: ratio >= 1x)")
    print(f"{'model':<12} {'samples':>7} {'kiln s':>8} {'kiln img/s':>11} {'ort s':>8} {'ort img/s':>10} {'ratio':>7}")
    for name, (best, samples, _) in results.items():
        kiln, ort = best["kiln validate"], best["onnxruntime loop"]
        print(f"{name:<12} {samples:>7} {kiln:8.2f} {samples / kiln:11.1f} {ort:8.2f} {samples / ort:10.1f} "
              f"{ort / kiln:6.2f}x")
    print()
    print(f"metrics: kiln validate's JSON report against the onnxruntime loop (same within {TOLERANCE:g} relative)")
    print(f"{'model':<12} {'output':<10} {'metric':<14} {'kiln':>14} {'onnxruntime':>14} {'rel diff':>9} {'same':>5}")
    for name, (_, _, rows) in results.items():
        for output, metric, a, b, difference in rows:
            print(f"{name:<12} {output[:10]:<10} {metric:<14} {a:14.8g} {b:14.8g} {difference:9.2e} "
                  f"{'yes' if difference <= TOLERANCE else 'no':>5}")


if __name__ == "__main__":
    commands = {"write-inputs": write_inputs, "ort-validate": ort_validate}
    if len(sys.argv) > 1:
        commands[sys.argv[1]](*sys.argv[2:])
    else:
        main()
