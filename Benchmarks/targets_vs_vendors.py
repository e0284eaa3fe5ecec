"""Target benchmark: `kiln convert --target ncnn|openvino` against the vendors' own converters,
on the same ONNX models, and each output's latency in the vendor's runtime.

Converters: ncnn — pnnx (PyPI `pnnx`, its ONNX frontend: `pnnx model.onnx inputshape=[...]
fp16=0`, which writes model.ncnn.param/.bin with float32 weights like Kiln's default) against `kiln convert --target ncnn`; OpenVINO — `ovc`
(the `openvino` package's model converter, `--compress_to_fp16=False` for float32 weights like
Kiln's default) against `kiln convert --target openvino`. Conversion time is each command's
wall time (process start included; best of ROUNDS).

Models (runtime_models.py, BatchNormalization included, random weights): the ResNet-18-like and
MobileNetV2-like CNNs at 1x3x224x224, and the digits CNN (fixtures/digits/model.onnx) with its
batch fixed to 1. The ONNX files are saved with IR version 9, which every converter reads.

Latency: the vendor runtime on one thread (ncnn: Net with num_threads 1, fp16 and bf16 storage
and arithmetic off so both tools' outputs run the same float32 kernels; OpenVINO: CPU plugin,
INFERENCE_NUM_THREADS 1, precision hint f32), the same random input for both outputs, median
over REPEATS runs taken round robin (each round runs every output once, in a rotating order).
Before timing, each output is compared with onnxruntime on the original (max error / max
|output|) so that a fast but wrong output cannot win.

Targets (issue): Kiln's outputs no slower than the vendor converter's in the vendor runtime
(latency ratio <= 1.05) and Kiln converts faster (conversion ratio < 1).

Environment: KILN (default .build/release/kiln), REPEATS (default 50), ROUNDS (default 3),
TIMEOUT seconds per conversion (default 600).
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import convert_vs_onnxsim  # noqa: E402  (measure, ratio, fmt)

KILN = os.environ.get("KILN", str(ROOT / ".build/release/kiln"))
REPEATS = int(os.environ.get("REPEATS", "50"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
convert_vs_onnxsim.TIMEOUT = int(os.environ.get("TIMEOUT", "600"))

MAKE_MODELS = """
import sys, onnx
sys.path.insert(0, sys.argv[1])
import runtime_models as m
from onnx import shape_inference
folder, digits = sys.argv[2], sys.argv[3]
models = {"resnet18_bn": m.resnet18("resnet18_bn", batchnorm=True),
          "mobilenetv2_bn": m.mobilenet_v2("mobilenetv2_bn", batchnorm=True)}
d = onnx.load(digits)
for value in list(d.graph.input) + list(d.graph.output):
    value.type.tensor_type.shape.dim[0].dim_value = 1
del d.graph.value_info[:]
models["digits"] = d
for name, model in models.items():
    model.ir_version = 9
    onnx.save(model, f"{folder}/{name}.onnx")
    print(name, ",".join(str(x.dim_value) for x in model.graph.input[0].type.tensor_type.shape.dim))
"""


def make_models(folder):
    """{name: (path, input shape)} for the three models."""
    result = subprocess.run(
        [sys.executable, "-c", MAKE_MODELS, str(HERE), folder, str(ROOT / "fixtures/digits/model.onnx")],
        check=True, capture_output=True, text=True)
    models = {}
    for line in result.stdout.split("\n"):
        if line.strip():
            name, shape = line.split()
            models[name] = (f"{folder}/{name}.onnx", [int(x) for x in shape.split(",")])
    return models


def pnnx_binary():
    found = shutil.which("pnnx", path=os.path.dirname(sys.executable)) or shutil.which("pnnx")
    return found


def ovc_binary():
    return shutil.which("ovc", path=os.path.dirname(sys.executable)) or shutil.which("ovc")


def converters(folder, name, path, shape):
    """{(runtime, tool): (command, output files, file the runtime loads)}."""
    out = f"{folder}/{name}"
    shape_text = "[" + ",".join(map(str, shape)) + "]"
    pnnx_base = path[: -len(".onnx")]
    table = {
        # Distinct stems: both targets write a .bin beside their main file.
        ("ncnn", "kiln"): ([KILN, "convert", path, "--target", "ncnn", "-o", f"{out}.kiln-ncnn.param"],
                           f"{out}.kiln-ncnn.param"),
        ("openvino", "kiln"): ([KILN, "convert", path, "--target", "openvino", "-o", f"{out}.kiln-openvino.xml"],
                               f"{out}.kiln-openvino.xml"),
    }
    if pnnx_binary():
        table[("ncnn", "pnnx")] = ([pnnx_binary(), path, f"inputshape={shape_text}", "fp16=0"],
                                   f"{pnnx_base}.ncnn.param")
    if ovc_binary():
        table[("openvino", "ovc")] = ([ovc_binary(), path, "--output_model", f"{out}.ovc.xml",
                                       "--compress_to_fp16=False"], f"{out}.ovc.xml")
    return table


def convert_all(folder, models):
    """{(model, runtime, tool): {"seconds", "path"} or {"error"}}, best of ROUNDS, tools in turn."""
    results = {}
    for round_ in range(ROUNDS):
        for name, (path, shape) in models.items():
            for key, (command, loaded) in converters(folder, name, path, shape).items():
                # pnnx writes beside its input and into the working folder: run it in `folder`.
                seconds, _, error = measure_in(folder, command)
                entry = results.setdefault((name, *key), {"path": loaded})
                if error:
                    entry["error"] = error
                elif "seconds" not in entry or seconds < entry["seconds"]:
                    entry["seconds"] = seconds
        print(f"conversions: round {round_ + 1}/{ROUNDS} done", flush=True)
    return results


def measure_in(folder, command):
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        return convert_vs_onnxsim.measure(command)
    finally:
        os.chdir(cwd)


LATENCY = r"""
import json, sys, time, statistics, numpy as np, onnxruntime as ort
runtime, onnx_path, shape, repeats = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4])
paths = sys.argv[5:]
x = (np.random.default_rng(0).random(shape, dtype=np.float32) * 2 - 1)
session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
reference = session.run(None, {session.get_inputs()[0].name: x})[0]

def ncnn_runner(param):
    import ncnn
    net = ncnn.Net()
    for flag in ("use_fp16_packed", "use_fp16_storage", "use_fp16_arithmetic", "use_bf16_storage"):
        setattr(net.opt, flag, False)
    net.opt.num_threads = 1
    assert net.load_param(param) == 0 and net.load_model(param[: -len(".param")] + ".bin") == 0
    names = {"in": None, "out": None}
    produced, consumed = [], set()
    with open(param) as f:
        lines = f.read().split("\n")[2:]
    for line in lines:
        parts = line.split()
        if not parts:
            continue
        nin, nout = int(parts[2]), int(parts[3])
        ins, outs = parts[4:4 + nin], parts[4 + nin:4 + nin + nout]
        if parts[0] == "Input":
            names["in"] = outs[0]
        consumed.update(ins)
        produced.extend(outs)
    names["out"] = [b for b in produced if b not in consumed][0]
    def run():
        extractor = net.create_extractor()
        extractor.input(names["in"], ncnn.Mat(x[0]).clone())
        _, out = extractor.extract(names["out"])
        return np.array(out).reshape(reference.shape)
    return run

def openvino_runner(xml):
    import openvino as ov
    core = ov.Core()
    compiled = core.compile_model(core.read_model(xml), "CPU",
                                  {"INFERENCE_NUM_THREADS": 1, "INFERENCE_PRECISION_HINT": "f32"})
    request = compiled.create_infer_request()
    def run():
        return np.asarray(request.infer([x])[compiled.output(0)]).reshape(reference.shape)
    return run

runners = [(ncnn_runner if runtime == "ncnn" else openvino_runner)(p) for p in paths]
errors = [float(np.abs(r() - reference).max() / np.abs(reference).max()) for r in runners]
times = [[] for _ in runners]
for round in range(repeats):
    for k in range(len(runners)):
        i = (round + k) % len(runners)
        start = time.perf_counter()
        runners[i]()
        times[i].append((time.perf_counter() - start) * 1000)
print(json.dumps({"ms": [statistics.median(t) for t in times], "errors": errors}))
"""


def latencies(runtime, onnx_path, shape, paths):
    """([ms], [relative error]) for the outputs in `paths`, measured together; None on failure."""
    result = subprocess.run([sys.executable, "-c", LATENCY, runtime, onnx_path, json.dumps(shape),
                             str(REPEATS), *paths], capture_output=True, text=True)
    if result.returncode != 0:
        print(f"  {runtime} latency failed: {result.stderr.strip().splitlines()[-1:]}", flush=True)
        return None
    values = json.loads(result.stdout.strip().split("\n")[-1])
    return values["ms"], values["errors"]


def main():
    fmt, ratio = convert_vs_onnxsim.fmt, convert_vs_onnxsim.ratio
    if not os.access(KILN, os.X_OK):
        sys.exit(f"no kiln binary at {KILN}: build it with swift build -c release --product kiln --static-swift-stdlib")
    with tempfile.TemporaryDirectory() as folder:
        models = make_models(folder)
        results = convert_all(folder, models)
        print(f"\n{'model':16} {'runtime':9} {'tool':6} {'convert s':>10} {'latency ms':>11} {'rel error':>10}")
        summary = []
        for name, (path, shape) in models.items():
            for runtime, vendor in (("ncnn", "pnnx"), ("openvino", "ovc")):
                tools = [t for t in ("kiln", vendor) if "error" not in results.get((name, runtime, t), {"error": 1})]
                for t in ("kiln", vendor):
                    entry = results.get((name, runtime, t))
                    if entry and "error" in entry:
                        print(f"{name:16} {runtime:9} {t:6} failed: {entry['error']}")
                measured = latencies(runtime, path, shape, [results[(name, runtime, t)]["path"] for t in tools]) if tools else None
                row = {}
                for index, t in enumerate(tools):
                    entry = results[(name, runtime, t)]
                    ms, error = (measured[0][index], measured[1][index]) if measured else (None, None)
                    row[t] = (entry["seconds"], ms)
                    print(f"{name:16} {runtime:9} {t:6} {fmt(entry['seconds'], '{:10.2f}'):>10} "
                          f"{fmt(ms, '{:11.2f}'):>11} {fmt(error, '{:10.1e}'):>10}")
                if "kiln" in row and vendor in row:
                    summary.append((name, runtime, vendor, ratio(row["kiln"][0], row[vendor][0]),
                                    ratio(row["kiln"][1], row[vendor][1])))
        print("\nkiln / vendor converter (targets: convert < 1, latency <= 1.05)")
        for name, runtime, vendor, convert, latency in summary:
            print(f"{name:16} {runtime:9} vs {vendor:5} convert {fmt(convert, '{:.2f}')}x  "
                  f"latency {fmt(latency, '{:.3f}')}x")


if __name__ == "__main__":
    main()
