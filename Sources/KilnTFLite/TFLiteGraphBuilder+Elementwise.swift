// Elementwise ops and activations: computed in whatever layout their operands already have.

import KilnIR

extension TFLiteGraphBuilder {
  /// ADD, SUB, MUL, DIV (fused activation in option 0) and PRELU: broadcasting binary ops.
  func convertBinary(_ op: TFLiteOperator, _ onnxOp: String, fused: Bool = true) throws {
    let operands = [try input(op, 0), try input(op, 1)]
    let layout = try sharedLayout(operands)
    let values = try operands.map { try broadcastOperand($0, layout) }
    let name = name(of: op)
    var result = emit(onnxOp, values, name: name)
    if fused { result = try activation(try option(op, 0, default: Int8(0)), on: result, name: name) }
    try define(try output(op), result, layout)
  }

  /// RELU, RELU6, RELU_N1_TO_1, LOGISTIC, TANH, HARD_SWISH.
  func convertUnary(_ op: TFLiteOperator, _ builtin: TFLiteBuiltin) throws {
    let x = try input(op, 0)
    let layout = layout(x)
    let operand = try value(x, layout)
    let name = name(of: op)
    let result: Value =
      switch builtin {
      case .relu6: clip(operand, 0, 6, name: name)
      case .reluN1To1: clip(operand, -1, 1, name: name)
      case .logistic: emit("Sigmoid", [operand], name: name)
      case .tanh: emit("Tanh", [operand], name: name)
      case .hardSwish: emit("HardSwish", [operand], name: name)
      default: emit("Relu", [operand], name: name)
      }
    try define(try output(op), result, layout)
  }

  /// SOFTMAX over the last axis (channels) with beta: Softmax(beta · x).
  func convertSoftmax(_ op: TFLiteOperator) throws {
    let x = try input(op, 0)
    let layout = layout(x)
    var operand = try value(x, layout)
    let name = name(of: op)
    let beta = try op.options?.float(0, default: 0) ?? 0
    if beta != 1 { operand = emit("Mul", [operand, floatScalar(beta, name: name + "_beta")], name: name + "_scaled") }
    let axis: Int64 = layout == .channelsFirst ? 1 : -1
    try define(try output(op), emit("Softmax", [operand], [Attribute("axis", .int(axis))], name: name), layout)
  }

  /// DEQUANTIZE and QUANTIZE: tensors already hold real values, so these only decide where the
  /// rounding is (the output's quantization); a dequantized constant stays a constant.
  func convertQuantization(_ op: TFLiteOperator) throws {
    let (x, y) = (try input(op, 0), try output(op))
    if try isConstant(x), try quantizedType(of: y) == nil {
      alias(y, toConstant: x)
      return
    }
    let layout = layout(x)
    let operand = try value(x, layout)
    // A quantized output rounds (define adds the pair); a float one is the input itself.
    if try quantizedType(of: y) != nil { try define(y, operand, layout) } else { define(y, sameAs: x) }
  }

  /// The layout a broadcasting op computes in: channels-first when every computed operand is a
  /// 4-D tensor already channels-first (constants of any rank follow), else TFLite's own.
  func sharedLayout(_ operands: [Int]) throws -> TFLiteLayout {
    var computed: [Int] = []
    for index in operands where !(try isConstant(index)) { computed.append(index) }
    guard !computed.isEmpty else { return .native }
    for index in computed where try rank(index) != 4 || layout(index) != .channelsFirst { return .native }
    return .channelsFirst
  }

  /// Operand `index` ready to broadcast in `layout`: a constant of lower rank is given leading
  /// ones up to rank 4 before its dims follow NHWC → NCHW.
  func broadcastOperand(_ index: Int, _ layout: TFLiteLayout) throws -> Value {
    guard layout == .channelsFirst, try isConstant(index), try rank(dataSource(index)) < 4 else {
      return try value(index, layout)
    }
    return try constant(index, permutation: [0, 3, 1, 2], rank: 4)
  }
}
