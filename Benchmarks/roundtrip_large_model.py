"""Round-trip benchmark: `kiln convert --pipeline none` against Python onnx.load + onnx.save.

Generates an MLP whose weights total WEIGHTS_MB (default 1024 MB) into a temporary folder, then
runs each tool in its own process on the same file, three times, and prints median wall time,
peak resident memory (from the kernel's rusage of the child) and Kiln's ratios to onnx. The
issue's targets: Kiln wall time <= 0.3x onnx's, Kiln peak RSS <= 1.2x the model's size.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time


KILN = os.environ.get("KILN", ".build/release/kiln")
WEIGHTS_MB = int(os.environ.get("WEIGHTS_MB", "1024"))
REPEATS = int(os.environ.get("REPEATS", "3"))
WIDTH = 4096  # one 4096x4096 float32 matrix is 64 MiB


def make_model(path):
    # Imported here: the measuring parent must stay small, since a child's peak RSS counts
    # the parent's pages at fork time.
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    layers = max(1, WEIGHTS_MB // 64)
    rng = np.random.default_rng(0)
    nodes, inits = [], []
    previous = "x"
    for i in range(layers):
        weight = rng.standard_normal((WIDTH, WIDTH), dtype=np.float32) * 0.01
        inits.append(numpy_helper.from_array(weight, f"w{i}"))
        inits.append(numpy_helper.from_array(np.zeros(WIDTH, np.float32), f"b{i}"))
        nodes.append(helper.make_node("Gemm", [previous, f"w{i}", f"b{i}"], [f"h{i}"]))
        nodes.append(helper.make_node("Relu", [f"h{i}"], [f"r{i}"]))
        previous = f"r{i}"
        del weight
    graph = helper.make_graph(
        nodes, "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", WIDTH])],
        [helper.make_tensor_value_info(previous, TensorProto.FLOAT, ["N", WIDTH])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, path)


ONNX_ROUNDTRIP = "import onnx,sys; onnx.save(onnx.load(sys.argv[1]), sys.argv[2])"


def measure(command):
    """Runs `command`, returns (seconds, peak RSS bytes) of that child alone."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"benchmark command failed: {' '.join(command)}")
    return seconds, usage.ru_maxrss * 1024


def run(name, command):
    samples = [measure(command) for _ in range(REPEATS)]
    seconds = statistics.median(s for s, _ in samples)
    rss = max(r for _, r in samples)
    print(f"  {name:<22} {seconds:8.2f} s   peak RSS {rss / 2**20:8.0f} MiB", flush=True)
    return seconds, rss


def main():
    with tempfile.TemporaryDirectory(prefix="kiln-bench-") as folder:
        model = os.path.join(folder, "mlp.onnx")
        print(f"generating an MLP with {WEIGHTS_MB} MB of weights ...", flush=True)
        subprocess.run([sys.executable, __file__, "--generate", model], check=True)
        size = os.path.getsize(model)
        print(f"model: {size / 2**20:.0f} MiB, {REPEATS} runs each (median time, max RSS)")
        kiln = run("kiln convert", [KILN, "convert", model, "-o", os.path.join(folder, "k.onnx"), "--pipeline", "none", "-q"])
        python = run("onnx.load + onnx.save", [sys.executable, "-c", ONNX_ROUNDTRIP, model, os.path.join(folder, "p.onnx")])
        print(f"kiln / onnx wall time: {kiln[0] / python[0]:.3f}x   (target <= 0.3x)")
        print(f"kiln peak RSS / model size: {kiln[1] / size:.3f}x   (target <= 1.2x)")
        print(f"onnx peak RSS / model size: {python[1] / size:.3f}x")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--generate":
        make_model(sys.argv[2])
    else:
        main()
