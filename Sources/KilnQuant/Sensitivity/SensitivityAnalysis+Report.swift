// Ranking layers by the error they add and choosing which stay float32.

import Foundation
import KilnIR

extension SensitivityAnalysis {
  /// Measures every layer alone and the whole model, ranks the layers worst first (by
  /// relative L2 error; ties in node order) and keeps layers float as `selection` asks.
  /// `progress` gets one line per measurement.
  public func report(selecting selection: FloatLayerSelection, progress: (String) -> Void = { _ in }) throws
    -> SensitivityReport
  {
    var measured: [(layer: Layer, error: OutputError)] = []
    for (index, layer) in layers.enumerated() {
      let error = try error(quantizingOnly: layer)
      progress("layer \(index + 1)/\(layers.count) \(layer.name) (\(layer.opType)): error \(format(error))")
      measured.append((layer, error))
    }
    let ranked = measured.enumerated().sorted {
      ($0.element.error.relativeL2, $1.offset) > ($1.element.error.relativeL2, $0.offset)
    }.map(\.element)
    let allQuantized = try error(keepingFloat: [])
    progress("all \(layers.count) layers quantized: error \(format(allQuantized))")
    var report = SensitivityReport(
      samples: sampleCount,
      layers: ranked.enumerated().map { rank, entry in
        .init(rank: rank + 1, name: entry.layer.name, opType: entry.layer.opType, error: entry.error.relativeL2, cosine: entry.error.cosine)
      },
      errorAllQuantized: allQuantized, errorWithKeptLayers: allQuantized, keptFloat: [], selection: .init())
    try select(selection, ranked: ranked.map(\.layer.name), into: &report, progress: progress)
    return report
  }

  private func select(
    _ selection: FloatLayerSelection, ranked: [String], into report: inout SensitivityReport, progress: (String) -> Void
  ) throws {
    switch selection {
    case .none:
      return
    case .worst(let count):
      guard (0...ranked.count).contains(count) else {
        throw KilnError(.usage, "cannot keep \(count) layers in float32: the model has \(ranked.count) layers to quantize")
      }
      report.selection.keepWorst = count
      report.keptFloat = Array(ranked.prefix(count))
      report.errorWithKeptLayers = try error(keepingFloat: Set(report.keptFloat))
      progress("\(count) worst layers kept float32: error \(format(report.errorWithKeptLayers))")
    case .maxError(let bound):
      report.selection.maxError = bound
      var kept = 0
      while report.errorWithKeptLayers.relativeL2 > bound, kept + 1 < ranked.count {
        kept += 1
        report.keptFloat = Array(ranked.prefix(kept))
        report.errorWithKeptLayers = try error(keepingFloat: Set(report.keptFloat))
        progress("\(kept) worst layers kept float32: error \(format(report.errorWithKeptLayers))")
      }
      report.selection.boundMet = report.errorWithKeptLayers.relativeL2 <= bound
    }
  }

  private func format(_ error: OutputError) -> String {
    String(format: "%.4g (cosine %.6f)", error.relativeL2, error.cosine)
  }
}
