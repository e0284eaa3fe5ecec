// Adagrad, Adam and Momentum (standard and Nesterov) of ai.onnx.preview.training, on one and
// on several tensors per call.

import Foundation
import KilnIR
import KilnRuntime
import Testing

/// Runs one optimizer step with learning rate `rate` at step `step`.
private func optimize(
  _ op: String, rate: Float, step: Int64, _ tensors: [HostTensor], outputs: Int,
  _ attributes: [String: AttributeValue]
) throws -> [[Float]] {
  let inputs = [try HostTensor(scalar: rate), try HostTensor(scalar: step)] + tensors
  let results = try runLinearKernel(
    op, inputs, attributes: attributes, outputs: outputs, opset: 1, domain: "ai.onnx.preview.training")
  return results.map { $0?.scalars(as: Float.self) ?? [] }
}

@Test func adagradScalesEachTensorByItsAccumulatedSquares() throws {
  // H' = H + G², X' = X − 0.1·G / √H'.
  let results = try optimize(
    "Adagrad", rate: 0.1, step: 0,
    [try floats([1]), try floats([2, 3]), try floats([2]), try floats([1, 1]), try floats([0]), try floats([3, 0])],
    outputs: 4, ["epsilon": .float(0)])
  #expect(results[2] == [4])
  #expect(results[3] == [4, 1])
  #expect(close(results[0], [0.9]))
  #expect(close(results[1], [1.95, 2.9]))
}

@Test func adamCorrectsTheRateForBiasOnceStepsBegin() throws {
  // V' = 0.5·0 + 0.5·2 = 1, H' = 0.25·4 = 1, r = 0.1·√(1 − 0.75) / (1 − 0.5) = 0.1.
  let attributes: [String: AttributeValue] = [
    "alpha": .float(0.5), "beta": .float(0.75), "epsilon": .float(0), "norm_coefficient_post": .float(0.5),
  ]
  let results = try optimize(
    "Adam", rate: 0.1, step: 1, [try floats([1]), try floats([2]), try floats([0]), try floats([0])],
    outputs: 3, attributes)
  #expect(results[1] == [1])
  #expect(results[2] == [1])
  #expect(close(results[0], [0.45]))  // (1 − 0.5)·(1 − 0.1·1/1)
}

@Test func momentumStepsStandardAndNesterov() throws {
  func step(_ mode: String, _ t: Int64) throws -> [[Float]] {
    let attributes: [String: AttributeValue] = [
      "alpha": .float(0.9), "beta": .float(0.1), "norm_coefficient": .float(0), "mode": .string(Data(mode.utf8)),
    ]
    return try optimize(
      "Momentum", rate: 0.5, step: t, [try floats([1]), try floats([2]), try floats([1])], outputs: 2, attributes)
  }
  let standard = try step("standard", 1)  // V' = 0.9 + 0.1·2 = 1.1, X' = 1 − 0.5·1.1
  #expect(close(standard[1], [1.1]) && close(standard[0], [0.45]))
  let first = try step("standard", 0)  // the gradient counts fully on the first step
  #expect(close(first[1], [2.9]) && close(first[0], [-0.45]))
  let nesterov = try step("nesterov", 1)  // X' = 1 − 0.5·(2 + 0.9·1.1)
  #expect(close(nesterov[0], [-0.495]))
  #expect(throws: KilnError.self) { try step("heavy-ball", 1) }
}

@Test func optimizersRefuseMissingAttributesAndMismatchedGroups() throws {
  let group = [try floats([1]), try floats([2]), try floats([1])]
  #expect(throws: KilnError.self) { try optimize("Momentum", rate: 0.1, step: 1, group, outputs: 2, [:]) }
  #expect(throws: KilnError.self) { try optimize("Adagrad", rate: 0.1, step: 1, Array(group.prefix(2)), outputs: 1, [:]) }
  #expect(throws: KilnError.self) {
    try optimize("Adagrad", rate: 0.1, step: 1, [try floats([1]), try floats([2, 3]), try floats([1])], outputs: 2, [:])
  }
}
