"""Builds small .tflite models for the frontend's oracle tests, with the TFLite schema's own
Python classes (ai_edge_litert/schema_py_generated.py, object API) and the flatbuffers builder.

    b = TFLiteModelBuilder()
    x = b.input([1, 8, 8, 4])
    y = b.op("RELU", [x])
    data = b.build([x], [y])
"""

import flatbuffers
import numpy as np
from ai_edge_litert import schema_py_generated as s

TYPES = {np.float32: s.TensorType.FLOAT32, np.float16: s.TensorType.FLOAT16, np.int32: s.TensorType.INT32,
         np.int8: s.TensorType.INT8, np.uint8: s.TensorType.UINT8, np.int64: s.TensorType.INT64}

# The options table class of each operator: (BuiltinOptions type name, class prefix).
OPTIONS = {
    "CONV_2D": "Conv2DOptions", "DEPTHWISE_CONV_2D": "DepthwiseConv2DOptions", "TRANSPOSE_CONV": "TransposeConvOptions",
    "FULLY_CONNECTED": "FullyConnectedOptions", "MAX_POOL_2D": "Pool2DOptions", "AVERAGE_POOL_2D": "Pool2DOptions",
    "ADD": "AddOptions", "SUB": "SubOptions", "MUL": "MulOptions", "DIV": "DivOptions",
    "CONCATENATION": "ConcatenationOptions", "RESHAPE": "ReshapeOptions", "SOFTMAX": "SoftmaxOptions",
    "SQUEEZE": "SqueezeOptions", "RESIZE_BILINEAR": "ResizeBilinearOptions",
    "RESIZE_NEAREST_NEIGHBOR": "ResizeNearestNeighborOptions", "STRIDED_SLICE": "StridedSliceOptions",
    "SPLIT": "SplitOptions", "GATHER": "GatherOptions", "MEAN": "ReducerOptions", "DEPTH_TO_SPACE": "DepthToSpaceOptions",
    "PAD": "PadOptions", "PADV2": "PadV2Options", "SLICE": "SliceOptions", "TRANSPOSE": "TransposeOptions",
    "HARD_SWISH": "HardSwishOptions", "QUANTIZE": "QuantizeOptions", "DEQUANTIZE": "DequantizeOptions",
}


def index_vector(values):
    """`values` as the narrowest SparseIndexVector union: (type, table)."""
    for limit, kind in ((255, "Uint8Vector"), (65535, "Uint16Vector"), (2**31 - 1, "Int32Vector")):
        if max(values, default=0) <= limit:
            table = getattr(s, kind + "T")()
            table.values = list(values)
            return getattr(s.SparseIndexVector, kind), table


class TFLiteModelBuilder:
    """One subgraph built tensor by tensor and op by op; `build` returns the file's bytes."""

    def __init__(self):
        self.tensors, self.buffers, self.ops, self.codes = [], [s.BufferT()], [], []

    def tensor(self, shape, dtype=np.float32, data=None, quant=None, name=None):
        """Adds a tensor (a constant when `data` is given); quant = (scales, zero_points, axis)."""
        t = s.TensorT()
        t.shape = list(shape)
        t.type = TYPES[np.dtype(dtype).type]
        t.name = (name or f"t{len(self.tensors)}").encode()
        if data is not None:
            buffer = s.BufferT()
            buffer.data = list(np.ascontiguousarray(np.asarray(data, dtype=dtype)).tobytes())
            self.buffers.append(buffer)
            t.buffer = len(self.buffers) - 1
        if quant is not None:
            q = s.QuantizationParametersT()
            q.scale, q.zeroPoint, q.quantizedDimension = list(quant[0]), list(quant[1]), quant[2]
            t.quantization = q
        self.tensors.append(t)
        return len(self.tensors) - 1

    def input(self, shape, dtype=np.float32, quant=None):
        return self.tensor(shape, dtype, quant=quant, name=f"input{len(self.tensors)}")

    def const(self, data, dtype=np.float32, quant=None):
        data = np.asarray(data, dtype=dtype)
        return self.tensor(data.shape, dtype, data, quant)

    def sparse_const(self, data, dtype=np.float32, formats=None, blocks=None):
        """Adds a sparse constant stored as TFLite's converter stores one: each dim in `blocks`
        ({dim: size}) split into (dim / size, size) with the block dims appended, traversed in
        order; level formats `formats` (s.DimensionType, one per expanded dim; block dims must be
        DENSE; default: DENSE, then SPARSE_CSR for the last tensor dim) keep, per position, the
        indices whose sub-block holds a non-zero. Index vectors are the narrowest union type."""
        data = np.asarray(data, dtype=dtype)
        blocks = blocks or {}
        rank = data.ndim
        formats = formats or [s.DimensionType.DENSE] * (rank - 1) + [s.DimensionType.SPARSE_CSR] + \
            [s.DimensionType.DENSE] * len(blocks)
        expanded = data
        for dim in sorted(blocks):  # split dim into (outer, inner) and move inner to the end
            shape = list(expanded.shape)
            shape[dim:dim + 1] = [shape[dim] // blocks[dim], blocks[dim]]
            expanded = np.moveaxis(expanded.reshape(shape), dim + 1, -1)
        positions, levels = [expanded], []
        for fmt in formats:
            level = s.DimensionMetadataT()
            level.format = fmt
            if fmt == s.DimensionType.DENSE:
                level.denseSize = positions[0].shape[0]
                positions = [p[i] for p in positions for i in range(p.shape[0])]
            else:
                segments, indices, kept = [0], [], []
                for p in positions:
                    for i in range(p.shape[0]):
                        if np.any(p[i] != 0):
                            indices.append(i)
                            kept.append(p[i])
                    segments.append(len(indices))
                positions = kept
                level.arraySegmentsType, level.arraySegments = index_vector(segments)
                level.arrayIndicesType, level.arrayIndices = index_vector(indices)
            levels.append(level)
        sparsity = s.SparsityParametersT()
        sparsity.traversalOrder = list(range(rank + len(blocks)))
        sparsity.blockMap = sorted(blocks)
        sparsity.dimMetadata = levels
        index = self.tensor(data.shape, dtype, np.array(positions, dtype=dtype))
        self.tensors[index].sparsity = sparsity
        return index

    def op(self, name, inputs, shape=None, outputs=None, dtype=np.float32, quant=None, **options):
        """Adds operator `name` with options given as keyword arguments (schema field names in
        camelCase, e.g. padding=, strideW=); returns its output tensor (a new one of `shape`)."""
        code = getattr(s.BuiltinOperator, name)
        if code not in self.codes:
            self.codes.append(code)
        op = s.OperatorT()
        op.opcodeIndex = self.codes.index(code)
        op.inputs = list(inputs)
        if outputs is None:
            outputs = [self.tensor(shape, dtype, quant=quant)]
        op.outputs = list(outputs)
        if name in OPTIONS:
            table = getattr(s, OPTIONS[name] + "T")()
            for key, value in options.items():
                setattr(table, key, value)
            op.builtinOptionsType = getattr(s.BuiltinOptions, OPTIONS[name])
            op.builtinOptions = table
        self.ops.append(op)
        return outputs[0] if len(outputs) == 1 else outputs

    def build(self, inputs, outputs):
        graph = s.SubGraphT()
        graph.tensors, graph.inputs, graph.outputs, graph.operators = self.tensors, list(inputs), list(outputs), self.ops
        model = s.ModelT()
        model.version = 3
        model.subgraphs = [graph]
        model.buffers = self.buffers
        model.operatorCodes = []
        for code in self.codes:
            oc = s.OperatorCodeT()
            oc.builtinCode, oc.deprecatedBuiltinCode, oc.version = code, min(code, 127), 1
            model.operatorCodes.append(oc)
        builder = flatbuffers.Builder(1024)
        builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
        return bytes(builder.Output())
