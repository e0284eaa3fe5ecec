// ncnn layers that move data or change shapes: Reshape, Flatten, Permute, PixelShuffle, Softmax, Slice,
// Crop, Padding and Interp. ncnn blobs have no batch axis: shapes and axes drop ONNX's first.

import KilnIR

extension NCNNMapping {
  static let layoutMappings: [NCNNMapping] = [
    NCNNMapping("Reshape", ["static result shape with batch 1", "at most 4 dims besides the batch"], layer: reshape),
    NCNNMapping("Flatten", ["axis 0 or 1"], layer: flatten),
    NCNNMapping("Transpose", ["batch axis stays first", "3-D or 4-D"], layer: permute),
    NCNNMapping("DepthToSpace", ["4-D", "mode DCR or CRD"], layer: pixelShuffle),
    NCNNMapping("Softmax", ["not along the batch axis", "before opset 13: the last axis"], layer: softmax),
    NCNNMapping("Split", ["not along the batch axis"], layer: split),
    NCNNMapping("Slice", ["constant starts, ends and axes", "steps of 1", "static input shape"], layer: crop),
    NCNNMapping("Pad", ["constant, edge or reflect mode", "3-D or 4-D", "no batch or negative pads"], layer: padding),
    NCNNMapping("Resize", resizeConstraints, layer: interp),
    NCNNMapping("Upsample", resizeConstraints, layer: interp),
  ]

  private static let resizeConstraints = [
    "4-D, spatial axes only, static result shape",
    "nearest (asymmetric) or linear (half_pixel, pytorch_half_pixel, align_corners)",
  ]

  /// ncnn's shape params for `dims` without the batch axis: 0=w 1=h 11=d 2=c.
  static func shapeParams(_ dims: [Int]) -> [NCNNParam] {
    let ids = [[0], [1, 0], [2, 1, 0], [2, 11, 1, 0]][dims.count - 1]
    return zip(ids, dims).map { NCNNParam.int($0, $1) }.sorted { order($0.id) < order($1.id) }
  }

  private static func order(_ id: Int) -> Int { [0: 0, 1: 1, 11: 2, 2: 3][id] ?? id }

  /// `dims` less the batch axis, which must be 1, with 1 to 4 dims left.
  static func droppingBatch(_ dims: [Int], of value: Value) throws(TargetRefusal) -> [Int] {
    guard dims.count >= 2, dims[0] == 1 else {
      throw TargetRefusal("'\(value.name)' has shape \(dims); ncnn needs a batch axis of 1 first")
    }
    guard dims.count <= 5 else { throw TargetRefusal("'\(value.name)' has more than 4 dims besides the batch") }
    return Array(dims.dropFirst())
  }

  /// Reshape → Reshape with the result's static shape (so 0 and -1 are already resolved).
  @Sendable static func reshape(_ node: Node) throws(TargetRefusal) -> NCNNLayer {
    let output = try node.singleOutput()
    let dims = try droppingBatch(try output.ncnnDims(), of: output)
    return NCNNLayer("Reshape", inputs: [try node.targetInput(0)], outputs: [output], params: shapeParams(dims))
  }

  /// Flatten to [1, N] → Flatten.
  @Sendable static func flatten(_ node: Node) throws(TargetRefusal) -> NCNNLayer {
    guard [0, 1].contains(node.int("axis", default: 1)) else { throw TargetRefusal("only axis 0 or 1 is supported") }
    return try unary("Flatten")(node)
  }

  /// Transpose keeping the batch axis first → Permute with 0=order_type: for 4-D, the
  /// orders (1,2,3) (1,3,2) (2,1,3) (2,3,1) (3,1,2) (3,2,1) are types 0 to 5; for 3-D,
  /// (1,2) and (2,1) are 0 and 1.
  @Sendable static func permute(_ node: Node) throws(TargetRefusal) -> NCNNLayer {
    let perm = node.ints("perm", default: [])
    let orders: [[Int]] =
      perm.count == 4
      ? [[0, 1, 2, 3], [0, 1, 3, 2], [0, 2, 1, 3], [0, 2, 3, 1], [0, 3, 1, 2], [0, 3, 2, 1]]
      : [[0, 1, 2], [0, 2, 1]]
    guard let order = orders.firstIndex(of: perm) else {
      throw TargetRefusal("perm \(perm) is not supported: it must keep the batch axis first, on 3-D or 4-D data")
    }
    return try unary("Permute", [.int(0, order)])(node)
  }

  /// 4-D DepthToSpace → PixelShuffle with 0=upscale_factor 1=mode (0 reads input channel
  /// c·r² + i·r + j for output channel c at offset (i, j), ONNX's CRD; 1 reads (i·r + j)·C + c,
  /// ONNX's DCR).
  @Sendable static func pixelShuffle(_ node: Node) throws(TargetRefusal) -> NCNNLayer {
    guard try node.targetInput(0).ncnnDims().count == 4 else { throw TargetRefusal("only 4-D inputs are supported") }
    let modes = ["CRD": 0, "DCR": 1]
    guard let mode = modes[node.string("mode") ?? "DCR"] else {
      throw TargetRefusal("mode \(node.string("mode") ?? "") is not DCR or CRD")
    }
    return try unary("PixelShuffle", [.int(0, Int(node.int("blocksize", default: 1))), .int(1, mode)])(node)
  }

  /// Softmax → Softmax with 0=axis 1=1 (ncnn's flag for the axis numbering without batch).
  /// Before opset 13 Softmax flattens from its axis; the target refuses such models unless
  /// the axis is the last (see `NCNNTarget.modelProblems`), where both rules agree.
  @Sendable static func softmax(_ node: Node) throws(TargetRefusal) -> NCNNLayer {
    let input = try node.targetInput(0)
    return try unary("Softmax", [.int(0, try input.ncnnAxis(Int(node.int("axis", default: -1)))), .int(1, 1)])(node)
  }

  /// Split → Slice with -23300=slices (each output's size on the axis; -233 for an equal
  /// share when the shapes are unknown) 1=axis.
  @Sendable static func split(_ node: Node) throws(TargetRefusal) -> NCNNLayer {
    let input = try node.targetInput(0)
    let axis = Int(node.int("axis", default: 0))
    let ncnnAxis = try input.ncnnAxis(axis)
    let outputs = node.outputs.compactMap { $0 }
    guard outputs.count == node.outputs.count else { throw TargetRefusal("every output must be named") }
    let sizes = outputs.map { output in
      output.staticDims.flatMap { $0.count > ncnnAxis + 1 ? $0[ncnnAxis + 1] : nil } ?? -233
    }
    return NCNNLayer("Slice", inputs: [input], outputs: outputs, params: [.ints(0, sizes), .int(1, ncnnAxis)])
  }

  /// Slice with steps of 1 → Crop with -23309=starts -23310=ends -23311=axes, clamped to
  /// the input's static shape.
  @Sendable static func crop(_ node: Node) throws(TargetRefusal) -> NCNNLayer {
    let input = try node.targetInput(0)
    let dims = try input.ncnnDims()
    let starts = try node.optionalInts(1, "starts") ?? node.ints("starts", default: [])
    let ends = try node.optionalInts(2, "ends") ?? node.ints("ends", default: [])
    let axes = try node.optionalInts(3, "axes") ?? node.ints("axes", default: Array(0..<starts.count))
    let steps = try node.optionalInts(4, "steps") ?? Array(repeating: 1, count: starts.count)
    guard starts.count == ends.count, axes.count == starts.count, steps.allSatisfy({ $0 == 1 }) else {
      throw TargetRefusal("starts, ends and axes must match and steps must be 1")
    }
    var ranges: [(axis: Int, start: Int, end: Int)] = []
    for (index, axis) in axes.enumerated() {
      let normalized = axis < 0 ? axis + dims.count : axis
      guard (0..<dims.count).contains(normalized) else { throw TargetRefusal("axis \(axis) is out of range") }
      let size = dims[normalized]
      let clamp = { (bound: Int) in min(max(bound < 0 ? bound + size : bound, 0), size) }
      let (start, end) = (clamp(starts[index]), clamp(ends[index]))
      if normalized == 0 {
        guard start == 0, end >= 1 else { throw TargetRefusal("slicing the batch axis is not supported") }
        continue
      }
      ranges.append((normalized - 1, start, end))
    }
    return NCNNLayer(
      "Crop", inputs: [input], outputs: [try node.singleOutput()],
      params: [.ints(9, ranges.map(\.start)), .ints(10, ranges.map(\.end)), .ints(11, ranges.map(\.axis))])
  }

  /// Pad → Padding with 0=top 1=bottom 2=left 3=right 4=type(0 constant, 1 edge, 2 reflect)
  /// 5=value 7=front 8=behind (the channel axis).
  @Sendable static func padding(_ node: Node) throws(TargetRefusal) -> NCNNLayer {
    let input = try node.targetInput(0)
    guard let rank = input.rank, rank == 3 || rank == 4 else { throw TargetRefusal("only 3-D and 4-D inputs are supported") }
    let modes = ["constant": 0, "edge": 1, "reflect": 2]
    guard let mode = modes[node.string("mode") ?? "constant"] else { throw TargetRefusal("mode \(node.string("mode") ?? "") is not supported") }
    guard node.inputs.count < 4 || node.inputs[3] == nil else { throw TargetRefusal("the axes input is not supported") }
    let pads = try node.optionalInts(1, "pads") ?? node.ints("pads", default: [])
    guard pads.count == 2 * rank, pads.allSatisfy({ $0 >= 0 }), pads[0] == 0, pads[rank] == 0 else {
      throw TargetRefusal("pads must be \(2 * rank) values, none negative, none on the batch axis")
    }
    let value = try node.optionalFloats(2, "the constant value")?.first ?? node.float("value", default: 0)
    let (begin, end) = (Array(pads[..<rank].reversed()), Array(pads[rank...].reversed()))  // w, h, (c)
    var params: [NCNNParam] = [
      .int(0, begin[1]), .int(1, end[1]), .int(2, begin[0]), .int(3, end[0]), .int(4, mode), .float(5, value),
    ]
    if rank == 4 { params += [.int(7, begin[2]), .int(8, end[2])] }
    return NCNNLayer("Padding", inputs: [input], outputs: [try node.singleOutput()], params: params)
  }

  /// Resize and Upsample on the two spatial axes → Interp with 0=resize_type(1 nearest,
  /// 2 bilinear) 3=output_height 4=output_width 6=align_corner, sizes from the static result.
  @Sendable static func interp(_ node: Node) throws(TargetRefusal) -> NCNNLayer {
    let (input, output) = (try node.targetInput(0), try node.singleOutput())
    let (from, to) = (try input.ncnnDims(), try output.ncnnDims())
    guard from.count == 4, to.count == 4, from[0] == to[0], from[1] == to[1] else {
      throw TargetRefusal("only 4-D resizes of the two spatial axes are supported")
    }
    guard node.int("antialias", default: 0) == 0 else { throw TargetRefusal("antialias is not supported") }
    let mode = node.string("mode") ?? "nearest"
    let transform = node.opType == "Upsample" ? "asymmetric" : node.string("coordinate_transformation_mode") ?? "half_pixel"
    let (type, alignCorners): (Int, Int)
    switch (mode, transform) {
    case ("nearest", "asymmetric"):
      let whole = to[2] % from[2] == 0 && to[3] % from[3] == 0
      guard whole || node.opType == "Upsample" || node.string("nearest_mode") == "floor" else {
        throw TargetRefusal("nearest needs nearest_mode floor, or whole scale factors")
      }
      (type, alignCorners) = (1, 0)
    case ("linear", "half_pixel"), ("linear", "pytorch_half_pixel"): (type, alignCorners) = (2, 0)
    case ("linear", "align_corners"): (type, alignCorners) = (2, 1)
    default: throw TargetRefusal("mode \(mode) with coordinate_transformation_mode \(transform) is not supported")
    }
    return NCNNLayer(
      "Interp", inputs: [input], outputs: [output],
      params: [.int(0, type), .int(3, to[2]), .int(4, to[3]), .int(6, alignCorners)])
  }
}
