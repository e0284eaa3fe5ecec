"""Runtime benchmark: `kiln run` against onnxruntime on the same models, at 1 and 2 threads.

Models: a generated ResNet-18-like and MobileNetV2-like CNN (batch 1, 224x224; see
runtime_models.py) and the largest libonnx-testdata models. Each tool runs in its own process
on the same random input shape; the median latency of REPEATS timed runs (after a warm-up) is
taken ROUNDS times (default 3), alternating the two tools, and the best round of each is printed
with the ratio Kiln / onnxruntime: on a shared machine single rounds vary by tens of percent.
The issue's target: <= 2x on every conv model.
"""

import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))

KILN = os.environ.get("KILN", ".build/release/kiln")
REPEATS = int(os.environ.get("REPEATS", "10"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
TESTDATA = "/usr/share/libonnx-testdata/data"

ORT_RUN = """
import sys, time, statistics, numpy as np, onnxruntime as ort
path, threads, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
options = ort.SessionOptions()
options.intra_op_num_threads = threads
options.inter_op_num_threads = 1
session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
rng = np.random.default_rng(0)
feeds = {}
for i in session.get_inputs():
    shape = [d if isinstance(d, int) else 1 for d in i.shape]
    kind = {"tensor(float)": np.float32, "tensor(int64)": np.int64}.get(i.type, np.float32)
    feeds[i.name] = (rng.random(shape) * 2 - 1).astype(kind)
session.run(None, feeds)
times = []
for _ in range(repeats):
    start = time.perf_counter()
    session.run(None, feeds)
    times.append((time.perf_counter() - start) * 1000)
print(statistics.median(times))
"""


def largest_testdata_models(count=3):
    paths = glob.glob(f"{TESTDATA}/pytorch-converted/*/model.onnx")
    return sorted(paths, key=os.path.getsize, reverse=True)[:count]


def kiln_latency(path, threads):
    result = subprocess.run(
        [KILN, "run", path, "--random", "--threads", str(threads), "--repeat", str(REPEATS), "--json"],
        capture_output=True, text=True)
    if result.returncode != 0:
        return None, result.stderr.strip().splitlines()[-1] if result.stderr else "failed"
    return json.loads(result.stdout)["medianMilliseconds"], ""


def ort_latency(path, threads):
    result = subprocess.run(
        [sys.executable, "-c", ORT_RUN, path, str(threads), str(REPEATS)],
        capture_output=True, text=True, check=True)
    return float(result.stdout.strip())


def best_rounds(path, threads):
    """The best of ROUNDS alternating runs of each tool: (kiln ms or None, why, ort ms)."""
    kilns, orts, why = [], [], ""
    for _ in range(max(ROUNDS, 1)):
        kiln, why = kiln_latency(path, threads)
        if kiln is None:
            return None, why, ort_latency(path, threads)
        kilns.append(kiln)
        orts.append(ort_latency(path, threads))
    return min(kilns), why, min(orts)


def main():
    import runtime_models

    with tempfile.TemporaryDirectory(prefix="kiln-runtime-bench-") as folder:
        models = runtime_models.write_models(folder) + largest_testdata_models()
        print(f"{'model':<40} {'threads':>7} {'kiln ms':>9} {'ort ms':>9} {'kiln/ort':>9}")
        for path in models:
            name = os.path.basename(path) if folder in path else path.split("/")[-2]
            for threads in (1, 2):
                kiln, why, ort = best_rounds(path, threads)
                if kiln is None:
                    print(f"{name:<40} {threads:>7} {'-':>9} {ort:9.2f} {'':>9}  kiln: {why}")
                else:
                    print(f"{name:<40} {threads:>7} {kiln:9.2f} {ort:9.2f} {kiln / ort:8.2f}x")


if __name__ == "__main__":
    main()
