// The bounds a candidate model's outputs must meet, and checking them output by output.

import Foundation
import KilnIR

/// The bounds of `kiln validate`, each optional; from flags or a small JSON config file whose
/// keys are these properties' names (`{"minCosine": 0.999, "maxTop1Drop": 1}`).
public struct ValidationThresholds: Sendable, Codable, Equatable {
  /// The largest top-1 accuracy drop in points (needs labels; classifier outputs).
  public var maxTop1Drop: Double?
  /// The smallest top-1 agreement in percent (classifier outputs).
  public var minTop1Agreement: Double?
  /// The smallest cosine similarity (every output).
  public var minCosine: Double?
  /// The largest absolute error (every output).
  public var maxAbsError: Double?
  /// The smallest SNR in dB (every output).
  public var minSnrDb: Double?

  public init(
    maxTop1Drop: Double? = nil, minTop1Agreement: Double? = nil, minCosine: Double? = nil,
    maxAbsError: Double? = nil, minSnrDb: Double? = nil
  ) {
    self.maxTop1Drop = maxTop1Drop
    self.minTop1Agreement = minTop1Agreement
    self.minCosine = minCosine
    self.maxAbsError = maxAbsError
    self.minSnrDb = minSnrDb
  }

  /// The config file's keys.
  public static let keys = ["maxTop1Drop", "minTop1Agreement", "minCosine", "maxAbsError", "minSnrDb"]

  /// Reads a config file; an unknown key or a value that is not a number is bad input.
  public static func load(path: String) throws -> ValidationThresholds {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw KilnError.badInput("cannot read the thresholds file", file: path)
    }
    guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      throw KilnError.badInput("the thresholds file is not a JSON object", file: path)
    }
    let known = Set(Self.keys)
    if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
      throw KilnError.badInput(
        "unknown threshold '\(unknown)'", file: path, hint: "known: \(Self.keys.joined(separator: ", "))")
    }
    do {
      return try JSONDecoder().decode(ValidationThresholds.self, from: data)
    } catch {
      throw KilnError.badInput("every threshold must be a number", file: path)
    }
  }

  /// These thresholds with every one that `other` sets taken from `other`.
  public func overridden(by other: ValidationThresholds) -> ValidationThresholds {
    ValidationThresholds(
      maxTop1Drop: other.maxTop1Drop ?? maxTop1Drop, minTop1Agreement: other.minTop1Agreement ?? minTop1Agreement,
      minCosine: other.minCosine ?? minCosine, maxAbsError: other.maxAbsError ?? maxAbsError,
      minSnrDb: other.minSnrDb ?? minSnrDb)
  }

  /// Every check of these thresholds on every output it applies to, output by output. A
  /// threshold that applies to no output is bad input (top-1 ones need a classifier output,
  /// the drop needs labels too).
  public func checks(of outputs: [OutputMetrics]) throws -> [ThresholdCheck] {
    var checks: [ThresholdCheck] = []
    for output in outputs {
      checks += [
        minCosine.map { ThresholdCheck(metric: "cosine", output: output.name, value: output.cosine, bound: $0, isMinimum: true) },
        maxAbsError.map { ThresholdCheck(metric: "maxAbsError", output: output.name, value: output.maxAbsError, bound: $0, isMinimum: false) },
        minSnrDb.map { ThresholdCheck(metric: "snrDB", output: output.name, value: output.snrDB, bound: $0, isMinimum: true) },
        minTop1Agreement.flatMap { bound in
          output.classifier.map {
            ThresholdCheck(metric: "top1Agreement", output: output.name, value: $0.top1Agreement, bound: bound, isMinimum: true)
          }
        },
        maxTop1Drop.flatMap { bound in
          output.classifier?.top1Drop.map {
            ThresholdCheck(metric: "top1Drop", output: output.name, value: $0, bound: bound, isMinimum: false)
          }
        },
      ].compactMap { $0 }
    }
    if minTop1Agreement != nil, !outputs.contains(where: { $0.classifier != nil }) {
      throw KilnError(.usage, "--min-top1-agreement needs a classifier output ([1, C] per sample), and the model has none")
    }
    if maxTop1Drop != nil, !outputs.contains(where: { $0.classifier?.top1Drop != nil }) {
      throw KilnError(.usage, "--max-top1-drop needs --labels and a classifier output ([1, C] per sample)")
    }
    return checks
  }
}

/// One threshold checked on one output.
public struct ThresholdCheck: Sendable, Codable, Equatable {
  /// The metric's name in the report (`cosine`, `maxAbsError`, `snrDB`, `top1Agreement`, `top1Drop`).
  public var metric: String
  public var output: String
  public var value: Double
  public var bound: Double
  /// Whether the bound is a minimum (the value must be at least it) or a maximum.
  public var isMinimum: Bool
  public var passed: Bool

  public init(metric: String, output: String, value: Double, bound: Double, isMinimum: Bool) {
    self.metric = metric
    self.output = output
    self.value = value
    self.bound = bound
    self.isMinimum = isMinimum
    passed = isMinimum ? value >= bound : value <= bound
  }

  /// "cosine of 'logits' is 0.91, below the minimum 0.99" (or "within the minimum").
  public var message: String {
    let relation = passed ? "within the" : (isMinimum ? "below the" : "above the")
    return "\(metric) of '\(output)' is \(Self.format(value)), \(relation) \(isMinimum ? "minimum" : "maximum") \(Self.format(bound))"
  }

  /// A number in at most 6 significant digits.
  static func format(_ value: Double) -> String { String(format: "%.6g", value) }
}
