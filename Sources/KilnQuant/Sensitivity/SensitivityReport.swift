// The result of sensitivity analysis: layers ranked by the error they add, and what stays float.

import Foundation
import KilnIR

/// Which layers sensitivity analysis keeps in float32.
public enum FloatLayerSelection: Sendable, Equatable {
  /// None: only measure.
  case none
  /// The K layers that add the most error.
  case worst(Int)
  /// The worst layers, one more at a time in rank order, each time re-measuring the whole
  /// model, until its error is at most the bound.
  case maxError(Double)
}

/// What sensitivity analysis measured, as `kiln quantize --sensitivity` writes it (stable JSON:
/// sorted keys, `schemaVersion` raised on any incompatible change).
public struct SensitivityReport: Sendable, Codable, Equatable {
  /// One layer: the error that quantizing it alone adds, and its place in the ranking.
  public struct Layer: Sendable, Codable, Equatable {
    /// 1 for the layer that adds the most error.
    public var rank: Int
    public var name: String
    public var opType: String
    public var error: Double
    public var cosine: Double
  }

  /// The selection asked for, and whether a bound was met.
  public struct Selection: Sendable, Codable, Equatable {
    /// `--keep-fp32 K`.
    public var keepWorst: Int?
    /// `--max-error E`.
    public var maxError: Double?
    /// With `maxError`: whether a model with at least one layer quantized meets it.
    public var boundMet: Bool?
  }

  public static let currentSchemaVersion = 1
  public static let metricName = "relative-l2"
  public static let metricDefinition =
    "||q - f|| / ||f|| over every element of every float model output on every sample (q: quantized, f: float32)"

  public var schemaVersion = Self.currentSchemaVersion
  /// The metric that ranks layers and that `maxError` bounds.
  public var metric = Self.metricName
  public var metricDefinition = Self.metricDefinition
  /// The number of samples measured.
  public var samples: Int
  /// Worst first.
  public var layers: [Layer]
  /// The whole model with every layer quantized.
  public var errorAllQuantized: OutputError
  /// The whole model with the layers in `keptFloat` left float32 (the model written).
  public var errorWithKeptLayers: OutputError
  /// The layers left float32, worst first.
  public var keptFloat: [String]
  public var selection: Selection

  /// The report as stable, pretty-printed JSON; an infinite error is written as "Infinity".
  public func json() throws -> Data {
    try JSONEncoder.stableReport(self)
  }

  /// Writes `json()` into `file` and commits it.
  public func write(to file: AtomicOutputFile) throws {
    try file.write(try json())
    try file.commit()
  }
}
