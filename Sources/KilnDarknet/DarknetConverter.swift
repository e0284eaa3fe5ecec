// Walks a Darknet cfg layer by layer, building the IR graph and reading the weights in step.

import KilnIR

/// Converts a parsed cfg and its weights into a graph of plain ONNX (opset 17) ops.
///
/// Layers are converted in cfg order; each one's result is kept by layer index, so that
/// `[route]` and `[shortcut]` can refer back to it. Names follow OpenCV's Darknet importer
/// (`conv_0`, `bn_0`, `leaky_0`, `pool_1`, `yolo_16`, ...), numbered by darknet layer index.
struct DarknetConverter {
  let config: DarknetConfig
  var weights: DarknetWeights
  let emitter: DarknetGraphEmitter
  /// The result of every layer converted so far, by darknet layer index.
  var results: [LayerOutput] = []
  /// The `[yolo]` layers met so far.
  var yoloLayers: [YoloLayer] = []

  init(config: DarknetConfig, weights: DarknetWeights, graphName: String) {
    self.config = config
    self.weights = weights
    self.emitter = DarknetGraphEmitter(name: graphName)
  }

  /// Converts every layer and returns the graph, its outputs set: each `[yolo]` layer's input,
  /// then the last layer's result unless that is a `[yolo]` one.
  mutating func convert() throws -> Graph {
    let problems = DarknetLayerSupport.problems(in: config.layers)
    guard problems.isEmpty else {
      throw KilnError.badInput(
        "\(problems.count) problem\(problems.count == 1 ? "" : "s") with Darknet layers Kiln cannot convert:\n  "
          + problems.joined(separator: "\n  "),
        hint: "convert the model with darknet's or OpenCV's tools to ONNX first, or change the cfg")
    }
    var current = try input()
    for (index, section) in config.layers.enumerated() {
      do {
        current = try convertLayer(index, section, current)
      } catch let error as KilnError {
        var located = error
        located.message = "layer \(index) [\(section.type)] on line \(section.line): \(error.message)"
        throw located
      }
      results.append(current)
    }
    try weights.checkFullyRead()
    setOutputs(last: current)
    return emitter.graph
  }

  /// The graph input `[1, channels, height, width]` from `[net]`.
  private func input() throws -> LayerOutput {
    let net = config.net
    let sizes = try ["channels", "height", "width"].map { key in
      let size = try net.int(key, default: 0)
      guard (1...Self.maxSize).contains(size) else {
        throw KilnError.badInput("line \(net.line): [\(net.type)] needs \(key) between 1 and \(Self.maxSize), found \(size)")
      }
      return size
    }
    let value = emitter.input("input", dims: [1] + sizes.map(Int64.init))
    return LayerOutput(value: value, channels: sizes[0], height: sizes[1], width: sizes[2], isFlat: false)
  }

  private mutating func convertLayer(_ index: Int, _ section: DarknetSection, _ input: LayerOutput) throws -> LayerOutput {
    switch section.type {
    case "convolutional", "conv": return try convolutional(index, section, input)
    case "connected": return try connected(index, section, input)
    case "maxpool": return try maxpool(index, section, input)
    case "avgpool": return avgpool(index, input)
    case "softmax": return softmax(index, input)
    case "route": return try route(index, section)
    case "shortcut": return try shortcut(index, section, input)
    case "upsample": return try upsample(index, section, input)
    case "yolo": return try yolo(index, section, input)
    case "dropout": return input
    default: throw KilnError.internalError("layer type '\(section.type)' passed the support check without a conversion")
    }
  }

  /// `x` as a `[1, C, H, W]` map: a flat result gets a Reshape to `[1, C, 1, 1]`.
  func mapped(_ x: LayerOutput, _ index: Int) -> LayerOutput {
    guard x.isFlat else { return x }
    var result = x
    result.isFlat = false
    let shape = emitter.int64s("reshape_\(index).shape", result.dims)
    result.value = emitter.node("Reshape", "reshape_\(index)", [x.value, shape], dims: result.dims)
    return result
  }

  private func setOutputs(last: LayerOutput) {
    let graph = emitter.graph
    graph.outputs = yoloLayers.map(\.output)
    if config.layers.last?.type != "yolo" { graph.outputs.append(last.value) }
  }

  /// The largest channel count, spatial size, kernel or stride Kiln accepts from a cfg; it keeps
  /// size arithmetic on hostile files far from overflow.
  static let maxSize = 1 << 20

  /// A positive layer parameter no larger than `maxSize`.
  static func positive(_ section: DarknetSection, _ key: String, default defaultValue: Int) throws -> Int {
    let value = try section.int(key, default: defaultValue)
    guard (1...maxSize).contains(value) else {
      throw KilnError.badInput("\(key)=\(value) must be between 1 and \(maxSize)")
    }
    return value
  }

  /// The product of `factors`; a product too large for a tensor is bad input, not an overflow.
  static func checkedCount(_ factors: Int...) throws -> Int {
    var product = 1
    for factor in factors {
      let (next, overflow) = product.multipliedReportingOverflow(by: factor)
      guard !overflow, next <= Int(Int32.max) * 64 else {
        throw KilnError.badInput("the layer would hold more than \(Int(Int32.max) * 64) values")
      }
      product = next
    }
    return product
  }
}
