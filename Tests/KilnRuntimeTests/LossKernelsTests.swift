// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss: reductions, weights, ignore_index,
// N-d targets, the log_prob output, and targets out of range.

import Foundation
import KilnIR
import KilnRuntime
import Testing

private func reduction(_ name: String) -> Attribute { Attribute("reduction", .string(Data(name.utf8))) }

/// Log-probabilities of two samples over three classes, and their target classes.
private var logProbabilities: HostTensor { get throws { try floats([-1, -2, -3, -0.5, -1.5, -2.5], [2, 3]) } }
private var targets: HostTensor { get throws { try HostTensor(shape: [2], values: [Int64(2), 0]) } }

@Test func negativeLogLikelihoodReducesByNoneSumAndMean() throws {
  let none = try runKernel("NegativeLogLikelihoodLoss", [logProbabilities, targets], attributes: [reduction("none")])
  #expect(none.shape == [2])
  #expect(none.scalars(as: Float.self) == [3, 0.5])
  let sum = try runKernel("NegativeLogLikelihoodLoss", [logProbabilities, targets], attributes: [reduction("sum")])
  #expect(sum.shape == [])
  #expect(sum.scalars(as: Float.self) == [3.5])
  let mean = try runKernel("NegativeLogLikelihoodLoss", [logProbabilities, targets])
  #expect(mean.scalars(as: Float.self) == [1.75])
}

@Test func negativeLogLikelihoodMeanDividesByTheWeightOfTargetsKept() throws {
  let weight = try floats([1, 2, 4])
  let weighted = try runKernel("NegativeLogLikelihoodLoss", [logProbabilities, targets, weight])
  #expect(weighted.scalars(as: Float.self) == [2.5])  // (3·4 + 0.5·1) / (4 + 1)
  let ignoring = try runKernel(
    "NegativeLogLikelihoodLoss", [logProbabilities, targets], attributes: [Attribute("ignore_index", .int(0))])
  #expect(ignoring.scalars(as: Float.self) == [3])
}

@Test func negativeLogLikelihoodTakesSpatialTargetsAndNegativeIgnoreIndex() throws {
  // One sample, two classes, two positions: class 0 is [-1, -2], class 1 is [-3, -4].
  let input = try floats([-1, -2, -3, -4], [1, 2, 2])
  let target = try HostTensor(shape: [1, 2], values: [Int32(1), 0])
  let none = try runKernel("NegativeLogLikelihoodLoss", [input, target], attributes: [reduction("none")])
  #expect(none.shape == [1, 2])
  #expect(none.scalars(as: Float.self) == [3, 2])
  let ignored = try runKernel(
    "NegativeLogLikelihoodLoss", [input, try HostTensor(shape: [1, 2], values: [Int32(1), -1])],
    attributes: [reduction("none"), Attribute("ignore_index", .int(-1))])
  #expect(ignored.scalars(as: Float.self) == [3, 0])
}

@Test func lossesRefuseTargetsOutOfRangeAndBadShapes() throws {
  let outOfRange = try HostTensor(shape: [2], values: [Int64(3), 0])
  #expect(throws: KilnError.self) { try runKernel("NegativeLogLikelihoodLoss", [logProbabilities, outOfRange]) }
  let negative = try HostTensor(shape: [2], values: [Int64(-1), 0])
  #expect(throws: KilnError.self) { try runKernel("SoftmaxCrossEntropyLoss", [logProbabilities, negative]) }
  let wrongShape = try HostTensor(shape: [3], values: [Int64(0), 0, 0])
  #expect(throws: KilnError.self) { try runKernel("NegativeLogLikelihoodLoss", [logProbabilities, wrongShape]) }
  #expect(throws: KilnError.self) { try runKernel("NegativeLogLikelihoodLoss", [try floats([1, 2]), targets]) }
  #expect(throws: KilnError.self) {
    try runKernel("NegativeLogLikelihoodLoss", [logProbabilities, targets, try floats([1, 2])])
  }
  #expect(throws: KilnError.self) {
    try runKernel("NegativeLogLikelihoodLoss", [logProbabilities, targets], attributes: [reduction("max")])
  }
}

@Test func softmaxCrossEntropyReturnsTheLossAndLogProbabilities() throws {
  // softmax([0, ln 3]) = [1/4, 3/4].
  let scores = try HostTensor(shape: [1, 2], values: [0, log(3.0)])
  let outputs = try runLinearKernel(
    "SoftmaxCrossEntropyLoss", [scores, try HostTensor(shape: [1], values: [Int64(0)])], outputs: 2, opset: 13)
  #expect(outputs.count == 2)
  let loss = try #require(outputs[0]?.scalars(as: Double.self).first)
  #expect(abs(loss - log(4.0)) < 1e-12)
  let logProbabilities = try #require(outputs[1]?.scalars(as: Double.self))
  #expect(abs(logProbabilities[0] - log(0.25)) < 1e-12 && abs(logProbabilities[1] - log(0.75)) < 1e-12)
}

@Test func softmaxCrossEntropyKeepsHalfPrecision() throws {
  let scores = try HostTensor(shape: [2, 2], values: [Float16(0), 0, 0, 0])
  let loss = try runKernel(
    "SoftmaxCrossEntropyLoss", [scores, try HostTensor(shape: [2], values: [Int32(1), 0])],
    attributes: [reduction("sum")])
  #expect(loss.dataType == .float16)
  #expect(abs(Float(loss.scalars(as: Float16.self)[0]) - 2 * Float(log(2.0))) < 1e-3)
}
