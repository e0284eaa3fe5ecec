// OpenVINO layers for matrix products: Gemm and MatMul → MatMul.

import KilnIR

extension OpenVINOMapping {
  static let denseMappings: [OpenVINOMapping] = [
    OpenVINOMapping("Gemm", emit: gemm),
    OpenVINOMapping("MatMul", emit: matMul),
  ]

  /// Gemm(A, B, C) = α·op(A)·op(B) + β·C → MatMul(transpose_a, transpose_b), then Add of C.
  /// α and β scale B and C when they are constants, else a Multiply does. Under int8, A and a
  /// constant B are fake-quantized (B per output column).
  @Sendable static func gemm(_ node: Node, _ network: OpenVINONetwork) throws(TargetRefusal) {
    let transposedB = node.int("transB", default: 0) == 1
    let attributes: [OpenVINOAttribute] = [
      .bool("transpose_a", node.int("transA", default: 0) == 1), .bool("transpose_b", transposedB),
    ]
    let a = try network.activation(node.targetInput(0))
    let b = try scaled(
      node.targetInput(1), by: node.float("alpha", default: 1), network, channels: transposedB ? .leading(1) : .last)
    guard let c = node.optionalInput(2) else {
      try network.emit(node, "MatMul", attributes, inputs: [a, b])
      return
    }
    let product = network.step("MatMul", "MatMul", attributes, inputs: [a, b], output: try node.singleOutput().openVINOTensor())
    let bias = try scaled(c, by: node.float("beta", default: 1), network, channels: nil)
    try network.emit(node, "Add", [.numpyBroadcast], inputs: [product, bias])
  }

  /// MatMul(A, B) → MatMul; under int8, A and B are fake-quantized (a constant B per column).
  @Sendable static func matMul(_ node: Node, _ network: OpenVINONetwork) throws(TargetRefusal) {
    let a = try network.activation(node.targetInput(0))
    let b = try scaled(node.targetInput(1), by: 1, network, channels: .last)
    try network.emit(node, "MatMul", [.bool("transpose_a", false), .bool("transpose_b", false)], inputs: [a, b])
  }

  /// `value` times `factor`: a float constant with its values scaled (a quantized weight when
  /// `channels` is given), else the value's port — an activation when `channels` is given —
  /// through a Multiply by the scalar.
  private static func scaled(
    _ value: Value, by factor: Float, _ network: OpenVINONetwork, channels: WeightChannels?
  ) throws(TargetRefusal) -> OpenVINOPort {
    if let tensor = value.constant, tensor.dataType == .float {
      let values = try tensor.targetFloats("'\(value.name)'").map { $0 * factor }
      guard let channels else { return network.weight(values, dims: tensor.dims, name: value.name) }
      return network.quantizedWeight(values, dims: tensor.dims, name: value.name, channels: channels)
    }
    let port = channels == nil ? try network.port(value) : try network.activation(value)
    guard factor != 1 else { return port }
    let scale = network.floats([factor], dims: [], name: "\(network.nodeName)/\(value.name)_factor")
    return network.step("\(value.name)_scaled", "Multiply", [.numpyBroadcast], inputs: [port, scale], output: port.tensor)
  }
}
