"""The Darknet frontend (cfg + weights -> IR) against OpenCV's Darknet importer.

yolov3-tiny    .cache/test-models/darknet (or $KILN_TEST_MODELS/darknet): `kiln convert` with
               --pipeline none and with the default pipeline; onnxruntime runs the results on a
               seeded input and matches OpenCV's `readNetFromDarknet` on the layers that feed
               the two [yolo] layers (Kiln keeps the yolo inputs raw as outputs); a numpy decode
               of Kiln's raw output, as the README documents it, matches OpenCV's yolo outputs.
               The default pipeline leaves no back-to-back Transpose pair; `kiln inspect` works.
per layer      a cfg and weights generated here for every section type and variant, converted,
               run in onnxruntime and in `kiln run`, and matched against OpenCV.
unsupported    several unsupported sections are listed together, exit 2.

"Within 1e-4 relative" is max|kiln - opencv| <= RTOL * max|opencv|. Weights are uniform in
[0.05, 1) so that every batch-norm variance is positive. The weights file of a generated model
holds exactly the floats its layers need: OpenCV reads any length, so the test loads the cfg
with a long file first and counts the parameters OpenCV found.
"""

import os
import subprocess
from pathlib import Path

import cv2
import numpy as np
import onnx
import onnxruntime as ort
import pytest

from conftest import REPO_ROOT

RTOL = 1e-4
MODELS = Path(os.environ.get("KILN_TEST_MODELS", REPO_ROOT / ".cache" / "test-models")) / "darknet"
YOLO_CFG = MODELS / "yolov3-tiny.cfg"
YOLO_WEIGHTS = MODELS / "yolov3-tiny.weights"
HEADER = np.array([0, 2, 0], np.int32).tobytes() + np.array([0], np.int64).tobytes()


def _relative_error(kiln, reference):
    assert kiln.shape == reference.shape, (kiln.shape, reference.shape)
    return float(np.abs(kiln - reference).max() / max(float(np.abs(reference).max()), 1e-12))


def _onnx_outputs(path, x):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, {"input": x})))


def _opencv(cfg, weights, x, names=None):
    net = cv2.dnn.readNetFromDarknet(str(cfg), str(weights))
    net.setInput(x)
    names = names or [net.getLayerNames()[-1]]
    return dict(zip(names, net.forward(names)))


def _convert(run_kiln, cfg, weights, out, pipeline="none"):
    rc, stdout, stderr = run_kiln("convert", cfg, "--weights", weights, "-o", out, "--pipeline", pipeline)
    assert rc == 0, stderr + stdout
    return out


# --- yolov3-tiny -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def yolo_input():
    if not YOLO_CFG.is_file() or not YOLO_WEIGHTS.is_file():
        raise RuntimeError(f"yolov3-tiny is missing under {MODELS}: run scripts/fetch-test-models.sh")
    return np.random.default_rng(0).uniform(0, 1, (1, 3, 416, 416)).astype(np.float32)


@pytest.fixture(scope="module")
def yolo_opencv(yolo_input):
    """OpenCV's outputs: the convolutions feeding the yolo layers, and the yolo layers."""
    return _opencv(YOLO_CFG, YOLO_WEIGHTS, yolo_input, ["conv_15", "conv_22", "yolo_16", "yolo_23"])


@pytest.mark.parametrize("pipeline", ["none", "default"])
def test_yolov3_tiny_matches_opencv(run_kiln, tmp_path, yolo_input, yolo_opencv, pipeline):
    model = _convert(run_kiln, YOLO_CFG, YOLO_WEIGHTS, tmp_path / "m.onnx", pipeline)
    outputs = _onnx_outputs(model, yolo_input)
    assert list(outputs) == ["yolo_16", "yolo_23"]
    for name, feeding in (("yolo_16", "conv_15"), ("yolo_23", "conv_22")):
        assert _relative_error(outputs[name], yolo_opencv[feeding]) <= RTOL, name


def test_yolov3_tiny_default_pipeline_leaves_no_transpose_pairs(run_kiln, tmp_path):
    graph = onnx.load(str(_convert(run_kiln, YOLO_CFG, YOLO_WEIGHTS, tmp_path / "m.onnx", "default"))).graph
    producers = {out: node for node in graph.node for out in node.output}
    pairs = [n.name for n in graph.node
             if n.op_type == "Transpose" and getattr(producers.get(n.input[0]), "op_type", "") == "Transpose"]
    assert pairs == []
    assert {n.op_type for n in graph.node} <= {"Conv", "LeakyRelu", "MaxPool", "Concat", "Resize"}


def _decode(raw, anchors, mask, classes, input_size, thresh=0.2):
    """Kiln's raw [1, A*(5+C), H, W] yolo output decoded the way OpenCV's yolo layer does.

    Row (y*W + x)*A + a holds box a of cell (y, x): x and y centres and w and h relative to the
    input, objectness, then per class objectness*sigmoid(class score), zeroed below `thresh`.
    """
    _, _, height, width = raw.shape
    count = len(mask)
    cells = raw.reshape(count, 5 + classes, height, width).transpose(2, 3, 0, 1)  # H, W, A, 5+C
    sigmoid = 1 / (1 + np.exp(-cells))
    box = np.empty_like(cells)
    ys, xs = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    box[..., 0] = (xs[..., None] + sigmoid[..., 0]) / width
    box[..., 1] = (ys[..., None] + sigmoid[..., 1]) / height
    pairs = np.array(anchors, np.float32).reshape(-1, 2)[mask]
    box[..., 2] = np.exp(cells[..., 2]) * pairs[:, 0] / input_size[1]
    box[..., 3] = np.exp(cells[..., 3]) * pairs[:, 1] / input_size[0]
    box[..., 4] = sigmoid[..., 4]
    scores = sigmoid[..., 4:5] * sigmoid[..., 5:]
    box[..., 5:] = np.where(scores > thresh, scores, 0)
    return box.reshape(height * width * count, 5 + classes)


def test_yolov3_tiny_decoding_as_documented_matches_opencv(run_kiln, tmp_path, yolo_input, yolo_opencv):
    model_path = _convert(run_kiln, YOLO_CFG, YOLO_WEIGHTS, tmp_path / "m.onnx")
    metadata = {p.key: p.value for p in onnx.load(str(model_path), load_external_data=False).metadata_props}
    outputs = _onnx_outputs(model_path, yolo_input)
    for layer in (16, 23):
        prefix = f"darknet.yolo.{layer}."
        decoded = _decode(
            outputs[metadata[prefix + "output"]],
            [float(v) for v in metadata[prefix + "anchors"].split(",")],
            [int(v) for v in metadata[prefix + "mask"].split(",")],
            int(metadata[prefix + "classes"]), (416, 416))
        reference = yolo_opencv[f"yolo_{layer}"]
        # Class scores sitting at the 0.2 threshold may fall either side of it.
        near_threshold = np.abs(reference - 0.2) < 1e-4
        assert _relative_error(np.where(near_threshold, 0, decoded), np.where(near_threshold, 0, reference)) <= RTOL


def test_yolov3_tiny_inspect(run_kiln):
    rc, stdout, stderr = run_kiln("inspect", YOLO_CFG, "--weights", YOLO_WEIGHTS)
    assert rc == 0, stderr
    assert "kiln-darknet" in stdout and "yolo_16: float32[1,255,13,13]" in stdout
    assert "darknet.yolo.23.mask = 0,1,2" in stdout


# --- one generated model per layer type and variant ---------------------------------------------


def _net(channels=3, size=8):
    return f"[net]\nwidth={size}\nheight={size}\nchannels={channels}\n"


def _conv(filters=4, size=3, stride=1, pad=1, activation="leaky", bn=1, extra=""):
    return (f"[convolutional]\nbatch_normalize={bn}\nfilters={filters}\nsize={size}\nstride={stride}\n"
            f"pad={pad}\nactivation={activation}\n{extra}")


LAYER_CASES = {
    **{f"conv-{act}-bn{bn}": _net() + _conv(activation=act, bn=bn)
       for act in ("leaky", "linear", "relu", "logistic", "swish", "mish") for bn in (0, 1)},
    "conv-stride2": _net() + _conv(stride=2),
    "conv-valid": _net() + _conv(pad=0, extra="padding=0\n"),
    "conv-padding2": _net() + _conv(pad=0, extra="padding=2\n"),
    "conv-1x1": _net() + _conv(size=1, filters=6),
    "conv-groups": _net(channels=4) + _conv(filters=8, extra="groups=2\n"),
    "conv-depthwise": _net(channels=4) + _conv(filters=4, extra="groups=4\n"),
    "maxpool-2-stride2": _net() + _conv() + "[maxpool]\nsize=2\nstride=2\n",
    "maxpool-2-stride1": _net() + _conv() + "[maxpool]\nsize=2\nstride=1\n",
    "maxpool-3-stride2-odd": _net(size=9) + _conv() + "[maxpool]\nsize=3\nstride=2\n",
    "maxpool-padding0": _net() + _conv() + "[maxpool]\nsize=2\nstride=2\npadding=0\n",
    "route-concat": _net() + _conv() + _conv(filters=2) + "[route]\nlayers=-1,0\n",
    "route-single": _net() + _conv() + _conv(filters=2) + "[route]\nlayers=-2\n" + _conv(filters=3),
    "route-groups": _net() + _conv(filters=8) + "[route]\nlayers=-1\ngroups=2\ngroup_id=1\n",
    "route-groups-then-concat": _net() + _conv(filters=8) + "[route]\nlayers=-1\ngroups=2\ngroup_id=1\n"
    + _conv(filters=4) + "[route]\nlayers=-1,-2\n",
    "shortcut": _net() + _conv() + _conv() + "[shortcut]\nfrom=-2\nactivation=linear\n",
    "shortcut-leaky": _net() + _conv() + _conv() + "[shortcut]\nfrom=0\nactivation=leaky\n",
    "upsample": _net() + _conv() + "[upsample]\nstride=2\n",
    "upsample-3": _net() + _conv() + "[upsample]\nstride=3\n",
    "connected": _net() + _conv() + "[connected]\noutput=10\nactivation=linear\n",
    "connected-leaky": _net() + "[connected]\noutput=7\nactivation=leaky\n",
    "avgpool": _net() + _conv() + "[avgpool]\n",
    "softmax": _net() + _conv(filters=10) + "[avgpool]\n[softmax]\ngroups=1\n",
    "connected-softmax": _net() + "[connected]\noutput=5\nactivation=linear\n[softmax]\n",
    "dropout": _net() + _conv() + "[dropout]\nprobability=.5\n" + _conv(filters=2),
}


def _opencv_parameter_count(cfg):
    """How many floats the layers of `cfg` read, as OpenCV counts them."""
    long_weights = cfg.with_suffix(".long")
    long_weights.write_bytes(HEADER + np.ones(1 << 16, np.float32).tobytes())
    net = cv2.dnn.readNetFromDarknet(str(cfg), str(long_weights))
    return sum(blob.size for name in net.getLayerNames() if net.getLayer(name).type != "Region"
               for blob in net.getLayer(name).blobs)


def _write_case(folder, text, seed=0):
    cfg = folder / "m.cfg"
    cfg.write_text(text)
    floats = np.random.default_rng(seed).uniform(0.05, 1, _opencv_parameter_count(cfg)).astype(np.float32)
    weights = folder / "m.weights"
    weights.write_bytes(HEADER + floats.tobytes())
    return cfg, weights, floats


def _kiln_outputs(run_kiln, folder, cfg, weights, x):
    """The model's outputs through onnxruntime (on Kiln's ONNX) and through `kiln run`."""
    model = _convert(run_kiln, cfg, weights, folder / "m.onnx")
    by_onnxruntime = _onnx_outputs(model, x)
    np.save(folder / "x.npy", x)
    rc, stdout, stderr = run_kiln("run", cfg, "--weights", weights, "--input", f"input={folder / 'x.npy'}",
                                  "--output-dir", folder / "kiln-run")
    assert rc == 0, stderr + stdout
    by_kiln_run = {name: np.load(folder / "kiln-run" / f"{name}.npy") for name in by_onnxruntime}
    return by_onnxruntime, by_kiln_run


def _input(text, seed=1):
    """A seeded standard-normal input of the size the cfg's [net] section gives."""
    net = dict(line.split("=") for line in text.split("[", 2)[1].splitlines()[1:] if "=" in line)
    shape = (1, int(net["channels"]), int(net["height"]), int(net["width"]))
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("case", sorted(LAYER_CASES))
def test_layer_matches_opencv(run_kiln, tmp_path, case):
    text = LAYER_CASES[case]
    cfg, weights, _ = _write_case(tmp_path, text)
    x = _input(text)
    (reference,) = _opencv(cfg, weights, x).values()
    by_onnxruntime, by_kiln_run = _kiln_outputs(run_kiln, tmp_path, cfg, weights, x)
    (kiln,) = by_onnxruntime.values()
    (run,) = by_kiln_run.values()
    assert _relative_error(kiln.reshape(reference.shape), reference) <= RTOL
    assert _relative_error(run.reshape(reference.shape), reference) <= RTOL


def test_connected_batchnorm_reads_darknet_order(run_kiln, tmp_path):
    """Darknet stores a connected layer's batch-norm parameters after its weights; OpenCV reads
    them before (as for a convolution), so OpenCV gets the same floats reordered."""
    inputs, outputs = 3 * 8 * 8, 6
    text = _net() + f"[connected]\nbatch_normalize=1\noutput={outputs}\nactivation=leaky\n"
    cfg, weights, floats = _write_case(tmp_path, text)
    biases, matrix, normalization = np.split(floats, [outputs, outputs + outputs * inputs])
    opencv_weights = tmp_path / "opencv.weights"
    opencv_weights.write_bytes(HEADER + np.concatenate([biases, normalization, matrix]).tobytes())
    x = _input(text)
    (reference,) = _opencv(cfg, opencv_weights, x).values()
    by_onnxruntime, by_kiln_run = _kiln_outputs(run_kiln, tmp_path, cfg, weights, x)
    for outputs_of in (by_onnxruntime, by_kiln_run):
        (kiln,) = outputs_of.values()
        assert _relative_error(kiln.reshape(reference.shape), reference) <= RTOL


def test_dilated_conv_matches_opencv_on_the_spread_kernel(run_kiln, tmp_path):
    """OpenCV ignores `dilation`; a dilation-2 3x3 kernel equals a 5x5 one with zeros between
    its taps and twice the padding, which OpenCV runs."""
    filters, channels = 4, 3
    text = _net(size=10) + _conv(bn=0, activation="linear", extra="dilation=2\n")
    cfg, weights, floats = _write_case(tmp_path, text)
    biases, kernel = floats[:filters], floats[filters:].reshape(filters, channels, 3, 3)
    spread = np.zeros((filters, channels, 5, 5), np.float32)
    spread[:, :, ::2, ::2] = kernel
    opencv_cfg = tmp_path / "spread.cfg"
    opencv_cfg.write_text(_net(size=10) + _conv(size=5, pad=0, bn=0, activation="linear", extra="padding=2\n"))
    opencv_weights = tmp_path / "spread.weights"
    opencv_weights.write_bytes(HEADER + np.concatenate([biases, spread.ravel()]).tobytes())
    x = _input(text)
    (reference,) = _opencv(opencv_cfg, opencv_weights, x).values()
    for outputs_of in _kiln_outputs(run_kiln, tmp_path, cfg, weights, x):
        (kiln,) = outputs_of.values()
        assert _relative_error(kiln, reference) <= RTOL


def test_yolo_layer_output_is_its_raw_input(run_kiln, tmp_path):
    classes, mask, anchors = 2, [1, 2], [2, 3, 4, 5, 6, 7]
    text = (_net(size=8) + _conv(filters=len(mask) * (5 + classes), bn=0, activation="linear")
            + f"[yolo]\nmask={','.join(map(str, mask))}\nanchors={','.join(map(str, anchors))}\n"
            + f"classes={classes}\nnum=3\n")
    cfg, weights, _ = _write_case(tmp_path, text)
    x = _input(text)
    reference = _opencv(cfg, weights, x, ["conv_0", "yolo_1"])
    by_onnxruntime, _ = _kiln_outputs(run_kiln, tmp_path, cfg, weights, x)
    assert list(by_onnxruntime) == ["yolo_1"]
    assert _relative_error(by_onnxruntime["yolo_1"], reference["conv_0"]) <= RTOL
    decoded = _decode(by_onnxruntime["yolo_1"], anchors, mask, classes, (8, 8))
    assert _relative_error(decoded, reference["yolo_1"]) <= RTOL


def test_unsupported_layers_are_listed_together(run_kiln, tmp_path):
    cfg = tmp_path / "m.cfg"
    cfg.write_text(_net() + _conv() + "[crop]\ncrop_width=4\n" + _conv(activation="elu")
                   + "[reorg]\nstride=2\n")
    weights = tmp_path / "m.weights"
    weights.write_bytes(HEADER)
    rc, stdout, stderr = run_kiln("convert", cfg, "--weights", weights, "-o", tmp_path / "m.onnx")
    assert rc == 2, stderr + stdout
    for needle in ("3 problems", "layer 1 [crop]", "layer 2 [convolutional]", "activation 'elu'", "layer 3 [reorg]"):
        assert needle in stderr, stderr
    assert not (tmp_path / "m.onnx").exists()


def test_weights_of_another_cfg_are_bad_input(run_kiln, tmp_path):
    cfg, weights, floats = _write_case(tmp_path, _net() + _conv())
    weights.write_bytes(HEADER + floats[:-1].tobytes())
    rc, _, stderr = run_kiln("convert", cfg, "--weights", weights, "-o", tmp_path / "m.onnx")
    assert rc == 2 and "conv_0" in stderr and "ends inside layer" in stderr, stderr
