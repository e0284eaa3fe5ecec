// Ops that move data between axes: each keeps channels-first where it can, by renumbering axes.

import Foundation
import KilnIR

extension TFLiteGraphBuilder {
  /// Where NHWC axis `axis` (negative counts from the end) is in NCHW.
  func channelsFirstAxis(_ axis: Int64) -> Int64 {
    [0, 2, 3, 1][Int((axis + 4) % 4)]
  }

  /// Whether the NHWC axes `kept` stay in the same order once numbered in NCHW: when they do,
  /// an op that drops the other axes gives the same result from either layout.
  private func keepsOrder(_ kept: [Int64]) -> Bool {
    let mapped = kept.map(channelsFirstAxis)
    return mapped == mapped.sorted()
  }

  /// The layout an op that renumbers axes works in: its input's, for a 4-D input.
  private func axisLayout(_ x: Int) throws -> TFLiteLayout {
    try rank(x) == 4 ? layout(x) : .native
  }

  /// `axes` (NHWC, may be negative) in `layout`, made non-negative; each checked to be an axis.
  private func axes(_ axes: [Int64], rank: Int, _ layout: TFLiteLayout) throws -> [Int64] {
    try axes.map { axis in
      guard axis >= -Int64(rank), axis < Int64(rank) else {
        throw KilnError.badInput("axis \(axis) is out of range for rank \(rank)")
      }
      let positive = axis < 0 ? axis + Int64(rank) : axis
      return layout == .channelsFirst ? channelsFirstAxis(positive) : positive
    }
  }

  /// RESHAPE: in TFLite's layout; the shape from the shape input, the options, or the output.
  func convertReshape(_ op: TFLiteOperator) throws {
    let (x, y) = (try input(op, 0), try output(op))
    var newShape = try op.options?.integers(0, as: Int32.self).map(Int64.init) ?? []
    if let shapeInput = optionalInput(op, 1), try isConstant(shapeInput) { newShape = try constantInts(shapeInput) }
    if newShape.isEmpty { newShape = try shape(y) }
    let name = name(of: op)
    try define(y, emit("Reshape", [try value(x), int64s(newShape, name: name + "_shape")], name: name), .native)
  }

  /// SQUEEZE of the listed axes, or of every axis of size 1 when none are listed.
  func convertSqueeze(_ op: TFLiteOperator) throws {
    let (x, y) = (try input(op, 0), try output(op))
    let inputShape = try shape(x)
    var squeezed = try op.options?.integers(0, as: Int32.self).map(Int64.init) ?? []
    if squeezed.isEmpty { squeezed = inputShape.indices.filter { inputShape[$0] == 1 }.map(Int64.init) }
    squeezed = try axes(squeezed, rank: inputShape.count, .native)
    let kept = inputShape.indices.map(Int64.init).filter { !squeezed.contains($0) }
    var layout = try axisLayout(x)
    if layout == .channelsFirst, !keepsOrder(kept) { layout = .native }
    let name = name(of: op)
    let result = emit(
      "Squeeze", [try value(x, layout), int64s(try axes(squeezed, rank: inputShape.count, layout), name: name + "_axes")], name: name)
    try define(y, result, kept.count == 4 ? layout : .native)
  }

  /// CONCATENATION along `axis` (option 0), with a fused activation (option 1).
  func convertConcatenation(_ op: TFLiteOperator) throws {
    let operands = op.inputs.filter { $0 >= 0 }
    guard let first = operands.first else { throw KilnError.badInput("no inputs") }
    let rank = try rank(first)
    let layout = rank == 4 ? try sharedLayout(operands) : .native
    let axis = try axes([Int64(try option(op, 0, default: Int32(0)))], rank: rank, layout)[0]
    let name = name(of: op)
    let concat = emit("Concat", try operands.map { try value($0, layout) }, [Attribute("axis", .int(axis))], name: name)
    try define(try output(op), try activation(try option(op, 1, default: Int8(0)), on: concat, name: name), layout)
  }

  /// PAD and PADV2: paddings [rank, 2] (before, after per axis); PADV2's value as input 2.
  func convertPad(_ op: TFLiteOperator) throws {
    let (x, y) = (try input(op, 0), try output(op))
    let rank = try rank(x)
    let paddings = try constantInts(try input(op, 1))
    guard paddings.count == 2 * rank else { throw KilnError.badInput("paddings must be [\(rank), 2]") }
    // A PAD of a graph input pads channels-first: its Transpose then sits at the edge, and the
    // Pad beside the convolution it usually feeds, which the default pipeline folds into it.
    let layout = rank == 4 && subgraph.inputs.contains(x) ? .channelsFirst : try axisLayout(x)
    let order = layout == .channelsFirst ? [0, 3, 1, 2] : Array(0..<rank)
    let pads = order.map { paddings[2 * $0] } + order.map { paddings[2 * $0 + 1] }
    let name = name(of: op)
    var inputs: [Value?] = [try value(x, layout), int64s(pads, name: name + "_pads")]
    if let padValue = optionalInput(op, 2) {
      inputs.append(floatScalar(try constantFloats(padValue).first ?? 0, name: name + "_value"))
    }
    try define(y, emit("Pad", inputs, name: name), layout)
  }

  /// MEAN over constant axes, keeping the reduced axes when keep_dims (option 0) is set.
  func convertMean(_ op: TFLiteOperator) throws {
    let (x, y) = (try input(op, 0), try output(op))
    let rank = try rank(x)
    let keepDims = try op.options?.bool(0) ?? false
    let reduced = try axes(try constantInts(try input(op, 1)), rank: rank, .native)
    let kept = (0..<Int64(rank)).filter { !reduced.contains($0) }
    var layout = try axisLayout(x)
    if layout == .channelsFirst, !keepDims, !keepsOrder(kept) { layout = .native }
    let name = name(of: op)
    let mean = emit(
      "ReduceMean", [try value(x, layout)],
      [Attribute("axes", .ints(try axes(reduced, rank: rank, layout))), Attribute("keepdims", .int(keepDims ? 1 : 0))],
      name: name)
    try define(y, mean, keepDims ? layout : .native)
  }

  /// SLICE: constant begin and size (-1 = to the end) per axis.
  func convertSlice(_ op: TFLiteOperator) throws {
    let x = try input(op, 0)
    let begin = try constantInts(try input(op, 1))
    let size = try constantInts(try input(op, 2))
    guard begin.count == size.count else { throw KilnError.badInput("begin and size differ in length") }
    let end = zip(begin, size).map { $1 < 0 ? Int64.max : $0 &+ $1 }
    try emitSlice(op, x: x, starts: begin, ends: end, steps: Array(repeating: 1, count: begin.count), squeezed: [])
  }

  /// STRIDED_SLICE with begin_mask, end_mask, shrink_axis_mask and offset; the shrunk axes are
  /// squeezed away afterwards.
  func convertStridedSlice(_ op: TFLiteOperator) throws {
    let x = try input(op, 0)
    var starts = try constantInts(try input(op, 1))
    var ends = try constantInts(try input(op, 2))
    let steps = try constantInts(try input(op, 3))
    guard starts.count == ends.count, ends.count == steps.count, steps.allSatisfy({ $0 != 0 }) else {
      throw KilnError.badInput("begin, end and strides must have one non-zero stride per axis")
    }
    let (beginMask, endMask) = (try option(op, 0, default: Int32(0)), try option(op, 1, default: Int32(0)))
    let shrinkMask = try option(op, 4, default: Int32(0))
    let offset = try op.options?.bool(5) ?? false
    var squeezed: [Int64] = []
    for axis in starts.indices {
      let bit = Int32(1) << axis
      if offset { ends[axis] = ends[axis] &+ starts[axis] }
      if beginMask & bit != 0 { starts[axis] = steps[axis] > 0 ? 0 : Int64.max }
      if endMask & bit != 0 { ends[axis] = steps[axis] > 0 ? Int64.max : Int64.min }
      if shrinkMask & bit != 0 {
        ends[axis] = starts[axis] == -1 ? Int64.max : starts[axis] &+ 1
        squeezed.append(Int64(axis))
      }
    }
    try emitSlice(op, x: x, starts: starts, ends: ends, steps: steps, squeezed: squeezed)
  }

  /// Slice (then Squeeze of `squeezed`) in the input's layout when no axis is squeezed.
  private func emitSlice(
    _ op: TFLiteOperator, x: Int, starts: [Int64], ends: [Int64], steps: [Int64], squeezed: [Int64]
  ) throws {
    let rank = try rank(x)
    guard starts.count == rank else { throw KilnError.badInput("begin has \(starts.count) values for rank \(rank)") }
    let layout = squeezed.isEmpty ? try axisLayout(x) : .native
    let name = name(of: op)
    let sliceAxes = try axes((0..<Int64(rank)).map { $0 }, rank: rank, layout)
    var result = emit(
      "Slice",
      [
        try value(x, layout), int64s(starts, name: name + "_starts"), int64s(ends, name: name + "_ends"),
        int64s(sliceAxes, name: name + "_axes"), int64s(steps, name: name + "_steps"),
      ], name: name)
    if !squeezed.isEmpty { result = emit("Squeeze", [result, int64s(squeezed, name: name + "_squeezed")], name: name + "_squeeze") }
    try define(try output(op), result, layout)
  }

  /// SPLIT into equal parts along a constant axis (input 0; the data is input 1).
  func convertSplit(_ op: TFLiteOperator) throws {
    let x = try input(op, 1)
    guard let axis = try constantInts(try input(op, 0)).first else { throw KilnError.badInput("the axis tensor is empty") }
    let layout = try axisLayout(x)
    let outputs = op.outputs.filter { $0 >= 0 }
    let parts = emitNode(
      "Split", [try value(x, layout)], [Attribute("axis", .int(try axes([axis], rank: try rank(x), layout)[0]))],
      outputs: outputs.count, name: name(of: op))
    for (index, part) in zip(outputs, parts) { try define(index, part, layout) }
  }

  /// TRANSPOSE by a constant permutation, composed with NCHW → NHWC for a channels-first input.
  func convertTranspose(_ op: TFLiteOperator) throws {
    let (x, y) = (try input(op, 0), try output(op))
    let rank = try rank(x)
    let perm = try axes(try constantInts(try input(op, 1)), rank: rank, .native)
    guard Set(perm).count == rank, perm.count == rank else { throw KilnError.badInput("\(perm) is not a permutation of \(rank) axes") }
    let layout = try axisLayout(x)
    let composed = layout == .channelsFirst ? perm.map(channelsFirstAxis) : perm
    let name = name(of: op)
    try define(y, emit("Transpose", [try value(x, layout)], [Attribute("perm", .ints(composed))], name: name), .native)
  }

  /// GATHER along `axis` (option 0); channels-first kept when one index axis replaces one axis.
  func convertGather(_ op: TFLiteOperator) throws {
    let (x, indices, y) = (try input(op, 0), try input(op, 1), try output(op))
    let rank = try rank(x)
    var layout = try axisLayout(x)
    if try self.rank(indices) != 1 { layout = .native }
    let axis = try axes([Int64(try option(op, 0, default: Int32(0)))], rank: rank, layout)[0]
    let name = name(of: op)
    let gather = emit("Gather", [try value(x, layout), try value(indices)], [Attribute("axis", .int(axis))], name: name)
    try define(y, gather, layout)
  }

  /// DEPTH_TO_SPACE: TensorFlow's channel order is ONNX's DCR mode.
  func convertDepthToSpace(_ op: TFLiteOperator) throws {
    let blockSize = Int64(try option(op, 0, default: Int32(0)))
    guard blockSize > 1 else { throw KilnError.badInput("block_size must be above 1, not \(blockSize)") }
    let result = emit(
      "DepthToSpace", [try value(try input(op, 0), .channelsFirst)],
      [Attribute("blocksize", .int(blockSize)), Attribute("mode", .string(Data("DCR".utf8)))], name: name(of: op))
    try define(try output(op), result, .channelsFirst)
  }

  /// RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR to a constant [height, width], with
  /// align_corners and half_pixel_centers mapped to ONNX's coordinate modes.
  func convertResize(_ op: TFLiteOperator, _ builtin: TFLiteBuiltin) throws {
    let x = try input(op, 0)
    let size = try constantInts(try input(op, 1))
    let inputShape = try shape(x)
    guard size.count == 2, inputShape.count == 4 else { throw KilnError.badInput("needs a 4-D input and a [height, width] size") }
    let bilinear = builtin == .resizeBilinear
    let alignCorners = try op.options?.bool(bilinear ? 2 : 0) ?? false
    let halfPixel = try op.options?.bool(bilinear ? 3 : 1) ?? false
    let mode =
      alignCorners ? "align_corners" : halfPixel ? (bilinear ? "half_pixel" : "tf_half_pixel_for_nn") : "asymmetric"
    var attributes = [
      Attribute("mode", .string(Data((bilinear ? "linear" : "nearest").utf8))),
      Attribute("coordinate_transformation_mode", .string(Data(mode.utf8))),
    ]
    if !bilinear {
      attributes.append(Attribute("nearest_mode", .string(Data((alignCorners ? "round_prefer_ceil" : "floor").utf8))))
    }
    let name = name(of: op)
    let sizes = int64s([inputShape[0], inputShape[3]] + size, name: name + "_sizes")
    let result = emit("Resize", [try value(x, .channelsFirst), nil, nil, sizes], attributes, name: name)
    try define(try output(op), result, .channelsFirst)
  }
}
