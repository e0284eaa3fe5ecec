// ncnn layers for the convolution family: Conv, ConvTranspose and the pools.

import KilnIR

extension NCNNMapping {
  static let convolutionMappings: [NCNNMapping] = [
    NCNNMapping("Conv", ["2-D kernels", "constant weight and bias"], layer: convolution),
    NCNNMapping("ConvTranspose", ["2-D kernels", "constant weight and bias", "no output_shape"], layer: deconvolution),
    NCNNMapping("MaxPool", ["2-D kernels", "no dilations, no indices output", "row-major storage"], layer: pooling),
    NCNNMapping("AveragePool", ["2-D kernels", "no dilations"], layer: pooling),
    NCNNMapping("GlobalAveragePool", ["4-D input"], layer: globalPooling),
    NCNNMapping("GlobalMaxPool", ["4-D input"], layer: globalPooling),
  ]

  /// Conv → Convolution (one group) or ConvolutionDepthWise (several). The weight keeps
  /// ONNX's [out, in/group, kh, kw] order, which is ncnn's.
  ///
  ///     0=num_output 1=kernel_w 11=kernel_h 2=dilation_w 12=dilation_h 3=stride_w 13=stride_h
  ///     4=pad_left 15=pad_right 14=pad_top 16=pad_bottom 5=bias_term 6=weight_data_size 7=group
  @Sendable static func convolution(_ node: Node) throws(TargetRefusal) -> NCNNLayer {
    let weight = try node.requiredConstant(1, "the weight")
    guard weight.dims.count == 4 else { throw TargetRefusal("only 2-D convolutions (a 4-D weight) are supported") }
    let group = Int(node.int("group", default: 1))
    guard group >= 1 else { throw TargetRefusal("group must be 1 or more") }
    let outputs = Int(weight.dims[0])
    let bias = try node.optionalFloats(2, "the bias")
    var params = try windowParams(node, kernel: weight.dims[2...].map { Int($0) }, outputs: outputs)
    params += [.int(5, bias == nil ? 0 : 1), .int(6, Int(weight.elementCount))]
    if group > 1 { params.append(.int(7, group)) }
    let weights = [NCNNWeight.tagged(try weight.targetFloats("the weight"))] + (bias.map { [.raw($0)] } ?? [])
    return NCNNLayer(
      group > 1 ? "ConvolutionDepthWise" : "Convolution", inputs: [try node.targetInput(0)],
      outputs: [try node.singleOutput()], params: params, weights: weights)
  }

  /// ConvTranspose → Deconvolution (or DeconvolutionDepthWise for several groups). ONNX's
  /// weight is [in, out/group, kh, kw]; ncnn's is [out, in/group, kh, kw] within each group,
  /// so each group's two channel axes are swapped.
  ///
  ///     as Conv, plus 18=output_pad_right 19=output_pad_bottom
  @Sendable static func deconvolution(_ node: Node) throws(TargetRefusal) -> NCNNLayer {
    let weight = try node.requiredConstant(1, "the weight")
    guard weight.dims.count == 4 else { throw TargetRefusal("only 2-D transposed convolutions are supported") }
    guard node.attribute("output_shape") == nil else {
      throw TargetRefusal("output_shape is not supported; give pads and output_padding instead")
    }
    let group = Int(node.int("group", default: 1))
    let (inputs, outputsPerGroup) = (Int(weight.dims[0]), Int(weight.dims[1]))
    guard group >= 1, inputs % group == 0 else { throw TargetRefusal("group \(group) does not divide the \(inputs) inputs") }
    let kernel = weight.dims[2...].map { Int($0) }
    let bias = try node.optionalFloats(2, "the bias")
    var params = try windowParams(node, kernel: kernel, outputs: outputsPerGroup * group)
    params += [.int(5, bias == nil ? 0 : 1), .int(6, Int(weight.elementCount))]
    if group > 1 { params.append(.int(7, group)) }
    let outputPadding = node.ints("output_padding", default: [0, 0])
    guard outputPadding.count == 2 else { throw TargetRefusal("output_padding must have 2 values") }
    params += [.int(18, outputPadding[1]), .int(19, outputPadding[0])]
    let swapped = swapChannels(
      try weight.targetFloats("the weight"), groups: group, inputs: inputs / group, outputs: outputsPerGroup,
      kernel: kernel[0] * kernel[1])
    return NCNNLayer(
      group > 1 ? "DeconvolutionDepthWise" : "Deconvolution", inputs: [try node.targetInput(0)],
      outputs: [try node.singleOutput()], params: params,
      weights: [.tagged(swapped)] + (bias.map { [.raw($0)] } ?? []))
  }

  /// MaxPool and AveragePool → Pooling.
  ///
  ///     0=pooling_type(0 max, 1 avg) 1=kernel_w 11=kernel_h 2=stride_w 12=stride_h
  ///     3=pad_left 14=pad_right 13=pad_top 15=pad_bottom
  ///     5=pad_mode(0 ceil, 1 floor, 2 same-upper, 3 same-lower) 6=avgpool_count_include_pad
  @Sendable static func pooling(_ node: Node) throws(TargetRefusal) -> NCNNLayer {
    let kernel = node.ints("kernel_shape", default: [])
    guard kernel.count == 2 else { throw TargetRefusal("only 2-D pools are supported") }
    guard node.ints("dilations", default: [1, 1]).allSatisfy({ $0 == 1 }) else {
      throw TargetRefusal("dilated pools are not supported")
    }
    guard node.int("storage_order", default: 0) == 0 else { throw TargetRefusal("storage_order 1 is not supported") }
    let output = try node.singleOutput()
    let strides = node.ints("strides", default: [1, 1])
    guard strides.count == 2 else { throw TargetRefusal("strides must have 2 values") }
    let pads = try explicitPads(node)
    let autoPad = node.string("auto_pad") ?? "NOTSET"
    let padMode =
      autoPad == "SAME_UPPER" ? 2 : autoPad == "SAME_LOWER" ? 3 : node.int("ceil_mode", default: 0) == 1 ? 0 : 1
    var params: [NCNNParam] = [
      .int(0, node.opType == "MaxPool" ? 0 : 1), .int(1, kernel[1]), .int(11, kernel[0]),
      .int(2, strides[1]), .int(12, strides[0]),
      .int(3, pads[1]), .int(14, pads[3]), .int(13, pads[0]), .int(15, pads[2]), .int(5, padMode),
    ]
    if node.opType == "AveragePool" { params.append(.int(6, Int(node.int("count_include_pad", default: 0)))) }
    return NCNNLayer("Pooling", inputs: [try node.targetInput(0)], outputs: [output], params: params)
  }

  /// GlobalAveragePool and GlobalMaxPool → Pooling with 4=global_pooling. ncnn's result is a
  /// 1-D blob of the channels, which Flatten, Reshape and InnerProduct read the same way.
  @Sendable static func globalPooling(_ node: Node) throws(TargetRefusal) -> NCNNLayer {
    let input = try node.targetInput(0)
    guard input.rank == 4 else { throw TargetRefusal("only 4-D (NCHW) inputs are supported") }
    return NCNNLayer(
      "Pooling", inputs: [input], outputs: [try node.singleOutput()],
      params: [.int(0, node.opType == "GlobalMaxPool" ? 0 : 1), .int(4, 1)])
  }

  /// The kernel, dilation, stride and padding params shared by Convolution and Deconvolution.
  private static func windowParams(_ node: Node, kernel: [Int], outputs: Int) throws(TargetRefusal) -> [NCNNParam] {
    let dilations = node.ints("dilations", default: [1, 1])
    let strides = node.ints("strides", default: [1, 1])
    guard dilations.count == 2, strides.count == 2 else { throw TargetRefusal("dilations and strides must have 2 values") }
    var pads = try explicitPads(node)
    switch node.string("auto_pad") ?? "NOTSET" {
    case "SAME_UPPER": pads = [-233, -233, -233, -233]
    case "SAME_LOWER": pads = [-234, -234, -234, -234]
    default: break
    }
    return [
      .int(0, outputs), .int(1, kernel[1]), .int(11, kernel[0]), .int(2, dilations[1]), .int(12, dilations[0]),
      .int(3, strides[1]), .int(13, strides[0]), .int(4, pads[1]), .int(15, pads[3]), .int(14, pads[0]),
      .int(16, pads[2]),
    ]
  }

  /// ONNX's 2-D pads [top, left, bottom, right] (zeros for VALID or absent).
  private static func explicitPads(_ node: Node) throws(TargetRefusal) -> [Int] {
    let autoPad = node.string("auto_pad") ?? "NOTSET"
    guard ["NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"].contains(autoPad) else {
      throw TargetRefusal("auto_pad \(autoPad) is not known")
    }
    let pads = autoPad == "NOTSET" ? node.ints("pads", default: [0, 0, 0, 0]) : [0, 0, 0, 0]
    guard pads.count == 4 else { throw TargetRefusal("pads must have 4 values") }
    return pads
  }

  /// A transposed-convolution weight from ONNX's [groups·inputs, outputs, k] to ncnn's
  /// [groups·outputs, inputs, k] (`inputs` and `outputs` per group, `k` kernel elements).
  static func swapChannels(_ values: [Float], groups: Int, inputs: Int, outputs: Int, kernel: Int) -> [Float] {
    var result = [Float](repeating: 0, count: values.count)
    for group in 0..<groups {
      for input in 0..<inputs {
        for output in 0..<outputs {
          let source = ((group * inputs + input) * outputs + output) * kernel
          let target = ((group * outputs + output) * inputs + input) * kernel
          result[target..<target + kernel] = values[source..<source + kernel]
        }
      }
    }
    return result
  }
}
