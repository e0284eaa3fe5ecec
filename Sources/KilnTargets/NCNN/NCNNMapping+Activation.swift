// ncnn layers for activations, and the activations ncnn fuses into the layer before them.

import KilnIR

extension NCNNMapping {
  static let activationMappings: [NCNNMapping] = [
    NCNNMapping("Relu", [], layer: unary("ReLU")),
    NCNNMapping("LeakyRelu", [], layer: leakyRelu),
    NCNNMapping("Clip", ["constant min and max"], layer: clip),
    NCNNMapping("Sigmoid", [], layer: unary("Sigmoid")),
    NCNNMapping("Tanh", [], layer: unary("TanH")),
    NCNNMapping("HardSigmoid", [], layer: hardSigmoid),
    NCNNMapping("HardSwish", [], layer: unary("HardSwish", [.float(0, 1.0 / 6), .float(1, 0.5)])),
    NCNNMapping("PRelu", ["constant slope: one value, or one per channel (axis 1) of a 2-D to 4-D input"], layer: prelu),
  ]

  /// A layer of one input and one output with fixed params.
  static func unary(_ type: String, _ params: [NCNNParam] = []) -> @Sendable (Node) throws(TargetRefusal) -> NCNNLayer {
    { node throws(TargetRefusal) in
      NCNNLayer(type, inputs: [try node.targetInput(0)], outputs: [try node.singleOutput()], params: params)
    }
  }

  /// LeakyRelu → ReLU with 0=slope.
  @Sendable static func leakyRelu(_ node: Node) throws(TargetRefusal) -> NCNNLayer {
    try unary("ReLU", [.float(0, node.float("alpha", default: 0.01))])(node)
  }

  /// HardSigmoid → HardSigmoid with 0=alpha 1=beta.
  @Sendable static func hardSigmoid(_ node: Node) throws(TargetRefusal) -> NCNNLayer {
    try unary("HardSigmoid", [.float(0, node.float("alpha", default: 0.2)), .float(1, node.float("beta", default: 0.5))])(
      node)
  }

  /// PRelu → PReLU with 0=num_slope and the slopes as float32: one for every element, or
  /// one per channel, the slope shaped [C, 1, 1] (or [1, C, 1, 1]) against NCHW. ncnn takes
  /// a slope per channel of a 3-D blob, per row of a 2-D one and per element of a 1-D one:
  /// ONNX's axis 1 in each case.
  @Sendable static func prelu(_ node: Node) throws(TargetRefusal) -> NCNNLayer {
    let slope = try node.requiredConstant(1, "the slope")
    let values = try slope.targetFloats("the slope")
    if values.count != 1 {
      let rank = try node.targetInput(0).ncnnDims().count
      let dims = slope.dims.map { Int($0) }
      let aligned = Array(repeating: 1, count: max(rank - dims.count, 0)) + dims
      guard (2...4).contains(rank), aligned.count == rank,
        aligned.enumerated().allSatisfy({ $0.offset == 1 ? $0.element == values.count : $0.element == 1 })
      else {
        throw TargetRefusal("the slope must have one value or one per channel (axis 1) of a 2-D to 4-D input, not shape \(dims)")
      }
    }
    var layer = try unary("PReLU", [.int(0, values.count)])(node)
    layer.weights = [.raw(values)]
    return layer
  }

  /// Clip → Clip with 0=min 1=max, from the attributes (opset < 11) or constant inputs.
  @Sendable static func clip(_ node: Node) throws(TargetRefusal) -> NCNNLayer {
    let (low, high) = try clipBounds(node)
    return try unary("Clip", [.float(0, low), .float(1, high)])(node)
  }

  /// The bounds of a Clip; absent ones are the float extremes.
  static func clipBounds(_ node: Node) throws(TargetRefusal) -> (Float, Float) {
    if node.attribute("min") != nil || node.attribute("max") != nil {
      return (node.float("min", default: -.greatestFiniteMagnitude), node.float("max", default: .greatestFiniteMagnitude))
    }
    let low = try node.optionalFloats(1, "min")
    let high = try node.optionalFloats(2, "max")
    guard (low?.count ?? 1) == 1, (high?.count ?? 1) == 1 else { throw TargetRefusal("min and max must be scalars") }
    return (low?.first ?? -.greatestFiniteMagnitude, high?.first ?? .greatestFiniteMagnitude)
  }

  /// The activation ncnn fuses into a Convolution, Deconvolution or InnerProduct, as its
  /// `9=activation_type` and `10=activation_params`: 1 ReLU, 2 leaky ReLU [slope], 3 clip
  /// [min, max], 4 sigmoid, 6 hard-swish [alpha, beta]; nil for any other node.
  static func fusedActivation(_ node: Node) -> (type: Int, params: [Float])? {
    switch node.opType {
    case "Relu": (1, [])
    case "LeakyRelu": (2, [node.float("alpha", default: 0.01)])
    case "Clip": (try? clipBounds(node)).map { (3, [$0.0, $0.1]) }
    case "Sigmoid": (4, [])
    case "HardSwish": (6, [1.0 / 6, 0.5])
    default: nil
    }
  }
}
