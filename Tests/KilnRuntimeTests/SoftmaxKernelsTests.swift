// Softmax, LogSoftmax, Hardmax: axis semantics before and from opset 13, stability.

import Foundation
import KilnIR
import KilnRuntime
import Testing

@Test func softmaxIsStableAndRunsAlongTheLastAxisFrom13() throws {
  let data = try HostTensor(shape: [2, 2], values: [Float(1000), 1000, 0, Float(log(3.0))])
  let result = try kernelOutputs("Softmax", opset: 13, [data])
  #expect(close(result[0]?.scalars(as: Float.self) ?? [], [0.5, 0.5, 0.25, 0.75]))
  let logResult = try kernelOutputs("LogSoftmax", opset: 13, [data])
  #expect(close(logResult[0]?.scalars(as: Float.self) ?? [], [-Float(log(2.0)), -Float(log(2.0)), -Float(log(4.0)), -Float(log(4.0 / 3.0))]))
}

@Test func softmaxBefore13CoercesToTwoDimensions() throws {
  let data = try HostTensor(shape: [1, 2, 2], values: [Float(0), 0, 0, 0])
  let old = try kernelOutputs("Softmax", opset: 11, [data])
  #expect(close(old[0]?.scalars(as: Float.self) ?? [], [0.25, 0.25, 0.25, 0.25]))
  let new = try kernelOutputs("Softmax", opset: 13, [data], attributes: [Attribute("axis", .int(1))])
  #expect(close(new[0]?.scalars(as: Float.self) ?? [], [0.5, 0.5, 0.5, 0.5]))
}

@Test func hardmaxMarksTheFirstMaximum() throws {
  let data = try HostTensor(shape: [2, 3], values: [Float(1), 3, 3, 2, 0, 1])
  let result = try kernelOutputs("Hardmax", opset: 13, [data])
  #expect(result[0]?.scalars(as: Float.self) == [0, 1, 0, 1, 0, 0])
}

@Test func softmaxRejectsBadAxisAndIntegerInput() throws {
  let data = try HostTensor(shape: [2], values: [Float(1), 2])
  #expect(throws: KilnError.self) { try kernelOutputs("Softmax", opset: 13, [data], attributes: [Attribute("axis", .int(1))]) }
  #expect(throws: KilnError.self) { try kernelOutputs("Softmax", opset: 13, [try HostTensor(scalar: Int32(1))]) }
}
