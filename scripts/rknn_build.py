"""Builds an .rknn from ONNX with rknn-toolkit2 and compares its PC simulator with Kiln.

`kiln convert --target rknn --build` runs this with the rknn venv's python
(.venv-rknn/bin/python, or $KILN_RKNN_PYTHON) and one argument, a JSON file Kiln wrote:

  onnx       the ONNX Kiln legalized for RKNN (static shapes)
  rknn       where to export the .rknn
  platform   rk3588, rk3566, ... (rknn-toolkit2's target_platform)
  inputs     [{name, channels}] in graph order; channels sets mean 0 / std 1 per channel,
             since Kiln's preprocessing already made the inputs
  dataset    for int8: [[.npy per input], ...], one sample per entry; absent for fp16
  samples    [{inputs: [.npy per input], expected: [.npy per output]}]: inputs to run on the
             simulator and Kiln's outputs for them
  outputs    the output names, in graph order

It prints one line `KILN_RESULT {"outputs": [{output, samples, cosine, maxAbsoluteError,
maxMagnitude}]}` and exits 0, or exits 1 after rknn-toolkit2's own messages.
"""

import json
import os
import sys
import tempfile

import numpy as np
from rknn.api import RKNN


def dataset_file(samples, folder):
    """A dataset list for build(): one line per sample, its inputs' .npy files (the model's
    own layout, NCHW for images: rknn-toolkit2 2.5 refuses NHWC arrays) by spaces."""
    path = os.path.join(folder, "dataset.txt")
    with open(path, "w") as handle:
        handle.write("".join(" ".join(files) + "\n" for files in samples))
    return path


def compare(rknn, config):
    """Cosine and largest error of the simulator against Kiln, per output over the samples."""
    results = {name: {"cos": 1.0, "err": 0.0, "mag": 0.0} for name in config["outputs"]}
    for sample in config["samples"]:
        inputs = [np.load(path) for path in sample["inputs"]]
        got = rknn.inference(inputs=inputs, data_format="nchw")
        if got is None:
            raise RuntimeError("the simulator returned no outputs")
        for name, actual, path in zip(config["outputs"], got, sample["expected"]):
            expected = np.load(path).astype(np.float64).ravel()
            actual = np.asarray(actual, np.float64).ravel()
            if actual.size != expected.size:
                raise RuntimeError(f"output {name}: {actual.size} elements, Kiln has {expected.size}")
            norms = np.linalg.norm(actual) * np.linalg.norm(expected)
            cosine = float(actual @ expected / norms) if norms > 0 else float(np.array_equal(actual, expected))
            entry = results[name]
            entry["cos"] = min(entry["cos"], cosine)
            entry["err"] = max(entry["err"], float(np.abs(actual - expected).max(initial=0)))
            entry["mag"] = max(entry["mag"], float(np.abs(expected).max(initial=0)))
    return [{"output": name, "samples": len(config["samples"]), "cosine": entry["cos"],
             "maxAbsoluteError": entry["err"], "maxMagnitude": entry["mag"]}
            for name, entry in results.items()]


def main(config_path):
    with open(config_path) as handle:
        config = json.load(handle)
    rknn = RKNN(verbose=False)
    means = [[0.0] * item["channels"] for item in config["inputs"]]
    stds = [[1.0] * item["channels"] for item in config["inputs"]]
    steps = [
        ("config", lambda: rknn.config(target_platform=config["platform"], mean_values=means, std_values=stds)),
        ("load_onnx", lambda: rknn.load_onnx(model=config["onnx"])),
    ]
    with tempfile.TemporaryDirectory() as folder:
        quantize = config.get("dataset") is not None
        dataset = dataset_file(config["dataset"], folder) if quantize else None
        steps += [
            ("build", lambda: rknn.build(do_quantization=quantize, dataset=dataset)),
            ("export_rknn", lambda: rknn.export_rknn(config["rknn"])),
            ("init_runtime", lambda: rknn.init_runtime()),
        ]
        for name, step in steps:
            status = step()
            if status not in (0, None):
                print(f"rknn-toolkit2 {name} failed ({status})", file=sys.stderr)
                return 1
    print("KILN_RESULT " + json.dumps({"outputs": compare(rknn, config)}), flush=True)
    rknn.release()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
