// What `kiln validate` measured and checked, as stable JSON.

import Foundation
import KilnIR

/// The result of validating a candidate model against a reference: the metrics of every
/// output and every threshold check. Written as JSON with sorted keys; `schema` and `version`
/// name the format (`version` rises on any incompatible change).
public struct ValidationReport: Sendable, Codable, Equatable {
  public static let schemaName = "kiln-validation-report"
  public static let currentVersion = 1

  public var schema = Self.schemaName
  public var version = Self.currentVersion
  /// The models' paths as given.
  public var reference: String
  public var candidate: String
  /// The number of samples both models ran on.
  public var samples: Int
  /// In the reference model's output order.
  public var outputs: [OutputMetrics]
  /// Output by output, in the order of `ValidationThresholds.checks(of:)`.
  public var checks: [ThresholdCheck]
  /// With the per-layer diagnosis: every matched candidate tensor, worst first
  /// (`LayerMetrics.ranked`); absent without it.
  public var layers: [LayerMetrics]?
  /// Whether every check passed.
  public var passed: Bool

  public init(reference: String, candidate: String, samples: Int, outputs: [OutputMetrics], checks: [ThresholdCheck], layers: [LayerMetrics]? = nil) {
    self.reference = reference
    self.candidate = candidate
    self.samples = samples
    self.outputs = outputs
    self.checks = checks
    self.layers = layers
    passed = checks.allSatisfy(\.passed)
  }

  /// The checks that failed.
  public var failures: [ThresholdCheck] { checks.filter { !$0.passed } }

  /// The report as pretty-printed JSON with sorted keys; infinities as "Infinity"/"-Infinity".
  public func json() throws -> Data {
    try JSONEncoder.stableReport(self)
  }

  /// Writes `json()` into `file` and commits it.
  public func writeJSON(to file: AtomicOutputFile) throws {
    try file.write(try json())
    try file.commit()
  }
}
