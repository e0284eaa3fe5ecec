// How far each matched intermediate tensor of the candidate is from the reference's, and which
// layers lose the most accuracy.

import Foundation

/// One layer's output tensor measured against the reference over all samples (the metrics of
/// `OutputMetrics`), with the error it adds:
///
///     relativeError = ‖r − c‖ / ‖r‖ = 10^(−snrDB / 20)
///     addedError    = relativeError − the largest relativeError of its matched inputs
///
/// so that a layer whose error only carries its inputs' on adds about 0.
public struct LayerMetrics: Sendable, Codable, Equatable {
  /// The producing node's name and op type in the candidate.
  public var node: String
  public var opType: String
  /// The candidate tensor and the reference tensor it was compared with.
  public var tensor: String
  public var referenceTensor: String
  public var elements: Int
  public var cosine: Double
  public var maxAbsError: Double
  public var meanAbsError: Double
  public var snrDB: Double
  public var relativeError: Double
  public var addedError: Double

  public init(match: TensorMatch, metrics: OutputMetrics, inputError: Double) {
    node = match.node
    opType = match.opType
    tensor = match.tensor
    referenceTensor = match.referenceTensor
    elements = metrics.elements
    cosine = metrics.cosine
    maxAbsError = metrics.maxAbsError
    meanAbsError = metrics.meanAbsError
    snrDB = metrics.snrDB
    relativeError = Self.relativeError(snrDB: metrics.snrDB)
    addedError = relativeError.isInfinite && inputError.isInfinite ? 0 : relativeError - inputError
  }

  /// ‖r − c‖ / ‖r‖ from the SNR in dB.
  static func relativeError(snrDB: Double) -> Double { Foundation.pow(10, -snrDB / 20) }

  /// Worst first: the largest added error, then the largest relative error, then by tensor name.
  public static func ranked(_ layers: [LayerMetrics]) -> [LayerMetrics] {
    layers.sorted { a, b in
      if a.addedError != b.addedError { return a.addedError > b.addedError }
      if a.relativeError != b.relativeError { return a.relativeError > b.relativeError }
      return a.tensor < b.tensor
    }
  }
}

/// Sums per matched tensor, sample by sample; tensors never compared (not floating point, or
/// of another shape) are left out of the result.
public struct LayerMetricsAccumulator: Sendable {
  public let matches: [TensorMatch]
  private var outputs: [OutputMetricsAccumulator]

  public init(matches: [TensorMatch]) {
    self.matches = matches
    outputs = matches.map { OutputMetricsAccumulator(name: $0.tensor) }
  }

  /// Adds one sample of match `index`.
  public mutating func add(_ index: Int, reference: [Double], candidate: [Double]) {
    outputs[index].add(reference: reference, candidate: candidate)
  }

  /// The layers, ranked worst first.
  public var layers: [LayerMetrics] {
    let metrics = outputs.map(\.metrics)
    let errors = Dictionary(
      zip(matches, metrics).filter { $0.1.elements > 0 }.map { ($0.0.tensor, LayerMetrics.relativeError(snrDB: $0.1.snrDB)) },
      uniquingKeysWith: { first, _ in first })
    let layers = zip(matches, metrics).filter { $0.1.elements > 0 }.map { match, metrics in
      LayerMetrics(match: match, metrics: metrics, inputError: match.inputs.compactMap { errors[$0] }.max() ?? 0)
    }
    return LayerMetrics.ranked(layers)
  }
}
