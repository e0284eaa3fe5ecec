// Converting a parsed Caffe net, layer by layer, into an IR graph.

import CaffeProto
import KilnIR

/// Converts the deploy net's layers in order, with weights matched by layer name.
///
/// Every layer that cannot be converted (an unsupported type or variant, missing or
/// mismatched blobs) is collected, and all of them are reported together in one `.badInput`
/// error. Layers that only read the results of such a layer are skipped, not reported, so
/// each problem appears once.
struct CaffeNetConverter {
  private let builder = CaffeGraphBuilder()
  private let weights: CaffeWeights
  private var problems: [String] = []
  /// Blobs written by layers that failed to convert.
  private var failedBlobs: Set<String> = []

  init(weights: CaffeWeights) { self.weights = weights }

  /// The graph of `net`.
  mutating func convert(_ net: Caffe_NetParameter) throws -> Graph {
    try declareLegacyInputs(net)
    for layer in try layers(of: net) where layer.runsAtInference { convert(layer) }
    guard problems.isEmpty else {
      throw KilnError.badInput(
        "\(problems.count) layer\(problems.count == 1 ? "" : "s") cannot be converted:\n  " + problems.joined(separator: "\n  "),
        hint: "replace these layers, or convert the model to ONNX with another tool")
    }
    guard !builder.graph.inputs.isEmpty else {
      throw KilnError.badInput("the net declares no inputs (no Input layer, input: or input_shape)")
    }
    builder.finish()
    builder.graph.name = net.name
    return builder.graph
  }

  /// The layers in the current form, V1 layers upgraded.
  private func layers(of net: Caffe_NetParameter) throws -> [CaffeLayer] {
    guard net.layer.isEmpty || net.layers.isEmpty else {
      throw KilnError.badInput("the net mixes `layer` and the old `layers` definitions")
    }
    do {
      return try net.layer.map(CaffeLayer.init) + net.layers.map { try CaffeLayer(v1: $0) }
    } catch let problem as KilnCaffeProblem {
      throw KilnError.badInput(problem.reason)
    }
  }

  /// `input:` names with `input_shape` (one per input) or `input_dim` (four per input).
  private func declareLegacyInputs(_ net: Caffe_NetParameter) throws {
    let names = net.input
    if !net.inputShape.isEmpty {
      guard net.inputShape.count == names.count else {
        throw KilnError.badInput("\(names.count) inputs but \(net.inputShape.count) input_shape entries")
      }
      for (name, shape) in zip(names, net.inputShape) { builder.addInput(name, shape: shape.dim.map { Int($0) }) }
    } else if !names.isEmpty {
      guard net.inputDim.count == 4 * names.count else {
        throw KilnError.badInput("\(names.count) inputs need \(4 * names.count) input_dim values, found \(net.inputDim.count)")
      }
      for (index, name) in names.enumerated() {
        builder.addInput(name, shape: net.inputDim[(4 * index)..<(4 * index + 4)].map { Int($0) })
      }
    }
  }

  private mutating func convert(_ layer: CaffeLayer) {
    do {
      if layer.type == "Input" { return try declareInputs(layer) }
      guard let converter = CaffeLayerConverters.byType[layer.type] else {
        throw KilnCaffeProblem("layer type '\(layer.type)' is not supported")
      }
      guard layer.bottoms.allSatisfy({ !failedBlobs.contains($0) }) else {
        failedBlobs.formUnion(layer.tops)
        return
      }
      let inputs = try layer.bottoms.map(builder.read)
      let blobs = weights.blobs(of: layer.name) ?? layer.parameter.blobs.map(CaffeBlob.init)
      let firstNode = builder.graph.nodes.count
      let outputs = try converter(CaffeLayerContext(layer: layer, inputs: inputs, blobs: blobs, builder: builder))
      guard outputs.count == layer.tops.count else {
        throw KilnCaffeProblem("has \(layer.tops.count) tops, expected \(outputs.count)")
      }
      let made = Set(builder.graph.nodes[firstNode...].flatMap(\.outputs).compactMap { $0.map(ObjectIdentifier.init) })
      for (top, value) in zip(layer.tops, outputs) {
        if made.contains(ObjectIdentifier(value)) { builder.nameWrite(value, top: top, layer: layer.name) }
        builder.bind(top, to: value)
      }
    } catch {
      let reason = (error as? KilnCaffeProblem)?.reason ?? "\(error)"
      problems.append("layer '\(layer.name)' (\(layer.type)): \(reason)")
      failedBlobs.formUnion(layer.tops)
    }
  }

  /// An Input layer: one shape for every top, or one per top.
  private func declareInputs(_ layer: CaffeLayer) throws {
    let shapes = layer.parameter.inputParam.shape
    guard shapes.count == 1 || shapes.count == layer.tops.count else {
      throw KilnCaffeProblem("has \(shapes.count) shapes for \(layer.tops.count) tops")
    }
    for (index, top) in layer.tops.enumerated() {
      let dims = shapes[shapes.count == 1 ? 0 : index].dim.map { Int($0) }
      guard !dims.isEmpty, dims.allSatisfy({ $0 > 0 }) else {
        throw KilnCaffeProblem("input '\(top)' needs a static shape, got \(dims)")
      }
      builder.addInput(top, shape: dims)
    }
  }
}
