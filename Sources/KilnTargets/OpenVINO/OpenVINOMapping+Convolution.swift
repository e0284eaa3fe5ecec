// OpenVINO layers for the convolution family: Conv, ConvTranspose and the windowed pools.

import KilnIR

extension OpenVINOMapping {
  static let convolutionMappings: [OpenVINOMapping] = [
    OpenVINOMapping("Conv", ["constant weight and bias"], emit: convolution),
    OpenVINOMapping("ConvTranspose", ["constant weight and bias", "no output_shape"], emit: transposedConvolution),
    OpenVINOMapping("MaxPool", ["no dilations, no indices output"], emit: pool("MaxPool")),
    OpenVINOMapping("AveragePool", ["no dilations"], emit: pool("AvgPool")),
  ]

  /// Conv → Convolution, or GroupConvolution with the weight [O, I/G, k...] reshaped to
  /// [G, O/G, I/G, k...]; a bias [O] is added as [1, O, 1, ...]. Under int8 the input and the
  /// weight are fake-quantized.
  @Sendable static func convolution(_ node: Node, _ network: OpenVINONetwork) throws(TargetRefusal) {
    let (weight, values) = try kernel(node)
    let group = Int64(node.int("group", default: 1))
    guard group >= 1, weight.dims[0] % group == 0 else {
      throw TargetRefusal("group \(group) does not divide the \(weight.dims[0]) output channels")
    }
    let attributes = try windowAttributes(node, spatial: weight.dims.count - 2)
    let data = try network.activation(node.targetInput(0))
    let type = group > 1 ? "GroupConvolution" : "Convolution"
    let dims = group > 1 ? [group, weight.dims[0] / group] + weight.dims.dropFirst() : weight.dims
    let kernel = network.quantizedWeight(
      values, dims: dims, name: try node.targetInput(1).name, channels: .leading(group > 1 ? 2 : 1))
    try withBias(node, network, type, attributes, inputs: [data, kernel])
  }

  /// ConvTranspose → ConvolutionBackpropData, or GroupConvolutionBackpropData with the weight
  /// [I, O/G, k...] reshaped to [G, I/G, O/G, k...]; a bias as for Conv.
  @Sendable static func transposedConvolution(_ node: Node, _ network: OpenVINONetwork) throws(TargetRefusal) {
    guard node.attribute("output_shape") == nil else {
      throw TargetRefusal("output_shape is not supported; give pads and output_padding instead")
    }
    let (weight, values) = try kernel(node)
    let spatial = weight.dims.count - 2
    let group = Int64(node.int("group", default: 1))
    guard group >= 1, weight.dims[0] % group == 0 else {
      throw TargetRefusal("group \(group) does not divide the \(weight.dims[0]) input channels")
    }
    let outputPadding = node.ints("output_padding", default: Array(repeating: 0, count: spatial))
    guard outputPadding.count == spatial else { throw TargetRefusal("output_padding must have \(spatial) values") }
    let attributes = try windowAttributes(node, spatial: spatial) + [.ints("output_padding", outputPadding)]
    let type = group > 1 ? "GroupConvolutionBackpropData" : "ConvolutionBackpropData"
    let dims = group > 1 ? [group, weight.dims[0] / group] + weight.dims.dropFirst() : weight.dims
    let kernel = network.weight(values, dims: dims, name: try node.targetInput(1).name)
    try withBias(node, network, type, attributes, inputs: [try network.port(node.targetInput(0)), kernel])
  }

  /// MaxPool → MaxPool, AveragePool → AvgPool (opset 1): kernel, strides, pads, auto_pad,
  /// rounding_type from ceil_mode, and for AvgPool exclude-pad from count_include_pad.
  static func pool(_ type: String) -> Emit {
    { node, network throws(TargetRefusal) in
      let kernel = node.ints("kernel_shape", default: [])
      guard !kernel.isEmpty else { throw TargetRefusal("kernel_shape is missing") }
      guard node.ints("dilations", default: []).allSatisfy({ $0 == 1 }) else {
        throw TargetRefusal("dilated pools are not supported")
      }
      _ = try node.singleOutput()
      var attributes = try windowAttributes(node, spatial: kernel.count, dilated: false)
      attributes += [
        .ints("kernel", kernel),
        OpenVINOAttribute("rounding_type", node.int("ceil_mode", default: 0) == 1 ? "ceil" : "floor"),
      ]
      if type == "AvgPool" { attributes.append(.bool("exclude-pad", node.int("count_include_pad", default: 0) == 0)) }
      try network.emit(node, type, attributes, inputs: [try network.port(node.targetInput(0))])
    }
  }

  /// The constant weight (input 1) of a convolution and its values; at least one spatial axis.
  private static func kernel(_ node: Node) throws(TargetRefusal) -> (Tensor, [Float]) {
    guard let weight = try node.optionalConstant(1, "the weight") else { throw TargetRefusal("the weight is missing") }
    guard weight.dims.count >= 3 else { throw TargetRefusal("the weight must have 3 or more dims, not \(weight.dims)") }
    return (weight, try weight.targetFloats("the weight"))
  }

  /// Emits the layer `type` for `node`, then, when the node has a bias (input 2), an Add of
  /// the bias as [1, C, 1, ...].
  private static func withBias(
    _ node: Node, _ network: OpenVINONetwork, _ type: String, _ attributes: [OpenVINOAttribute],
    inputs: [OpenVINOPort]
  ) throws(TargetRefusal) {
    guard let bias = node.optionalInput(2), let values = try node.optionalFloats(2, "the bias") else {
      try network.emit(node, type, attributes, inputs: inputs)
      return
    }
    let output = try node.singleOutput().openVINOTensor()
    let result = network.step(type, type, attributes, inputs: inputs, output: output)
    let dims = [1, Int64(values.count)] + Array(repeating: 1, count: max(output.dims.count - 2, 0))
    try network.emit(node, "Add", [.numpyBroadcast], inputs: [result, network.weight(values, dims: dims, name: bias.name)])
  }

  /// strides, pads_begin, pads_end, auto_pad and (when `dilated`) dilations, from ONNX's
  /// strides, pads [begins..., ends...], auto_pad and dilations.
  static func windowAttributes(_ node: Node, spatial: Int, dilated: Bool = true) throws(TargetRefusal)
    -> [OpenVINOAttribute]
  {
    let ones = Array(repeating: 1, count: spatial)
    let strides = node.ints("strides", default: ones)
    let pads = node.ints("pads", default: ones.map { _ in 0 } + ones.map { _ in 0 })
    let dilations = node.ints("dilations", default: ones)
    guard strides.count == spatial, pads.count == 2 * spatial, dilations.count == spatial else {
      throw TargetRefusal("strides, dilations and pads must match the \(spatial) spatial axes")
    }
    let autoPad: String
    switch node.string("auto_pad") ?? "NOTSET" {
    case "NOTSET": autoPad = "explicit"
    case "SAME_UPPER": autoPad = "same_upper"
    case "SAME_LOWER": autoPad = "same_lower"
    case "VALID": autoPad = "valid"
    case let other: throw TargetRefusal("auto_pad '\(other)' is not an ONNX padding")
    }
    return [
      .ints("strides", strides), .ints("pads_begin", Array(pads.prefix(spatial))),
      .ints("pads_end", Array(pads.suffix(spatial))), OpenVINOAttribute("auto_pad", autoPad),
    ] + (dilated ? [.ints("dilations", dilations)] : [])
  }
}
