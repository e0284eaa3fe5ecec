// OpenVINO layers for activations and other functions of one input.

import KilnIR

extension OpenVINOMapping {
  static let activationMappings: [OpenVINOMapping] = [
    direct("Relu", "ReLU"),
    direct("Sigmoid", "Sigmoid"),
    direct("Tanh", "Tanh"),
    direct("Exp", "Exp"),
    direct("Log", "Log"),
    direct("Sqrt", "Sqrt"),
    direct("Abs", "Abs"),
    direct("Neg", "Negative"),
    direct("Floor", "Floor"),
    direct("Ceil", "Ceiling"),
    direct("Erf", "Erf"),
    direct("Softplus", "SoftPlus", opset: 4),
    direct("Mish", "Mish", opset: 4),
    direct("HardSwish", "HSwish", opset: 4),
    OpenVINOMapping("Elu", emit: elu),
    OpenVINOMapping("Clip", ["constant min and max"], emit: clip),
    OpenVINOMapping("LeakyRelu", emit: leakyRelu),
    OpenVINOMapping("HardSigmoid", emit: hardSigmoid),
    OpenVINOMapping("Gelu", ["approximate none or tanh"], emit: gelu),
  ]

  /// Elu → Elu with alpha.
  @Sendable static func elu(_ node: Node, _ network: OpenVINONetwork) throws(TargetRefusal) {
    try network.emit(node, "Elu", [.float("alpha", node.float("alpha", default: 1))], inputs: [try input(node, network)])
  }

  /// Clip → Clamp with min and max from the attributes (opset < 11) or the constant inputs;
  /// an absent bound is the float extreme.
  @Sendable static func clip(_ node: Node, _ network: OpenVINONetwork) throws(TargetRefusal) {
    let low: Float
    let high: Float
    if node.attribute("min") != nil || node.attribute("max") != nil {
      (low, high) = (node.float("min", default: -.greatestFiniteMagnitude), node.float("max", default: .greatestFiniteMagnitude))
    } else {
      let bounds = (try node.optionalFloats(1, "min"), try node.optionalFloats(2, "max"))
      guard (bounds.0?.count ?? 1) == 1, (bounds.1?.count ?? 1) == 1 else { throw TargetRefusal("min and max must be scalars") }
      (low, high) = (bounds.0?.first ?? -.greatestFiniteMagnitude, bounds.1?.first ?? .greatestFiniteMagnitude)
    }
    try network.emit(node, "Clamp", [.float("min", low), .float("max", high)], inputs: [try input(node, network)])
  }

  /// LeakyRelu → PReLU with a one-element slope of alpha.
  @Sendable static func leakyRelu(_ node: Node, _ network: OpenVINONetwork) throws(TargetRefusal) {
    let slope = network.floats([node.float("alpha", default: 0.01)], dims: [1], name: "\(network.nodeName)/slope")
    try network.emit(node, "PReLU", inputs: [try input(node, network), slope])
  }

  /// HardSigmoid → HSigmoid (opset 5) for alpha 1/6 and beta 1/2 (what HardSwish uses), else
  /// HardSigmoid with alpha and beta as scalar inputs.
  @Sendable static func hardSigmoid(_ node: Node, _ network: OpenVINONetwork) throws(TargetRefusal) {
    let (alpha, beta) = (node.float("alpha", default: 0.2), node.float("beta", default: 0.5))
    guard abs(alpha - 1.0 / 6) > 1e-6 || beta != 0.5 else {
      try network.emit(node, "HSigmoid", opset: 5, inputs: [try input(node, network)])
      return
    }
    let parameters = [
      network.floats([alpha], dims: [], name: "\(network.nodeName)/alpha"),
      network.floats([beta], dims: [], name: "\(network.nodeName)/beta"),
    ]
    try network.emit(node, "HardSigmoid", inputs: [try input(node, network)] + parameters)
  }

  /// Gelu → Gelu (opset 7), approximation_mode ERF or TANH.
  @Sendable static func gelu(_ node: Node, _ network: OpenVINONetwork) throws(TargetRefusal) {
    let mode: String
    switch node.string("approximate") ?? "none" {
    case "none": mode = "ERF"
    case "tanh": mode = "TANH"
    case let other: throw TargetRefusal("approximate '\(other)' is not a GELU approximation")
    }
    try network.emit(node, "Gelu", opset: 7, [OpenVINOAttribute("approximation_mode", mode)], inputs: [try input(node, network)])
  }

  /// The port of input 0.
  static func input(_ node: Node, _ network: OpenVINONetwork) throws(TargetRefusal) -> OpenVINOPort {
    try network.port(node.targetInput(0))
  }
}
