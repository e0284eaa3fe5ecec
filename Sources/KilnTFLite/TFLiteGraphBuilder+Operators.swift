// Dispatch from a TFLite operator to the IR nodes that compute it, and what cannot be converted.

import KilnIR

extension TFLiteGraphBuilder {
  /// The builtin operator of `op`, checked to exist.
  func code(of op: TFLiteOperator) throws -> TFLiteOperatorCode {
    guard model.operatorCodes.indices.contains(op.opcodeIndex) else {
      throw KilnError.badInput("an operator uses operator code \(op.opcodeIndex) of \(model.operatorCodes.count)")
    }
    return model.operatorCodes[op.opcodeIndex]
  }

  /// The name the operator goes by in messages and node names: its first output tensor's.
  func name(of op: TFLiteOperator) -> String {
    guard let first = op.outputs.first, tensorNames.indices.contains(first) else { return "operator" }
    return tensorNames[first]
  }

  /// Why `op` cannot be converted, or nil when it can.
  func unsupportedReason(_ op: TFLiteOperator) throws -> String? {
    let code = try code(of: op)
    guard let builtin = TFLiteBuiltin(rawValue: code.builtin) else {
      return "the TFLite frontend does not convert this operator"
    }
    switch builtin {
    case .custom: return "custom operators have no ONNX equivalent"
    case .densify:
      guard let sparse = optionalInput(op, 0), try isConstant(sparse) else {
        return "only a constant input is densified (at conversion time)"
      }
      return nil
    case .stridedSlice:
      let options = op.options
      let ellipsis = try options?.scalar(2, default: Int32(0)) ?? 0
      let newAxis = try options?.scalar(3, default: Int32(0)) ?? 0
      return ellipsis != 0 || newAxis != 0 ? "ellipsis_mask and new_axis_mask are not converted" : nil
    case .gather:
      let batchDims = try op.options?.scalar(1, default: Int32(0)) ?? 0
      return batchDims != 0 ? "batch_dims \(batchDims) is not converted (only 0)" : nil
    default: return nil
    }
  }

  /// Appends the nodes that compute `op`.
  func convert(_ op: TFLiteOperator) throws {
    let code = try code(of: op)
    guard let builtin = TFLiteBuiltin(rawValue: code.builtin) else {
      throw KilnError.badInput("not converted", node: name(of: op), op: code.name)
    }
    do {
      try convert(op, builtin)
    } catch let error as KilnError where error.node == nil {
      var located = error
      located.node = name(of: op)
      located.op = code.name
      throw located
    }
  }

  private func convert(_ op: TFLiteOperator, _ builtin: TFLiteBuiltin) throws {
    switch builtin {
    case .conv2D: try convertConvolution(op)
    case .depthwiseConv2D: try convertDepthwiseConvolution(op)
    case .transposeConv: try convertTransposedConvolution(op)
    case .fullyConnected: try convertFullyConnected(op)
    case .maxPool2D: try convertPool(op, "MaxPool")
    case .averagePool2D: try convertPool(op, "AveragePool")
    case .add: try convertBinary(op, "Add")
    case .sub: try convertBinary(op, "Sub")
    case .mul: try convertBinary(op, "Mul")
    case .div: try convertBinary(op, "Div")
    case .prelu: try convertBinary(op, "PRelu", fused: false)
    case .relu, .relu6, .reluN1To1, .logistic, .tanh, .hardSwish: try convertUnary(op, builtin)
    case .softmax: try convertSoftmax(op)
    case .dequantize, .quantize: try convertQuantization(op)
    case .densify: alias(try output(op), toConstant: try input(op, 0))
    case .reshape: try convertReshape(op)
    case .squeeze: try convertSqueeze(op)
    case .concatenation: try convertConcatenation(op)
    case .pad, .padv2: try convertPad(op)
    case .mean: try convertMean(op)
    case .slice: try convertSlice(op)
    case .stridedSlice: try convertStridedSlice(op)
    case .split: try convertSplit(op)
    case .transpose: try convertTranspose(op)
    case .gather: try convertGather(op)
    case .depthToSpace: try convertDepthToSpace(op)
    case .resizeBilinear, .resizeNearestNeighbor: try convertResize(op, builtin)
    case .custom: throw KilnError.badInput("not converted")
    }
  }

  // MARK: Operands

  /// Input `position` of `op` as a tensor index, checked to be present.
  func input(_ op: TFLiteOperator, _ position: Int) throws -> Int {
    guard op.inputs.indices.contains(position), op.inputs[position] >= 0 else {
      throw KilnError.badInput("input \(position) is missing")
    }
    return op.inputs[position]
  }

  /// Input `position` of `op`, or nil when omitted (-1 or past the end).
  func optionalInput(_ op: TFLiteOperator, _ position: Int) -> Int? {
    op.inputs.indices.contains(position) && op.inputs[position] >= 0 ? op.inputs[position] : nil
  }

  /// Output `position` of `op`, checked to be present.
  func output(_ op: TFLiteOperator, _ position: Int = 0) throws -> Int {
    guard op.outputs.indices.contains(position), op.outputs[position] >= 0 else {
      throw KilnError.badInput("output \(position) is missing")
    }
    return op.outputs[position]
  }

  /// An integer option of `op` (field `field` of its options table), or `defaultValue`.
  func option<T: FixedWidthInteger>(_ op: TFLiteOperator, _ field: Int, default defaultValue: T) throws -> T {
    try op.options?.scalar(field, default: defaultValue) ?? defaultValue
  }

  /// Applies a fused activation (ActivationFunctionType) to `value`. TFLite's kernels apply a
  /// fused activation by clamping to its range, and TANH has none: LiteRT (reference kernels and
  /// XNNPACK alike) leaves the values unchanged, and so does Kiln, to compute what LiteRT does.
  func activation(_ function: Int8, on value: Value, name: String) throws -> Value {
    switch function {
    case 0, 4: return value
    case 1: return emit("Relu", [value], name: name + "_relu")
    case 2: return clip(value, -1, 1, name: name + "_relu_n1_to_1")
    case 3: return clip(value, 0, 6, name: name + "_relu6")
    default: throw KilnError.badInput("fused activation \(function) is not converted")
    }
  }

  /// Clip of `value` to [low, high].
  func clip(_ value: Value, _ low: Float, _ high: Float, name: String) -> Value {
    emit("Clip", [value, floatScalar(low, name: name + "_min"), floatScalar(high, name: name + "_max")], name: name)
  }
}
