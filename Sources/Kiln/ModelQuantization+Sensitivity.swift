// Sensitivity analysis inside `kiln quantize`: which layers stay float32, and the report.

import Foundation
import KilnIR
import KilnQuant

/// Sensitivity analysis for an int8 quantization: the samples, the selection, the report file.
public struct SensitivityRequest: Sendable {
  /// The sample source (`--images` or `--inputs` with preprocessing).
  public var samples: CalibrationDataRequest
  /// How many samples (the first ones) to measure on.
  public var sampleCount: Int
  public var selection: FloatLayerSelection
  /// Where to write the report as JSON, if anywhere.
  public var reportPath: String?
  /// Gets a line per measurement.
  public var progress: @Sendable (String) -> Void

  public init(
    samples: CalibrationDataRequest, sampleCount: Int = 32, selection: FloatLayerSelection = .none, reportPath: String? = nil,
    progress: @escaping @Sendable (String) -> Void = { _ in }
  ) {
    self.samples = samples
    self.sampleCount = sampleCount
    self.selection = selection
    self.reportPath = reportPath
    self.progress = progress
  }
}

extension ModelQuantization {
  /// Ranks the layers of the prepared `model` and chooses those to keep float. When a
  /// `maxError` bound cannot be met with any layer quantized, writes the report and throws a
  /// validation failure (exit 1): the model is not written.
  static func analyzeSensitivity(
    _ model: Model, options: Int8QuantizationOptions, ranges: [String: TensorRange], request: SensitivityRequest
  ) throws -> SensitivityReport {
    guard request.sampleCount >= 1 else {
      throw KilnError(.usage, "the number of sensitivity samples must be at least 1, not \(request.sampleCount)")
    }
    let data = try CalibrationData.load(for: model, request: request.samples)
    let samples = try ShardedSource(base: data.source, limit: request.sampleCount)
    let analysis = try SensitivityAnalysis(model: model, options: options, ranges: ranges, samples: samples)
    request.progress("sensitivity: \(analysis.layers.count) layers on \(samples.count) samples")
    let report = try analysis.report(selecting: request.selection, progress: { request.progress("sensitivity: \($0)") })
    if report.selection.boundMet == false, let bound = report.selection.maxError {
      if let path = request.reportPath { try report.write(to: AtomicOutputFile(destination: path)) }
      throw KilnError(
        .validationFailed,
        "no int8 model meets --max-error \(bound): with all but one of the \(report.layers.count) layers kept float32 the error is still \(report.errorWithKeptLayers.relativeL2)",
        hint: "raise the bound, or check the ranges; the model was not written")
    }
    return report
  }
}

extension Int8QuantizationReport {
  /// Says of each node in `kept` that sensitivity analysis kept it float32.
  mutating func markKeptFloat(_ kept: [String]) {
    for index in nodes.indices where kept.contains(nodes[index].name) {
      nodes[index].reason = "kept float32 by sensitivity analysis"
    }
  }
}

extension SensitivityReport {
  /// Lines for `kiln quantize`'s summary: the worst layers, the model's error, what stays float.
  var summaryLines: [String] {
    var lines = ["sensitivity (\(metric) on \(samples) samples), worst first:"]
    lines += layers.prefix(10).map {
      "  \($0.rank). \($0.name) (\($0.opType)): \(String(format: "%.4g", $0.error)), cosine \(String(format: "%.6f", $0.cosine))"
    }
    if layers.count > 10 { lines.append("  ... \(layers.count - 10) more in the report") }
    lines.append("  all quantized: \(String(format: "%.4g", errorAllQuantized.relativeL2))")
    if !keptFloat.isEmpty {
      lines.append(
        "  kept float32: \(keptFloat.joined(separator: ", ")): \(String(format: "%.4g", errorWithKeptLayers.relativeL2))")
    }
    return lines
  }
}
