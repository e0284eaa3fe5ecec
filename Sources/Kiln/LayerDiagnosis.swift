// `kiln validate`'s per-layer diagnosis: both models' matched intermediate tensors, compared
// sample by sample.

import KilnIR
import KilnQuant
import KilnRuntime
import KilnValidate

/// Runs both models on every sample while observing their intermediate tensors, and measures
/// each candidate tensor that `TensorMatching` pairs with a reference tensor. Only the current
/// sample's reference tensors still waiting for their candidate are kept.
enum LayerDiagnosis {
  static func layers(
    _ reference: OutputRunner, _ candidate: OutputRunner, source: any CalibrationSource, progress: (Int, Int) -> Void
  ) throws -> [LayerMetrics] {
    let matches = TensorMatching.matches(reference: reference.executor.model.graph, candidate: candidate.executor.model.graph)
    var accumulator = LayerMetricsAccumulator(matches: matches)
    let byTensor = Dictionary(uniqueKeysWithValues: matches.enumerated().map { ($0.element.tensor, $0.offset) })
    let readers = Dictionary(matches.map { ($0.referenceTensor, 1) }, uniquingKeysWith: +)
    for index in 0..<source.count {
      let sample = try source.sample(at: index)
      var kept: [String: HostTensor] = [:]
      _ = try reference.run(sample) { name, tensor in
        if readers[name] != nil, tensor.isFloatingPoint { kept[name] = tensor }
      }
      var waiting = readers
      _ = try candidate.run(sample) { name, tensor in
        guard let position = byTensor[name] else { return }
        let referenceName = matches[position].referenceTensor
        defer {
          waiting[referenceName, default: 1] -= 1
          if waiting[referenceName] == 0 { kept[referenceName] = nil }
        }
        guard let expected = kept[referenceName], tensor.isFloatingPoint, expected.shape == tensor.shape,
          let r = expected.doubleValues(), let c = tensor.doubleValues()
        else { return }
        accumulator.add(position, reference: r, candidate: c)
      }
      progress(index + 1, source.count)
    }
    return accumulator.layers
  }
}
