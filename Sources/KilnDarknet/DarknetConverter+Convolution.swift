// [convolutional] and [connected]: weighted layers with optional batch normalization, and the
// activations they (and [shortcut]) end with.

import KilnIR

/// The batch-normalization parameters a weighted layer stores after its biases.
private struct BatchNormParameters {
  var scales: TensorStorage
  var mean: TensorStorage
  var variance: TensorStorage
}

extension DarknetConverter {
  /// `[convolutional]`: Conv (bias in the Conv unless batch_normalize), BatchNormalization,
  /// activation. Darknet's `pad=1` means `size/2` on every side; `dilation` widens the kernel
  /// and the padding alike, as darknet does.
  mutating func convolutional(_ index: Int, _ section: DarknetSection, _ input: LayerOutput) throws -> LayerOutput {
    let x = mapped(input, index)
    let filters = try Self.positive(section, "filters", default: 1)
    let size = try Self.positive(section, "size", default: 1)
    let stride = try Self.positive(section, "stride", default: 1)
    let groups = try Self.positive(section, "groups", default: 1)
    let dilation = size == 1 ? 1 : try Self.positive(section, "dilation", default: 1)
    let padding = try section.int("pad", default: 0) != 0 ? size / 2 : try section.int("padding", default: 0)
    guard (0...Self.maxSize).contains(padding) else { throw KilnError.badInput("padding=\(padding) is out of range") }
    guard x.channels % groups == 0, filters % groups == 0 else {
      throw KilnError.badInput("groups=\(groups) must divide both the \(x.channels) input channels and the \(filters) filters")
    }
    let pad = padding * dilation
    let extent = dilation * (size - 1) + 1
    guard x.height + 2 * pad >= extent, x.width + 2 * pad >= extent else {
      throw KilnError.badInput("a \(size)x\(size) kernel (dilation \(dilation)) does not fit the \(x.height)x\(x.width) input")
    }
    let name = "conv_\(index)"
    let batchNormalize = try section.int("batch_normalize", default: 0) != 0
    let biases = try weights.take(filters, "biases", of: name)
    let normalization = batchNormalize ? try batchNormParameters(filters, of: name) : nil
    let kernelDims = [filters, x.channels / groups, size, size]
    let kernel = emitter.weight(
      "\(name).weight", dims: kernelDims.map(Int64.init),
      try weights.take(Self.checkedCount(kernelDims[0], kernelDims[1], size, size), "weights", of: name))
    var inputs = [x.value, kernel]
    if !batchNormalize { inputs.append(emitter.weight("\(name).bias", dims: [Int64(filters)], biases)) }
    var result = LayerOutput(
      value: x.value, channels: filters, height: (x.height + 2 * pad - extent) / stride + 1,
      width: (x.width + 2 * pad - extent) / stride + 1, isFlat: false)
    result.value = emitter.node(
      "Conv", name, inputs, dims: result.dims,
      attributes: [
        Attribute("kernel_shape", .ints([Int64(size), Int64(size)])),
        Attribute("strides", .ints([Int64(stride), Int64(stride)])),
        Attribute("pads", .ints(Array(repeating: Int64(pad), count: 4))),
        Attribute("dilations", .ints([Int64(dilation), Int64(dilation)])),
        Attribute("group", .int(Int64(groups))),
      ])
    if let normalization { result.value = batchNormalization(index, result, normalization, biases: biases) }
    result.value = try activation(section, default: "logistic", index, result)
    return result
  }

  /// `[connected]`: Flatten, Gemm with the weights as `[output, inputs]`, BatchNormalization,
  /// activation. Darknet stores a connected layer's biases, then its weights, then (with
  /// batch_normalize) scales, mean and variance.
  mutating func connected(_ index: Int, _ section: DarknetSection, _ input: LayerOutput) throws -> LayerOutput {
    let outputs = try Self.positive(section, "output", default: 1)
    let name = "fullyConnected_\(index)"
    let inputs = input.elementCount
    var x = input
    if !input.isFlat {
      x = LayerOutput(value: input.value, channels: inputs, height: 1, width: 1, isFlat: true)
      x.value = emitter.node("Flatten", "\(name)/flatten", [input.value], dims: x.dims, attributes: [Attribute("axis", .int(1))])
    }
    let batchNormalize = try section.int("batch_normalize", default: 0) != 0
    let biases = try weights.take(outputs, "biases", of: name)
    let matrix = emitter.weight(
      "\(name).weight", dims: [Int64(outputs), Int64(inputs)],
      try weights.take(Self.checkedCount(outputs, inputs), "weights", of: name))
    let normalization = batchNormalize ? try batchNormParameters(outputs, of: name) : nil
    var gemmInputs = [x.value, matrix]
    if !batchNormalize { gemmInputs.append(emitter.weight("\(name).bias", dims: [Int64(outputs)], biases)) }
    var result = LayerOutput(value: x.value, channels: outputs, height: 1, width: 1, isFlat: true)
    result.value = emitter.node("Gemm", name, gemmInputs, dims: result.dims, attributes: [Attribute("transB", .int(1))])
    if let normalization { result.value = batchNormalization(index, result, normalization, biases: biases) }
    result.value = try activation(section, default: "logistic", index, result)
    return result
  }

  /// The activation a layer names (or `defaultKind`, darknet's default for the layer type)
  /// applied to `x`; `linear` adds nothing. Mish and swish are spelled out in opset-17 ops.
  func activation(_ section: DarknetSection, default defaultKind: String, _ index: Int, _ x: LayerOutput) throws -> Value {
    let kind = section.string("activation", default: defaultKind)
    let name = "\(kind)_\(index)"
    switch kind {
    case "linear": return x.value
    case "leaky": return emitter.node("LeakyRelu", name, [x.value], dims: x.dims, attributes: [Attribute("alpha", .float(0.1))])
    case "relu": return emitter.node("Relu", name, [x.value], dims: x.dims)
    case "logistic": return emitter.node("Sigmoid", name, [x.value], dims: x.dims)
    case "swish":
      let gate = emitter.node("Sigmoid", "\(name)/sigmoid", [x.value], dims: x.dims)
      return emitter.node("Mul", name, [x.value, gate], dims: x.dims)
    case "mish":
      let softplus = emitter.node("Softplus", "\(name)/softplus", [x.value], dims: x.dims)
      let gate = emitter.node("Tanh", "\(name)/tanh", [softplus], dims: x.dims)
      return emitter.node("Mul", name, [x.value, gate], dims: x.dims)
    default: throw KilnError.internalError("activation '\(kind)' passed the support check without a conversion")
    }
  }

  private mutating func batchNormParameters(_ count: Int, of layer: String) throws -> BatchNormParameters {
    BatchNormParameters(
      scales: try weights.take(count, "batch-norm scales", of: layer),
      mean: try weights.take(count, "batch-norm rolling mean", of: layer),
      variance: try weights.take(count, "batch-norm rolling variance", of: layer))
  }

  /// BatchNormalization `bn_<index>` over `x`: darknet's biases are its shift (beta), and its
  /// epsilon is darknet's 1e-6.
  private func batchNormalization(
    _ index: Int, _ x: LayerOutput, _ parameters: BatchNormParameters, biases: TensorStorage
  ) -> Value {
    let name = "bn_\(index)"
    let dims = [Int64(x.channels)]
    let inputs = [
      x.value,
      emitter.weight("\(name).scale", dims: dims, parameters.scales),
      emitter.weight("\(name).bias", dims: dims, biases),
      emitter.weight("\(name).mean", dims: dims, parameters.mean),
      emitter.weight("\(name).variance", dims: dims, parameters.variance),
    ]
    return emitter.node("BatchNormalization", name, inputs, dims: x.dims, attributes: [Attribute("epsilon", .float(1e-6))])
  }
}
