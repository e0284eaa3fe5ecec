// OpenVINO layers that move data: reshapes, Transpose, Concat, DepthToSpace, Split, Pad, Resize, and
// Softmax over an axis.

import KilnIR

extension OpenVINOMapping {
  static let layoutMappings: [OpenVINOMapping] = [
    OpenVINOMapping("Reshape", emit: reshape),
    OpenVINOMapping("Flatten", ["at most one dynamic output dim"], emit: reshapeToOutput),
    OpenVINOMapping("Squeeze", ["at most one dynamic output dim"], emit: reshapeToOutput),
    OpenVINOMapping("Unsqueeze", ["at most one dynamic output dim"], emit: reshapeToOutput),
    OpenVINOMapping("Transpose", ["known rank"], emit: transpose),
    OpenVINOMapping("Concat", emit: concat),
    OpenVINOMapping("DepthToSpace", ["mode DCR or CRD"], emit: depthToSpace),
    OpenVINOMapping("Softmax", emit: softmax("SoftMax", opset: 8)),
    OpenVINOMapping("LogSoftmax", emit: softmax("LogSoftmax", opset: 5)),
    OpenVINOMapping("Split", ["constant split sizes", "equal parts without them"], emit: split),
    OpenVINOMapping("Pad", ["constant pads", "mode constant, reflect or edge", "no axes"], emit: pad),
    OpenVINOMapping(
      "Resize", ["constant scales or sizes", "no tf_crop_and_resize, exclude_outside or aspect-ratio policy"],
      emit: resize),
  ]

  /// Reshape → Reshape; special_zero unless allowzero (0 copies the input dim in both).
  @Sendable static func reshape(_ node: Node, _ network: OpenVINONetwork) throws(TargetRefusal) {
    let data = try input(node, network)
    let shapeValue = try node.targetInput(1)
    let shape: OpenVINOPort
    if let tensor = shapeValue.constant {
      shape = network.ints(try tensor.targetInts("the shape"), "shape")
    } else {
      shape = try network.port(shapeValue)
    }
    try network.emit(
      node, "Reshape", [.bool("special_zero", node.int("allowzero", default: 0) == 0)], inputs: [data, shape])
  }

  /// Flatten, Squeeze and Unsqueeze → Reshape to the output's shape, a dynamic dim as -1.
  @Sendable static func reshapeToOutput(_ node: Node, _ network: OpenVINONetwork) throws(TargetRefusal) {
    let output = try node.singleOutput().openVINOTensor()
    guard output.dims.filter({ $0 < 0 }).count <= 1 else {
      throw TargetRefusal("the output shape has more than one dynamic dim; give static input shapes with --input-shape")
    }
    try network.emit(
      node, "Reshape", [.bool("special_zero", false)],
      inputs: [try input(node, network), network.ints(output.dims.map { Int($0) }, "shape")])
  }

  /// Transpose → Transpose with the order perm (reversed axes without it).
  @Sendable static func transpose(_ node: Node, _ network: OpenVINONetwork) throws(TargetRefusal) {
    let rank = try node.targetInput(0).openVINOTensor().dims.count
    let order = node.ints("perm", default: Array((0..<rank).reversed()))
    try network.emit(node, "Transpose", inputs: [try input(node, network), network.ints(order, "order")])
  }

  /// DepthToSpace → DepthToSpace with block_size; ONNX's DCR is OpenVINO's blocks_first, CRD
  /// its depth_first.
  @Sendable static func depthToSpace(_ node: Node, _ network: OpenVINONetwork) throws(TargetRefusal) {
    let modes = ["DCR": "blocks_first", "CRD": "depth_first"]
    guard let mode = modes[node.string("mode") ?? "DCR"] else {
      throw TargetRefusal("mode \(node.string("mode") ?? "") is not DCR or CRD")
    }
    try network.emit(
      node, "DepthToSpace", [.init("mode", mode), .int("block_size", Int(node.int("blocksize", default: 1)))],
      inputs: [try input(node, network)])
  }

  /// Concat → Concat with axis.
  @Sendable static func concat(_ node: Node, _ network: OpenVINONetwork) throws(TargetRefusal) {
    var inputs: [OpenVINOPort] = []
    for index in node.inputs.indices { inputs.append(try network.port(node.targetInput(index))) }
    try network.emit(node, "Concat", [.int("axis", Int(node.int("axis", default: 0)))], inputs: inputs)
  }

  /// Softmax → SoftMax (opset 8), LogSoftmax → LogSoftmax (opset 5), over axis (default 1
  /// before opset 13, -1 from it). Before opset 13 the op flattens the input from its axis,
  /// so an axis that is not the last becomes Reshape to [d0, ..., d(axis-1), -1], the op over
  /// the last axis, and Reshape back to the input's ShapeOf.
  static func softmax(_ type: String, opset: Int) -> Emit {
    { node, network throws(TargetRefusal) in
      let x = try input(node, network)
      let rank = x.tensor.dims.count
      let axis = Int(node.int("axis", default: network.options.opset < 13 ? 1 : -1))
      let normalized = axis < 0 ? axis + rank : axis
      guard network.options.opset < 13, normalized != rank - 1 else {
        try network.emit(node, type, opset: opset, [.int("axis", axis)], inputs: [x])
        return
      }
      guard (0..<rank).contains(normalized) else { throw TargetRefusal("axis \(axis) is out of range for rank \(rank)") }
      let rest = x.tensor.dims[normalized...]
      let flatDims = Array(x.tensor.dims[..<normalized]) + [rest.contains { $0 < 0 } ? -1 : rest.reduce(1, *)]
      let flatTensor = OpenVINOTensor(type: x.tensor.type, dims: flatDims)
      let flat = network.step(
        "flatten", "Reshape", [.bool("special_zero", true)],
        inputs: [x, network.ints(Array(repeating: 0, count: normalized) + [-1], "flat_shape")], output: flatTensor)
      let result = network.step(type, type, opset: opset, [.int("axis", normalized)], inputs: [flat], output: flatTensor)
      let shape = network.step(
        "shape", "ShapeOf", opset: 3, [OpenVINOAttribute("output_type", "i64")], inputs: [x],
        output: OpenVINOTensor(type: .i64, dims: [Int64(rank)]))
      try network.emit(node, "Reshape", [.bool("special_zero", false)], inputs: [result, shape])
    }
  }

  /// Split → VariadicSplit with the split sizes (input or attribute), or Split into as many
  /// equal parts as the node has outputs.
  @Sendable static func split(_ node: Node, _ network: OpenVINONetwork) throws(TargetRefusal) {
    let data = try node.targetInput(0)
    let axis = Int(node.int("axis", default: 0))
    let axisPort = network.ints([axis], dims: [], "axis")
    let sizes = try node.optionalInts(1, "split") ?? node.ints("split", default: [])
    guard sizes.isEmpty else {
      try network.emit(
        node, "VariadicSplit", inputs: [try network.port(data), axisPort, network.ints(sizes, "split_lengths")],
        outputs: node.outputs.count)
      return
    }
    let dims = try data.openVINOTensor().dims
    let normalized = axis < 0 ? axis + dims.count : axis
    let size = dims.indices.contains(normalized) ? dims[normalized] : -1
    guard size < 0 || size % Int64(node.outputs.count) == 0 else {
      throw TargetRefusal("\(size) does not split into \(node.outputs.count) equal parts; give the split sizes")
    }
    try network.emit(
      node, "Split", [.int("num_splits", node.outputs.count)], inputs: [try network.port(data), axisPort],
      outputs: node.outputs.count)
  }

  /// Pad → Pad (opset 12) with pads_begin and pads_end from ONNX's [begins..., ends...],
  /// pad_mode and, for constant mode, the pad value.
  @Sendable static func pad(_ node: Node, _ network: OpenVINONetwork) throws(TargetRefusal) {
    let mode = node.string("mode") ?? "constant"
    guard ["constant", "reflect", "edge"].contains(mode) else { throw TargetRefusal("mode '\(mode)' is not supported") }
    guard node.optionalInput(3) == nil else { throw TargetRefusal("the axes input is not supported") }
    let pads = try node.optionalInts(1, "pads") ?? node.ints("pads", default: [])
    guard !pads.isEmpty, pads.count % 2 == 0 else { throw TargetRefusal("pads must have 2 values per axis") }
    var inputs = [
      try input(node, network), network.ints(Array(pads.prefix(pads.count / 2)), "pads_begin"),
      network.ints(Array(pads.suffix(pads.count / 2)), "pads_end"),
    ]
    if mode == "constant" {
      if let value = node.optionalInput(2) {
        inputs.append(try network.port(value))
      } else {
        guard inputs[0].tensor.type == .f32 else { throw TargetRefusal("give the pad value of a non-float input as input 2") }
        inputs.append(network.floats([node.float("value", default: 0)], dims: [], name: "\(network.nodeName)/value"))
      }
    }
    try network.emit(node, "Pad", opset: 12, [OpenVINOAttribute("pad_mode", mode)], inputs: inputs)
  }

  /// Resize → Interpolate (opset 11) from constant scales or sizes: nearest, linear as
  /// linear_onnx, cubic; the coordinate transformation, nearest mode, cubic coefficient and
  /// antialias carried over.
  @Sendable static func resize(_ node: Node, _ network: OpenVINONetwork) throws(TargetRefusal) {
    let modes = ["nearest": "nearest", "linear": "linear_onnx", "cubic": "cubic"]
    guard let mode = modes[node.string("mode") ?? "nearest"] else { throw TargetRefusal("mode '\(node.string("mode") ?? "")' is not supported") }
    let transformation = node.string("coordinate_transformation_mode") ?? "half_pixel"
    let transformations = ["half_pixel", "pytorch_half_pixel", "asymmetric", "align_corners", "tf_half_pixel_for_nn"]
    guard transformations.contains(transformation) else {
      throw TargetRefusal("coordinate_transformation_mode '\(transformation)' is not supported")
    }
    guard node.int("exclude_outside", default: 0) == 0, (node.string("keep_aspect_ratio_policy") ?? "stretch") == "stretch" else {
      throw TargetRefusal("exclude_outside and keep_aspect_ratio_policy are not supported")
    }
    let rank = try node.targetInput(0).openVINOTensor().dims.count
    var inputs = [try input(node, network)]
    let calculation: String
    if let sizes = try node.optionalInts(3, "sizes"), !sizes.isEmpty {
      (calculation, inputs) = ("sizes", inputs + [network.ints(sizes, "sizes")])
    } else if let scales = try node.optionalFloats(node.inputs.count == 2 ? 1 : 2, "scales"), !scales.isEmpty {
      (calculation, inputs) = ("scales", inputs + [network.floats(scales, dims: [Int64(scales.count)], name: "\(network.nodeName)/scales")])
    } else {
      throw TargetRefusal("give constant scales or sizes")
    }
    if let axes = node.ints("axes") { inputs.append(network.ints(axes.map { Int($0) }, "axes")) }
    let zeros = Array(repeating: 0, count: rank)
    try network.emit(
      node, "Interpolate", opset: 11,
      [
        OpenVINOAttribute("mode", mode), OpenVINOAttribute("shape_calculation_mode", calculation),
        OpenVINOAttribute("coordinate_transformation_mode", transformation),
        OpenVINOAttribute("nearest_mode", node.string("nearest_mode") ?? "round_prefer_floor"),
        .bool("antialias", node.int("antialias", default: 0) == 1), .ints("pads_begin", zeros), .ints("pads_end", zeros),
        .float("cube_coeff", node.float("cubic_coeff_a", default: -0.75)),
      ], inputs: inputs)
  }
}
