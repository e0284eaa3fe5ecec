"""Generates the CNNs the runtime benchmark runs: a ResNet-18-like and a MobileNetV2-like model.

Weights are random (seeded); batch 1, 3x224x224 input, opset 17. Only the architecture matters
for latency: the layer shapes follow the published networks.
"""

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class Builder:
    """Accumulates nodes and initializers with unique names."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits, self.count = [], [], 0

    def name(self, prefix):
        self.count += 1
        return f"{prefix}{self.count}"

    def weight(self, shape, scale):
        name = self.name("w")
        data = (self.rng.standard_normal(shape) * scale).astype(np.float32)
        self.inits.append(numpy_helper.from_array(data, name))
        return name

    def conv(self, x, cin, cout, k, stride=1, groups=1, relu=True, relu6=False):
        w = self.weight((cout, cin // groups, k, k), (2.0 / (cin // groups * k * k)) ** 0.5)
        b = self.weight((cout,), 0.01)
        y = self.name("conv")
        self.nodes.append(helper.make_node(
            "Conv", [x, w, b], [y], kernel_shape=[k, k], strides=[stride, stride],
            pads=[k // 2] * 4, group=groups))
        if relu6:
            lo, hi = self.name("lo"), self.name("hi")
            self.inits.append(numpy_helper.from_array(np.array(0, np.float32), lo))
            self.inits.append(numpy_helper.from_array(np.array(6, np.float32), hi))
            z = self.name("clip")
            self.nodes.append(helper.make_node("Clip", [y, lo, hi], [z]))
            return z
        if relu:
            z = self.name("relu")
            self.nodes.append(helper.make_node("Relu", [y], [z]))
            return z
        return y

    def add(self, a, b, relu=False):
        y = self.name("add")
        self.nodes.append(helper.make_node("Add", [a, b], [y]))
        if not relu:
            return y
        z = self.name("relu")
        self.nodes.append(helper.make_node("Relu", [y], [z]))
        return z

    def head(self, x, channels, classes=1000):
        pooled, flat, logits = self.name("gap"), self.name("flat"), "logits"
        self.nodes.append(helper.make_node("GlobalAveragePool", [x], [pooled]))
        self.nodes.append(helper.make_node("Flatten", [pooled], [flat]))
        w = self.weight((classes, channels), (1.0 / channels) ** 0.5)
        b = self.weight((classes,), 0.01)
        self.nodes.append(helper.make_node("Gemm", [flat, w, b], [logits], transB=1))
        return logits

    def model(self, name):
        graph = helper.make_graph(
            self.nodes, name,
            [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 224, 224])],
            [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 1000])],
            self.inits)
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def resnet18():
    b = Builder(18)
    x = b.conv("image", 3, 64, 7, stride=2)
    pooled = b.name("pool")
    b.nodes.append(helper.make_node(
        "MaxPool", [x], [pooled], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]))
    x, cin = pooled, 64
    for cout, stride in [(64, 1), (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1)]:
        y = b.conv(x, cin, cout, 3, stride)
        y = b.conv(y, cout, cout, 3, relu=False)
        shortcut = x if stride == 1 and cin == cout else b.conv(x, cin, cout, 1, stride, relu=False)
        x, cin = b.add(y, shortcut, relu=True), cout
    b.head(x, 512)
    return b.model("resnet18_like")


def mobilenet_v2():
    b = Builder(2)
    x, cin = b.conv("image", 3, 32, 3, stride=2, relu6=True), 32
    settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                (6, 160, 3, 2), (6, 320, 1, 1)]
    for expand, cout, repeats, first_stride in settings:
        for i in range(repeats):
            stride = first_stride if i == 0 else 1
            hidden = cin * expand
            y = b.conv(x, cin, hidden, 1, relu6=True) if expand != 1 else x
            y = b.conv(y, hidden, hidden, 3, stride, groups=hidden, relu6=True)
            y = b.conv(y, hidden, cout, 1, relu=False)
            x = b.add(x, y) if stride == 1 and cin == cout else y
            cin = cout
    x = b.conv(x, cin, 1280, 1, relu6=True)
    b.head(x, 1280)
    return b.model("mobilenetv2_like")


def write_models(folder):
    """Writes both models into `folder` and returns their paths."""
    paths = []
    for make in (resnet18, mobilenet_v2):
        model = make()
        path = f"{folder}/{model.graph.name}.onnx"
        onnx.save(model, path)
        paths.append(path)
    return paths
