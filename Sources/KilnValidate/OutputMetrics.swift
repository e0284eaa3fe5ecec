// How close a candidate model's output is to the reference model's, over all samples.

import Foundation

/// The distance between one output of the candidate (`c`) and of the reference (`r`), with the
/// output's elements on every sample taken as one vector, computed in Double:
///
///     cosine       = r·c / (‖r‖ ‖c‖)         (1 when both are 0, 0 when one is)
///     maxAbsError  = max |r − c|
///     meanAbsError = Σ|r − c| / elements
///     snrDB        = 10·log10(Σr² / Σ(r − c)²)  (+∞ when identical)
public struct OutputMetrics: Sendable, Codable, Equatable {
  /// The output's name.
  public var name: String
  /// Elements compared over all samples.
  public var elements: Int
  public var cosine: Double
  public var maxAbsError: Double
  public var meanAbsError: Double
  public var snrDB: Double
  /// For a classifier output (`[1, C]` per sample, C ≥ 2), how often the classes agree.
  public var classifier: ClassifierMetrics?
  /// The distribution of |r − c| (absent in reports written before it existed).
  public var errorHistogram: ErrorHistogram?

  public init(
    name: String, elements: Int, cosine: Double, maxAbsError: Double, meanAbsError: Double, snrDB: Double,
    classifier: ClassifierMetrics? = nil, errorHistogram: ErrorHistogram? = nil
  ) {
    self.name = name
    self.elements = elements
    self.cosine = cosine
    self.maxAbsError = maxAbsError
    self.meanAbsError = meanAbsError
    self.snrDB = snrDB
    self.classifier = classifier
    self.errorHistogram = errorHistogram
  }
}

/// Sums from which `OutputMetrics` follow; samples are added one at a time, in order.
public struct OutputMetricsAccumulator: Sendable {
  public let name: String
  private var elements = 0
  private var dot = 0.0
  private var squaredReference = 0.0
  private var squaredCandidate = 0.0
  private var squaredDifference = 0.0
  private var absoluteDifference = 0.0
  private var maxAbsError = 0.0
  private var histogram: ErrorHistogram?

  /// With `histogram`, the metrics carry the distribution of the absolute errors too.
  public init(name: String, histogram: Bool = false) {
    self.name = name
    self.histogram = histogram ? ErrorHistogram() : nil
  }

  /// Adds one sample's elements; both arrays have the same count.
  public mutating func add(reference: [Double], candidate: [Double]) {
    precondition(reference.count == candidate.count, "the caller checks that the outputs have the same size")
    elements += reference.count
    for (r, c) in zip(reference, candidate) {
      let difference = r.isNaN && c.isNaN ? 0 : Swift.abs(r - c)
      let error = difference.isNaN ? Double.infinity : difference
      dot += r * c
      squaredReference += r * r
      squaredCandidate += c * c
      squaredDifference += error * error
      absoluteDifference += error
      maxAbsError = Swift.max(maxAbsError, error)
      histogram?.add(error)
    }
  }

  /// The metrics of the samples added so far.
  public var metrics: OutputMetrics {
    let norms = (squaredReference * squaredCandidate).squareRoot()
    let cosine = norms > 0 ? dot / norms : (squaredReference == squaredCandidate ? 1 : 0)
    let snr = squaredDifference == 0 ? Double.infinity : 10 * Foundation.log10(squaredReference / squaredDifference)
    return OutputMetrics(
      name: name, elements: elements, cosine: cosine, maxAbsError: maxAbsError,
      meanAbsError: elements > 0 ? absoluteDifference / Double(elements) : 0, snrDB: snr, errorHistogram: histogram)
  }
}
