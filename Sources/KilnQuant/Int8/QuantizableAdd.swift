// The Adds of two computed tensors (residual connections) that int8 quantization takes.

import KilnIR

/// An Add of two tensors the model computes (neither an initializer nor a Constant node's
/// output): a residual connection. Int8 quantization gives both inputs a QuantizeLinear →
/// DequantizeLinear pair, the Add itself stays float. The producers of those inputs, usually
/// convolutions, then end in a QuantizeLinear as every other quantized convolution does, so a
/// backend runs them in int8: onnxruntime as QLinearConv and the Add as QLinearAdd, TensorRT
/// with the Add fused into the convolution. A ResNet-18 in onnxruntime 1.32, one thread: 32.7 →
/// 25.0 ms with int8 activations, 29.3 → 10.1 ms with uint8 ones (every Conv a QLinearConv).
/// onnxruntime's and NVIDIA's quantizers put Q/DQ there too.
struct QuantizableAdd {
  let node: Node
  /// The two inputs, in order (the same value twice for x + x).
  let inputs: [Value]

  /// Both inputs of `node` when it is an Add of two computed tensors; `constants` names the
  /// Constant nodes' outputs.
  static func computedInputs(of node: Node, constants: Set<String>) -> [Value]? {
    guard node.opType == "Add", QuantizableNode.isDefaultDomain(node), node.inputs.count == 2 else { return nil }
    let inputs = node.inputs.compactMap { $0 }
    guard inputs.count == 2, inputs.allSatisfy({ $0.constant == nil && !constants.contains($0.name) }) else { return nil }
    return inputs
  }

  /// Why `node` stays float, or its description; nil when it is not a candidate.
  static func examine(
    _ node: Node, options: Int8QuantizationOptions, constants: Set<String>
  ) -> Result<QuantizableAdd, QuantizableNode.Refusal>? {
    guard let inputs = computedInputs(of: node, constants: constants) else { return nil }
    if options.skipOpTypes.contains("Add") { return .failure(.init("op type Add is in the skip list")) }
    if options.skipNodes.contains(node.name), !node.name.isEmpty { return .failure(.init("the node is in the skip list")) }
    if inputs.contains(where: { $0.producer?.opType == "DequantizeLinear" }) {
      return .failure(.init("an input is already dequantized (the model holds QDQ nodes)"))
    }
    if let type = inputs.lazy.compactMap(\.elementType).first(where: { $0 != .float }) {
      return .failure(.init("the inputs are \(type.name), not float32"))
    }
    return .success(QuantizableAdd(node: node, inputs: inputs))
  }
}
