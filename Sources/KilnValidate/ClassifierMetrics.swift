// How often a candidate classifier picks the reference's class, and each one's accuracy.

/// Class agreement of a classifier output over all samples, in percent:
///
///     top1Agreement: the candidate's top class is the reference's
///     top5Agreement: the reference's top class is among the candidate's 5 highest (all C when C < 5)
///
/// With labels, the top-1 accuracy of each model and the drop (reference − candidate, points).
/// Ties go to the lowest class index.
public struct ClassifierMetrics: Sendable, Codable, Equatable {
  public var samples: Int
  public var top1Agreement: Double
  public var top5Agreement: Double
  public var referenceAccuracy: Double?
  public var candidateAccuracy: Double?
  public var top1Drop: Double?

  public init(
    samples: Int, top1Agreement: Double, top5Agreement: Double, referenceAccuracy: Double? = nil,
    candidateAccuracy: Double? = nil, top1Drop: Double? = nil
  ) {
    self.samples = samples
    self.top1Agreement = top1Agreement
    self.top5Agreement = top5Agreement
    self.referenceAccuracy = referenceAccuracy
    self.candidateAccuracy = candidateAccuracy
    self.top1Drop = top1Drop
  }

  /// Whether an output of `shape` (one sample's) is a classifier's: `[1, C]` with C ≥ 2.
  public static func isClassifier(shape: [Int]) -> Bool { shape.count == 2 && shape[0] == 1 && shape[1] >= 2 }
}

/// Counts from which `ClassifierMetrics` follow; samples are added one at a time.
public struct ClassifierMetricsAccumulator: Sendable {
  private var samples = 0
  private var top1Agreements = 0
  private var top5Agreements = 0
  private var labeled = 0
  private var referenceCorrect = 0
  private var candidateCorrect = 0

  public init() {}

  /// Adds one sample's scores, and its class when labels are given.
  public mutating func add(reference: [Double], candidate: [Double], label: Int?) {
    let referenceClass = Self.ranking(reference)[0]
    let candidateRanking = Self.ranking(candidate)
    samples += 1
    if candidateRanking[0] == referenceClass { top1Agreements += 1 }
    if candidateRanking.prefix(5).contains(referenceClass) { top5Agreements += 1 }
    if let label {
      labeled += 1
      if referenceClass == label { referenceCorrect += 1 }
      if candidateRanking[0] == label { candidateCorrect += 1 }
    }
  }

  /// The metrics of the samples added so far; accuracies only when every sample had a label.
  public var metrics: ClassifierMetrics {
    func percent(_ count: Int) -> Double { samples > 0 ? 100 * Double(count) / Double(samples) : 0 }
    var result = ClassifierMetrics(samples: samples, top1Agreement: percent(top1Agreements), top5Agreement: percent(top5Agreements))
    if labeled == samples, samples > 0 {
      let reference = percent(referenceCorrect)
      let candidate = percent(candidateCorrect)
      result.referenceAccuracy = reference
      result.candidateAccuracy = candidate
      result.top1Drop = reference - candidate
    }
    return result
  }

  /// Class indices by score, highest first; ties (and NaN, which ranks last) by index.
  static func ranking(_ scores: [Double]) -> [Int] {
    scores.indices.sorted { a, b in
      let x = scores[a].isNaN ? -Double.infinity : scores[a]
      let y = scores[b].isNaN ? -Double.infinity : scores[b]
      return x != y ? x > y : a < b
    }
  }
}
