// ncnn layers for elementwise and per-channel ops: BinaryOp, Eltwise, Concat, BatchNorm.

import KilnIR

extension NCNNMapping {
  static let elementwiseMappings: [NCNNMapping] =
    binaryOps.map { op, _ in
      NCNNMapping(op, ["two inputs", "a constant operand of rank ≤ the result's"], layer: binaryOp)
    }.sorted { $0.op < $1.op } + [
      NCNNMapping("Sum", ["inputs of one shape"], layer: sum),
      NCNNMapping("Concat", ["not along the batch axis"], layer: concat),
      NCNNMapping("BatchNormalization", ["inference mode", "constant parameters"], layer: batchNorm),
    ]

  /// ncnn's BinaryOp op_type of each ONNX op.
  static let binaryOps: [String: Int] = ["Add": 0, "Sub": 1, "Mul": 2, "Div": 3, "Max": 4, "Min": 5, "Pow": 6]

  /// Add, Sub, Mul, Div, Max, Min and Pow → BinaryOp (0=op_type). A scalar constant becomes
  /// 1=with_scalar 2=b (Sub and Div of a constant first operand use ncnn's reversed ops 7
  /// and 8); another constant becomes a MemoryData blob.
  @Sendable static func binaryOp(_ node: Node) throws(TargetRefusal) -> NCNNLayer {
    guard node.inputs.count == 2, let opType = binaryOps[node.opType] else {
      throw TargetRefusal("only two inputs are supported")
    }
    let (a, b) = (try node.targetInput(0), try node.targetInput(1))
    let output = try node.singleOutput()
    if let scalar = try scalarConstant(b) {
      return NCNNLayer("BinaryOp", inputs: [a], outputs: [output], params: [.int(0, opType), .int(1, 1), .float(2, scalar)])
    }
    if let scalar = try scalarConstant(a) {
      let reversed = ["Sub": 7, "Div": 8, "Add": 0, "Mul": 2, "Max": 4, "Min": 5][node.opType]
      guard let reversed else { throw TargetRefusal("a constant base of Pow is not supported") }
      return NCNNLayer(
        "BinaryOp", inputs: [b], outputs: [output], params: [.int(0, reversed), .int(1, 1), .float(2, scalar)])
    }
    guard a.constant == nil || b.constant == nil else { throw TargetRefusal("both inputs are constants; fold them first") }
    try requireBroadcastable([a, b], to: output)
    return NCNNLayer("BinaryOp", inputs: [a, b], outputs: [output], params: [.int(0, opType)])
  }

  /// Sum of inputs of one shape → Eltwise with 0=op_type 1 (sum).
  @Sendable static func sum(_ node: Node) throws(TargetRefusal) -> NCNNLayer {
    let inputs = try (0..<node.inputs.count).map { index throws(TargetRefusal) in try node.targetInput(index) }
    guard let first = inputs.first?.staticDims, inputs.allSatisfy({ $0.staticDims == first }) else {
      throw TargetRefusal("the inputs must have one known shape")
    }
    return NCNNLayer("Eltwise", inputs: inputs, outputs: [try node.singleOutput()], params: [.int(0, 1)])
  }

  /// Concat → Concat with 0=axis (ONNX's axis less the batch axis).
  @Sendable static func concat(_ node: Node) throws(TargetRefusal) -> NCNNLayer {
    let output = try node.singleOutput()
    let inputs = try (0..<node.inputs.count).map { index throws(TargetRefusal) in try node.targetInput(index) }
    try requireBroadcastable(inputs, to: output)
    return NCNNLayer(
      "Concat", inputs: inputs, outputs: [output], params: [.int(0, try output.ncnnAxis(Int(node.int("axis", default: 1))))])
  }

  /// An inference BatchNormalization (not folded into a convolution) → BatchNorm with
  /// 0=channels 1=eps and the weights slope, mean, variance, bias.
  @Sendable static func batchNorm(_ node: Node) throws(TargetRefusal) -> NCNNLayer {
    guard node.int("training_mode", default: 0) == 0 else { throw TargetRefusal("training mode is not supported") }
    let output = try node.singleOutput()
    let names = ["the scale", "the bias", "the mean", "the variance"]
    let parameters = try (1...4).map { index throws(TargetRefusal) in
      try node.requiredConstant(index, names[index - 1]).targetFloats(names[index - 1])
    }
    let channels = parameters[0].count
    guard parameters.allSatisfy({ $0.count == channels }) else { throw TargetRefusal("the parameters differ in length") }
    return NCNNLayer(
      "BatchNorm", inputs: [try node.targetInput(0)], outputs: [output],
      params: [.int(0, channels), .float(1, node.float("epsilon", default: 1e-5))],
      weights: [parameters[0], parameters[2], parameters[3], parameters[1]].map(NCNNWeight.raw))
  }

  /// The single value of a one-element float constant; nil for anything else.
  private static func scalarConstant(_ value: Value) throws(TargetRefusal) -> Float? {
    guard let tensor = value.constant, tensor.elementCount == 1 else { return nil }
    return try tensor.targetFloats("the constant operand").first
  }

  /// Refuses inputs ncnn cannot line up with the result: a non-constant input of another
  /// rank, or a constant of higher rank (constants become MemoryData blobs, right-aligned).
  private static func requireBroadcastable(_ inputs: [Value], to output: Value) throws(TargetRefusal) {
    guard let rank = output.rank else { throw TargetRefusal("the rank of '\(output.name)' is not known") }
    for input in inputs {
      if let constant = input.constant {
        guard constant.dims.count <= rank, constant.dims.count < rank || constant.dims.first == 1 else {
          throw TargetRefusal("the constant '\(input.name)' has a batch axis other than 1")
        }
        guard constant.dims.count - (constant.dims.count == rank ? 1 : 0) <= 4 else {
          throw TargetRefusal("the constant '\(input.name)' has more than 4 dims besides the batch")
        }
      } else if input.rank != rank {
        throw TargetRefusal("input '\(input.name)' has rank \(input.rank.map(String.init) ?? "?"), the result \(rank)")
      }
    }
  }
}
