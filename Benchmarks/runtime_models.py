"""Generates the CNNs the benchmarks run: a ResNet-18-like and a MobileNetV2-like model.

Weights are random (seeded); batch 1, 3x224x224 input, opset 17. Only the architecture matters
for latency: the layer shapes follow the published networks. Options make the variants other
tools use: `batchnorm=True` puts an inference BatchNormalization after every Conv (as PyTorch
exports them, the Conv then has no bias), `size` sets the input's height and width, `width`
scales every channel count and `classes` the head, so that tests get small models.
"""

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class Builder:
    """Accumulates nodes and initializers with unique names."""

    def __init__(self, seed, batchnorm=False, size=224, width=1.0, classes=1000):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits, self.count = [], [], 0
        self.batchnorm, self.size, self.width, self.classes = batchnorm, size, width, classes

    def channels(self, count):
        """`count` scaled by the width multiplier (at least 4)."""
        return count if self.width == 1.0 else max(4, int(count * self.width))

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
        inputs = [x, w] if self.batchnorm else [x, w, self.weight((cout,), 0.01)]
        y = self.name("conv")
        self.nodes.append(helper.make_node(
            "Conv", inputs, [y], kernel_shape=[k, k], strides=[stride, stride],
            pads=[k // 2] * 4, group=groups))
        if self.batchnorm:
            y = self.batch_norm(y, cout)
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

    def tensor(self, prefix, data):
        name = self.name(prefix)
        self.inits.append(numpy_helper.from_array(np.asarray(data, np.float32), name))
        return name

    def batch_norm(self, x, channels):
        """An inference BatchNormalization with random statistics (variance in [0.5, 1.5))."""
        normal = self.rng.standard_normal
        params = [self.tensor("gamma", 1 + 0.2 * normal(channels)),
                  self.tensor("beta", 0.1 * normal(channels)),
                  self.tensor("mean", 0.1 * normal(channels)),
                  self.tensor("var", 0.5 + self.rng.random(channels))]
        y = self.name("bn")
        self.nodes.append(helper.make_node("BatchNormalization", [x, *params], [y], epsilon=1e-5))
        return y

    def add(self, a, b, relu=False):
        y = self.name("add")
        self.nodes.append(helper.make_node("Add", [a, b], [y]))
        if not relu:
            return y
        z = self.name("relu")
        self.nodes.append(helper.make_node("Relu", [y], [z]))
        return z

    def head(self, x, channels):
        classes = self.classes
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
            [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, self.size, self.size])],
            [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, self.classes])],
            self.inits)
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def resnet18(name="resnet18_like", **options):
    """ResNet-18's layers; `options` go to Builder (batchnorm, size, width, classes)."""
    b = Builder(18, **options)
    c = b.channels
    x = b.conv("image", 3, c(64), 7, stride=2)
    pooled = b.name("pool")
    b.nodes.append(helper.make_node(
        "MaxPool", [x], [pooled], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]))
    x, cin = pooled, c(64)
    for cout, stride in [(64, 1), (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1)]:
        cout = c(cout)
        y = b.conv(x, cin, cout, 3, stride)
        y = b.conv(y, cout, cout, 3, relu=False)
        shortcut = x if stride == 1 and cin == cout else b.conv(x, cin, cout, 1, stride, relu=False)
        x, cin = b.add(y, shortcut, relu=True), cout
    b.head(x, cin)
    return b.model(name)


def mobilenet_v2(name="mobilenetv2_like", **options):
    """MobileNetV2's layers; `options` go to Builder (batchnorm, size, width, classes)."""
    b = Builder(2, **options)
    c = b.channels
    x, cin = b.conv("image", 3, c(32), 3, stride=2, relu6=True), c(32)
    settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                (6, 160, 3, 2), (6, 320, 1, 1)]
    for expand, cout, repeats, first_stride in settings:
        cout = c(cout)
        for i in range(repeats):
            stride = first_stride if i == 0 else 1
            hidden = cin * expand
            y = b.conv(x, cin, hidden, 1, relu6=True) if expand != 1 else x
            y = b.conv(y, hidden, hidden, 3, stride, groups=hidden, relu6=True)
            y = b.conv(y, hidden, cout, 1, relu=False)
            x = b.add(x, y) if stride == 1 and cin == cout else y
            cin = cout
    x = b.conv(x, cin, c(1280), 1, relu6=True)
    b.head(x, c(1280))
    return b.model(name)


def write_models(folder, **options):
    """Writes both models into `folder` and returns their paths; `options` go to Builder."""
    paths = []
    for make in (resnet18, mobilenet_v2):
        model = make(**options)
        path = f"{folder}/{model.graph.name}.onnx"
        onnx.save(model, path)
        paths.append(path)
    return paths
