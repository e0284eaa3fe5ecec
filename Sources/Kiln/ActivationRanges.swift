// Where int8 quantization's activation ranges come from: given, a statistics file, or data.

import KilnIR
import KilnQuant

/// The activation ranges of int8 quantization, by tensor name, for the model after the
/// preparation pipeline.
public enum ActivationRanges {
  /// Ranges given as they are (`--ranges FILE`).
  case given([String: TensorRange])
  /// Ranges chosen from statistics that `kiln calibrate` wrote for the same model (`--stats
  /// FILE`), by `method` or else by the method the statistics name.
  case statistics(CalibrationStatistics, CalibrationMethod?)
  /// Ranges measured now, on the samples `request` names (`--images DIR` ...), chosen by
  /// `method`.
  case calibrate(CalibrationDataRequest, CalibrationMethod, CalibrationOptions)

  /// The ranges for `model`, which has been through the preparation pipeline.
  func resolve(for model: Model) throws -> [String: TensorRange] {
    switch self {
    case .given(let ranges):
      return ranges
    case .statistics(let statistics, let method):
      try Self.check(statistics, describe: model)
      return statistics.ranges(method ?? statistics.method)
    case .calibrate(let request, let method, let options):
      let samples = try CalibrationData.load(for: model, request: request)
      let calibrator = try Calibrator(model: model, threads: options.threads, binCount: options.binCount)
      return try calibrator.run(samples.source, progress: options.progress).ranges(method)
    }
  }

  /// Refuses statistics of another model: a different graph name or inputs.
  private static func check(_ statistics: CalibrationStatistics, describe model: Model) throws {
    let inputs = model.graph.inputs.filter { $0.constant == nil }.map(\.name)
    guard statistics.graphName == model.graph.name, statistics.inputNames == inputs else {
      throw KilnError.badInput(
        "the statistics describe graph '\(statistics.graphName)' with inputs \(statistics.inputNames), "
          + "not this model's graph '\(model.graph.name)' with inputs \(inputs)",
        hint: "run kiln calibrate on this model")
    }
  }
}
