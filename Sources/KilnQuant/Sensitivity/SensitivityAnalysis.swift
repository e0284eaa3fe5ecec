// Measuring the output error that int8 quantization of each layer, alone or together, adds.

import KilnIR
import KilnPasses
import KilnRuntime

/// Measures how far int8 quantization moves a float model's outputs on a set of samples.
///
/// The float model's outputs are computed once, when the analysis is made. Each measurement
/// quantizes a copy of the model (`Int8Quantizer` with the given options and ranges, some
/// candidate layers kept float through `skipNodes`), runs it in KilnRuntime on the same
/// samples and compares every float graph output with `OutputError`.
///
/// Layers are the nodes the quantizer would quantize, named by node name. Candidates without a
/// name, or sharing one, are named first (`<op>_<first output>`, made unique) so that each can
/// be kept float on its own: this renames nodes of `model`, the only change made to it.
public final class SensitivityAnalysis {
  /// One candidate layer: a node the quantizer would quantize.
  public struct Layer: Sendable, Equatable {
    public let name: String
    public let opType: String
  }

  /// The float model; measurements quantize copies of it.
  public let model: Model
  public let options: Int8QuantizationOptions
  public let ranges: [String: TensorRange]
  /// The candidate layers in node order.
  public let layers: [Layer]
  /// The number of samples measured.
  public var sampleCount: Int { samples.count }

  private let samples: [CalibrationSample]
  /// The float model's float outputs, per sample, by output name.
  private let reference: [[String: [Double]]]

  /// Reads every sample of `source` and runs the float `model` on them. The model must
  /// already be prepared as it will be quantized (the ranges come from it).
  public init(
    model: Model, options: Int8QuantizationOptions, ranges: [String: TensorRange], samples source: any CalibrationSource
  ) throws {
    self.model = model
    self.options = options
    self.ranges = ranges
    layers = Self.nameCandidates(model, options: options)
    samples = try (0..<source.count).map { try source.sample(at: $0) }
    reference = try Self.floatOutputs(model, samples: samples)
  }

  /// The error of the model quantized with the layers in `kept` left float.
  public func error(keepingFloat kept: Set<String>) throws -> OutputError {
    guard layers.contains(where: { !kept.contains($0.name) }) else { return .none }
    var keptOptions = options
    keptOptions.skipNodes.formUnion(kept)
    let quantized = model.copy()
    _ = try Int8Quantizer(options: keptOptions).quantize(quantized, ranges: ranges)
    let executor = try Executor(model: quantized)
    var accumulator = OutputErrorAccumulator()
    for (sample, expected) in zip(samples, reference) {
      try accumulator.add(reference: expected, actual: try executor.run(sample))
    }
    return accumulator.result
  }

  /// The error that quantizing `layer` alone adds: every other layer kept float.
  public func error(quantizingOnly layer: Layer) throws -> OutputError {
    try error(keepingFloat: Set(layers.lazy.filter { $0 != layer }.map(\.name)))
  }

  /// Gives every candidate layer a unique, non-empty node name; returns the layers in order.
  private static func nameCandidates(_ model: Model, options: Int8QuantizationOptions) -> [Layer] {
    let candidates = Int8Quantizer(options: options).candidates(of: model.graph)
    var names = NameIndex(taken: model.graph.nodes.map(\.name).filter { !$0.isEmpty } + options.skipNodes)
    var seen = Set<String>()
    for node in candidates {
      if node.name.isEmpty || seen.contains(node.name) {
        node.name = names.claim("\(node.opType)_\(node.outputs.first??.name ?? "layer")")
      }
      seen.insert(node.name)
    }
    return candidates.map { Layer(name: $0.name, opType: $0.opType) }
  }

  /// Runs the float model on every sample; keeps its float outputs, by name.
  private static func floatOutputs(_ model: Model, samples: [CalibrationSample]) throws -> [[String: [Double]]] {
    guard !samples.isEmpty else { throw KilnError.badInput("sensitivity analysis needs at least one sample") }
    let executor = try Executor(model: model)
    return try samples.map { sample in
      let outputs = try executor.run(sample).filter(\.value.isFloatingPoint)
      guard !outputs.isEmpty else {
        throw KilnError.badInput("the model has no float output to measure quantization error on")
      }
      return try outputs.mapValues { tensor in
        let values = tensor.doubleValues() ?? []
        guard values.allSatisfy(\.isFinite) else {
          throw KilnError.badInput("the float model's outputs are not finite on the samples", hint: "check the samples' preprocessing")
        }
        return values
      }
    }
  }
}
