"""Optimizer benchmark: `kiln convert` (default pipeline) against onnxsim and onnxslim.

Models: generated ResNet-18-like and MobileNetV2-like CNNs with BatchNormalization (224x224,
runtime_models.py), a ResNet-18-like one WIDE_WIDTH (default 3.4) times as wide, with about
500 MB of weights at 112x112, so that folding BatchNormalization is measured on a model whose
size dwarfs the process's own, the largest libonnx-testdata pytorch-converted models, and a
generated MLP with WEIGHTS_MB (default 1024) MB of weights (roundtrip_large_model.py). Each tool runs in its
own process on the same file; per tool and model the script prints wall time, peak RSS (the
kernel's rusage of that child alone), nodes after, output size (model file and external data)
and the onnxruntime latency of its output (the input and every tool's output measured
together, round robin, once per rotation of the order the sessions are created in), then
Kiln's ratios.

The issue's targets: Kiln wall time <= 0.5x the faster of onnxsim/onnxslim, Kiln peak RSS <=
1.25x the model's size, nodes after <= onnxslim's on every model, output latency <= onnxslim's
+ 2%.

onnxsim and onnxslim are installed into .venv by Benchmarks/run.sh, never by `make test`; when
one is missing this script says so and measures the others. Environment: KILN (the binary,
default .build/release/kiln), WEIGHTS_MB, REPEATS (default 50), TIMEOUT seconds per tool run
(default 1800), MODELS (a comma-separated subset of the names printed, e.g. resnet18_bn).

Besides RSS/model, the ratios give (RSS − idle)/model, where idle is the peak RSS of `kiln
convert` on a tiny model: the process's own baseline, which no model size amortizes.
"""

import glob
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

KILN = os.environ.get("KILN", ".build/release/kiln")
WEIGHTS_MB = int(os.environ.get("WEIGHTS_MB", "1024"))
WIDE_WIDTH = float(os.environ.get("WIDE_WIDTH", "3.4"))
REPEATS = int(os.environ.get("REPEATS", "50"))
TIMEOUT = int(os.environ.get("TIMEOUT", "1800"))
ONLY = {m for m in os.environ.get("MODELS", "").split(",") if m}
TESTDATA = "/usr/share/libonnx-testdata/data"

# The tools, as commands on (input, output). onnxsim and onnxslim run through their Python
# entry points in this interpreter, so that a missing package is detected the same way.
TOOLS = {
    "kiln": lambda src, dst: [KILN, "convert", src, "-o", dst, "-q"],
    "onnxsim": lambda src, dst: [sys.executable, "-m", "onnxsim", src, dst],
    "onnxslim": lambda src, dst: [sys.executable, "-m", "onnxslim", src, dst],
}

# Loads a model's graph without its weights and prints the node count (subgraphs included).
COUNT_NODES = """
import sys, onnx
model = onnx.load(sys.argv[1], load_external_data=False)
def count(graph):
    total = 0
    for node in graph.node:
        total += 1
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                total += count(attribute.g)
            for sub in attribute.graphs:
                total += count(sub)
    return total
print(count(model.graph))
"""

# A one-node model: converting it shows the process's own peak RSS.
IDLE_MODEL = """
import sys, onnx
from onnx import TensorProto, helper
x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])
graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "idle", [x], [y])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), sys.argv[1])
"""


def available(tool):
    if tool == "kiln":
        return os.access(KILN, os.X_OK)
    return importlib.util.find_spec(tool) is not None


def measure(command):
    """Runs `command`; returns (seconds, peak RSS bytes, error or None). The peak RSS is that
    child's own (os.wait4), not the running maximum over all children that RUSAGE_CHILDREN
    keeps. The wait blocks (a watchdog thread kills the child after TIMEOUT seconds), so the
    time is the child's to within the scheduler's wake-up, not rounded up to a polling step."""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
        lock, state = threading.Lock(), {"done": False, "killed": False}

        def kill():
            with lock:
                if not state["done"]:
                    state["killed"] = True
                    process.kill()

        watchdog = threading.Timer(TIMEOUT, kill)
        watchdog.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        with lock:
            state["done"] = True
        watchdog.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        if state["killed"]:
            return None, None, f"timed out after {TIMEOUT} s"
        if process.returncode != 0:
            errors.seek(0)
            last = errors.read().decode(errors="replace").strip().splitlines()
            return None, None, f"exit {process.returncode}: {last[-1] if last else ''}"
        return seconds, usage.ru_maxrss * 1024, None


def output_bytes(path):
    """The model file plus external-data files beside it that it names."""
    total = os.path.getsize(path)
    folder = os.path.dirname(path)
    base = os.path.basename(path)
    for other in os.listdir(folder):
        if other != base and other.startswith(base) and not other.endswith(".onnx"):
            total += os.path.getsize(os.path.join(folder, other))
    return total


def node_count(path):
    result = subprocess.run([sys.executable, "-c", COUNT_NODES, path], capture_output=True,
                            text=True)
    return int(result.stdout) if result.returncode == 0 else None


# Median onnxruntime latency (ms, one thread) of each model given, measured in one process by
# round robin: each round runs every model once, starting with a different one, so that drift
# in the machine's speed (other processes, frequency) falls on all models alike.
ORT_INTERLEAVED = """
import json, sys, time, statistics, numpy as np, onnxruntime as ort
paths, repeats = sys.argv[2:], int(sys.argv[1])
options = ort.SessionOptions()
options.intra_op_num_threads = 1
options.inter_op_num_threads = 1
sessions = [ort.InferenceSession(p, options, providers=["CPUExecutionProvider"]) for p in paths]
rng = np.random.default_rng(0)
feeds = {}
for i in sessions[0].get_inputs():
    shape = [d if isinstance(d, int) else 1 for d in i.shape]
    kind = {"tensor(float)": np.float32, "tensor(int64)": np.int64}.get(i.type, np.float32)
    feeds[i.name] = (rng.random(shape) * 2 - 1).astype(kind)
for session in sessions:
    session.run(None, feeds)
times = [[] for _ in sessions]
for round in range(repeats):
    for k in range(len(sessions)):
        index = (round + k) % len(sessions)
        start = time.perf_counter()
        sessions[index].run(None, feeds)
        times[index].append((time.perf_counter() - start) * 1000)
print(json.dumps([statistics.median(t) for t in times]))
"""


def ort_latencies(paths):
    """{path: ms} for the models that onnxruntime ran, measured together. Where a session is
    created matters (on a 1 GB MLP the session created last ran 5-8% faster, whichever file it
    held), so the measurement runs once per rotation of the load order, each with its share of
    REPEATS rounds, and each model's latency is the mean of its medians over the rotations."""
    medians = {path: [] for path in paths}
    rounds = max(1, REPEATS // len(paths))
    for shift in range(len(paths)):
        order = paths[shift:] + paths[:shift]
        result = subprocess.run([sys.executable, "-c", ORT_INTERLEAVED, str(rounds), *order],
                                capture_output=True, text=True)
        if result.returncode != 0:
            return {}
        for path, median in zip(order, json.loads(result.stdout)):
            medians[path].append(median)
    return {path: sum(values) / len(values) for path, values in medians.items()}


def make_models(folder):
    """[(name, path)]: the generated CNNs, the largest test models, the large MLP."""
    # Generated in a child: the measuring parent must stay small, since a child's peak RSS
    # counts the parent's pages at fork time.
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); import onnx, runtime_models as m\n"
        "wide = dict(width=float(sys.argv[3]), size=112)\n"
        "for make, name, options in ((m.resnet18, 'resnet18_bn', {}), (m.mobilenet_v2, 'mobilenetv2_bn', {}),\n"
        "                            (m.resnet18, 'wide_resnet18_bn', wide)):\n"
        "    if name in sys.argv[4:]:\n"
        "        onnx.save(make(name, batchnorm=True, **options), f'{sys.argv[2]}/{name}.onnx')\n")
    generated = [n for n in ("resnet18_bn", "mobilenetv2_bn", "wide_resnet18_bn") if not ONLY or n in ONLY]
    models = []
    if generated:
        subprocess.run([sys.executable, "-c", script, HERE, folder, str(WIDE_WIDTH), *generated],
                       check=True)
        models += [(n, f"{folder}/{n}.onnx") for n in generated]
    paths = sorted(glob.glob(f"{TESTDATA}/pytorch-converted/*/model.onnx"),
                   key=os.path.getsize, reverse=True)[:3]
    models += [(p.split("/")[-2], p) for p in paths]
    if not ONLY or f"mlp_{WEIGHTS_MB}mb" in ONLY:
        path = f"{folder}/mlp_{WEIGHTS_MB}mb.onnx"
        print(f"generating an MLP with {WEIGHTS_MB} MB of weights ...", flush=True)
        env = dict(os.environ, WEIGHTS_MB=str(WEIGHTS_MB))
        subprocess.run([sys.executable, os.path.join(HERE, "roundtrip_large_model.py"),
                        "--generate", path], check=True, env=env)
        models.append((f"mlp_{WEIGHTS_MB}mb", path))
    return [(n, p) for n, p in models if not ONLY or n in ONLY]


def idle_rss(folder):
    """Kiln's peak RSS converting a one-node model, or None when that fails."""
    path = os.path.join(folder, "idle.onnx")
    subprocess.run([sys.executable, "-c", IDLE_MODEL, path], check=True)
    _, rss, _ = measure(TOOLS["kiln"](path, os.path.join(folder, "idle.kiln.onnx")))
    return rss


def run_tool(tool, name, path, folder):
    out = os.path.join(folder, f"{name}.{tool}.onnx")
    seconds, rss, error = measure(TOOLS[tool](path, out))
    if error:
        return {"error": error}
    return {"seconds": seconds, "rss": rss, "nodes": node_count(out), "bytes": output_bytes(out),
            "path": out}


def fmt(value, pattern, missing="-"):
    return missing if value is None else pattern.format(value)


def ratio(a, b):
    return None if a is None or b in (None, 0) else a / b


def main():
    tools = [t for t in TOOLS if available(t)]
    for tool in TOOLS:
        if tool not in tools:
            where = (f"no kiln binary at {KILN} (build it: swift build -c release --product kiln --static-swift-stdlib)" if tool == "kiln"
                     else f"{tool} is not installed in {sys.executable}'s environment "
                          "(Benchmarks/run.sh installs it with pip)")
            print(f"note: {where}; its columns are left out", flush=True)
    if "kiln" not in tools:
        sys.exit(1)
    results = {}
    with tempfile.TemporaryDirectory(prefix="kiln-convert-bench-") as folder:
        idle = idle_rss(folder)
        print(f"kiln's idle peak RSS (a one-node model): {fmt(idle and idle / 2**20, '{:.0f} MiB')}")
        models = make_models(folder)
        header = (f"{'model':<28} {'tool':<9} {'wall s':>8} {'peak RSS MiB':>13} {'nodes':>7} "
                  f"{'size MiB':>9} {'ort ms':>8}")
        print(header)
        print("-" * len(header))
        for name, path in models:
            size = os.path.getsize(path)
            before = node_count(path)
            row = results.setdefault(name, {"size": size, "nodes": before})
            for tool in tools:
                row[tool] = run_tool(tool, name, path, folder)
            ran = [tool for tool in tools if "error" not in row[tool]]
            latency = ort_latencies([path] + [row[tool].pop("path") for tool in ran])
            print(f"{name:<28} {'input':<9} {'':>8} {'':>13} {fmt(before, '{:7d}'):>7} "
                  f"{size / 2**20:9.2f} {fmt(latency.get(path), '{:8.2f}'):>8}", flush=True)
            for tool in tools:
                r = row[tool]
                if "error" in r:
                    print(f"{'':<28} {tool:<9} failed: {r['error']}", flush=True)
                    continue
                r["latency"] = latency.get(os.path.join(folder, f"{name}.{tool}.onnx"))
                print(f"{'':<28} {tool:<9} {r['seconds']:8.2f} {r['rss'] / 2**20:13.0f} "
                      f"{fmt(r['nodes'], '{:7d}'):>7} {r['bytes'] / 2**20:9.2f} "
                      f"{fmt(r['latency'], '{:8.2f}'):>8}", flush=True)
            for other in os.listdir(folder):  # keep the disk small: this model's outputs are done
                if other.startswith(f"{name}."):
                    os.remove(os.path.join(folder, other))
    print()
    print("Kiln's ratios (targets: wall <= 0.5x the faster tool, RSS/model <= 1.25x, "
          "nodes <= onnxslim's, latency <= onnxslim's + 2%)")
    print(f"{'model':<28} {'wall/best':>10} {'RSS/model':>10} {'(RSS-idle)/model':>17} {'nodes-slim':>11} "
          f"{'nodes-sim':>10} {'lat/slim':>9} {'lat/sim':>8}")
    for name, row in results.items():
        kiln = row.get("kiln", {})
        if "error" in kiln:
            print(f"{name:<28} kiln failed")
            continue
        others = [row[t]["seconds"] for t in ("onnxsim", "onnxslim") if "seconds" in row.get(t, {})]
        slim, sim = row.get("onnxslim", {}), row.get("onnxsim", {})

        def diff(other):
            if kiln.get("nodes") is None or other.get("nodes") is None:
                return None
            return kiln["nodes"] - other["nodes"]

        print(f"{name:<28} {fmt(ratio(kiln['seconds'], min(others) if others else None), '{:9.2f}x'):>10} "
              f"{fmt(ratio(kiln['rss'], row['size']), '{:9.2f}x'):>10} "
              f"{fmt(ratio(idle and kiln['rss'] - idle, row['size']), '{:16.2f}x'):>17} "
              f"{fmt(diff(slim), '{:+11d}'):>11} {fmt(diff(sim), '{:+10d}'):>10} "
              f"{fmt(ratio(kiln.get('latency'), slim.get('latency')), '{:8.3f}x'):>9} "
              f"{fmt(ratio(kiln.get('latency'), sim.get('latency')), '{:7.3f}x'):>8}")
    if os.environ.get("JSON_OUT"):
        with open(os.environ["JSON_OUT"], "w") as file:
            json.dump(results, file, indent=2)


if __name__ == "__main__":
    main()
