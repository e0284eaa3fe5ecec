// Which nodes int8 quantization takes, and where their activation, weight and bias are.

import KilnIR
import KilnPasses

/// A Conv, ConvTranspose, MatMul or Gemm node whose weight is a float32 initializer: its
/// activation input, its weight, the weight axis that holds output channels, and its bias.
struct QuantizableNode {
  let node: Node
  let activation: Value
  let weight: Value
  /// The weight's output-channel axis; nil when the weight gets one scale (per tensor).
  let axis: Int?
  /// The bias input's index (Conv, ConvTranspose, Gemm), when present.
  let biasIndex: Int?

  /// The op types quantization considers.
  static let opTypes: Set<String> = ["Conv", "ConvTranspose", "MatMul", "Gemm"]

  /// The names of the tensors whose ranges int8 quantization and the int8 targets read: every
  /// input of a candidate op in `graph` that is neither an initializer nor a Constant node's
  /// output (the activation, and a computed second operand of MatMul or Gemm, which OpenVINO
  /// fake-quantizes too), and both inputs of an Add of two computed tensors (`QuantizableAdd`).
  static func rangedInputs(of graph: Graph) -> Set<String> {
    let constants = constantOutputs(of: graph)
    let weighted = graph.nodes.filter { opTypes.contains($0.opType) && isDefaultDomain($0) }
      .flatMap { $0.inputs.compactMap { $0 } }
      .filter { $0.constant == nil && !constants.contains($0.name) }
    let added = graph.nodes.compactMap { QuantizableAdd.computedInputs(of: $0, constants: constants) }.joined()
    return Set((weighted + added).map(\.name))
  }

  /// The names of the outputs of `graph`'s Constant nodes.
  static func constantOutputs(of graph: Graph) -> Set<String> {
    Set(graph.nodes.filter { $0.opType == "Constant" && isDefaultDomain($0) }.flatMap { $0.outputs.compactMap { $0?.name } })
  }

  static func isDefaultDomain(_ node: Node) -> Bool { node.domain.isEmpty || node.domain == "ai.onnx" }

  /// Why `node` cannot be quantized, or its description; nil when it is not a candidate.
  static func examine(
    _ node: Node, options: Int8QuantizationOptions, perChannel: Bool, graphInputs: Set<ObjectIdentifier>
  ) -> Result<QuantizableNode, Refusal>? {
    guard opTypes.contains(node.opType), isDefaultDomain(node) else { return nil }
    if options.skipOpTypes.contains(node.opType) { return .failure(Refusal("op type \(node.opType) is in the skip list")) }
    if options.skipNodes.contains(node.name), !node.name.isEmpty { return .failure(Refusal("the node is in the skip list")) }
    if node.opType == "ConvTranspose", !options.quantizeConvTranspose {
      return .failure(Refusal("ConvTranspose quantization is off"))
    }
    guard node.inputs.count >= 2, let activation = node.inputs[0], let weight = node.inputs[1] else {
      return .failure(Refusal("an input is missing"))
    }
    guard let tensor = weight.constant, tensor.dataType == .float else {
      return .failure(Refusal("the weight is not a float32 initializer"))
    }
    guard tensor.checkedElementCount.map({ $0 > 0 }) ?? false else { return .failure(Refusal("the weight is empty")) }
    guard !graphInputs.contains(ObjectIdentifier(weight)) else {
      return .failure(Refusal("the weight is also a graph input, which a caller may replace"))
    }
    guard activation.constant == nil else { return .failure(Refusal("the first input is a constant")) }
    if let type = activation.elementType, type != .float {
      return .failure(Refusal("the input is \(type.name), not float32"))
    }
    guard let axis = channelAxis(node, rank: tensor.dims.count) else {
      return .failure(Refusal("the weight's rank \(tensor.dims.count) does not fit \(node.opType)"))
    }
    let biasIndex = node.opType == "MatMul" || node.inputs.count < 3 || node.inputs[2] == nil ? nil : 2
    return .success(
      QuantizableNode(
        node: node, activation: activation, weight: weight,
        axis: perChannel && tensor.dims.count > 1 ? axis : nil, biasIndex: biasIndex))
  }

  /// The weight axis of output channels: Conv 0, ConvTranspose 1, Gemm 0 with transB else 1,
  /// MatMul the last; nil when the rank does not allow it.
  private static func channelAxis(_ node: Node, rank: Int) -> Int? {
    switch node.opType {
    case "Conv": return rank >= 3 ? 0 : nil
    case "ConvTranspose": return rank >= 3 ? 1 : nil
    case "Gemm": return rank == 2 ? (node.int("transB", default: 0) != 0 ? 0 : 1) : nil
    default: return rank >= 1 ? rank - 1 : nil
    }
  }

  /// Why a node stays float32.
  struct Refusal: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
  }
}
