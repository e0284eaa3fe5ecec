// OpenVINO layers for elementwise arithmetic (numpy broadcasting), Cast and inference-mode
// BatchNormalization.

import KilnIR

extension OpenVINOMapping {
  static let elementwiseMappings: [OpenVINOMapping] = [
    binary("Add", "Add"),
    binary("Sub", "Subtract"),
    binary("Mul", "Multiply"),
    binary("Div", "Divide", [.numpyBroadcast, OpenVINOAttribute("m_pythondiv", "false")]),
    binary("Pow", "Power"),
    binary("Max", "Maximum"),
    binary("Min", "Minimum"),
    binary("PRelu", "PReLU", []),
    OpenVINOMapping("Cast", ["to float32, float16, float64, int64, int32, int8, uint8 or bool"], emit: cast),
    OpenVINOMapping("BatchNormalization", ["inference mode (one output)"], emit: batchNormalization),
  ]

  /// An op of two inputs → the OpenVINO op of the same meaning with `attributes` (numpy
  /// broadcasting; ONNX Div truncates integers, so `m_pythondiv` is false).
  static func binary(_ op: String, _ type: String, _ attributes: [OpenVINOAttribute] = [.numpyBroadcast])
    -> OpenVINOMapping
  {
    OpenVINOMapping(op, ["two inputs"]) { node, network throws(TargetRefusal) in
      guard node.inputs.count == 2 else { throw TargetRefusal("only two inputs are supported, not \(node.inputs.count)") }
      let inputs = [try network.port(node.targetInput(0)), try network.port(node.targetInput(1))]
      guard inputs[0].tensor.type == inputs[1].tensor.type else {
        throw TargetRefusal("its inputs are \(inputs[0].tensor.type.rawValue) and \(inputs[1].tensor.type.rawValue); \(type) needs one type")
      }
      try network.emit(node, type, attributes, inputs: inputs)
    }
  }

  /// Cast → Convert with destination_type.
  @Sendable static func cast(_ node: Node, _ network: OpenVINONetwork) throws(TargetRefusal) {
    let target = try node.singleOutput().openVINOTensor()
    try network.emit(
      node, "Convert", [OpenVINOAttribute("destination_type", target.type.rawValue)],
      inputs: [try network.port(node.targetInput(0))])
  }

  /// BatchNormalization(X, scale, B, mean, var) → BatchNormInference (opset 5), the same
  /// inputs in the same order, with epsilon.
  @Sendable static func batchNormalization(_ node: Node, _ network: OpenVINONetwork) throws(TargetRefusal) {
    guard node.int("training_mode", default: 0) == 0 else { throw TargetRefusal("training mode is not supported") }
    _ = try node.singleOutput()
    var inputs: [OpenVINOPort] = []
    for index in 0..<5 { inputs.append(try network.port(node.targetInput(index))) }
    try network.emit(node, "BatchNormInference", opset: 5, [.float("epsilon", node.float("epsilon", default: 1e-5))], inputs: inputs)
  }
}
