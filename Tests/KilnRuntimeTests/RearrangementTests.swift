// DepthToSpace (DCR, CRD), SpaceToDepth and ReverseSequence.

import Foundation
import KilnIR
import KilnRuntime
import Testing

private func int64(_ values: [Int64], _ shape: [Int]) throws -> HostTensor { try HostTensor(shape: shape, values: values) }
private var blocks: [Attribute] { [Attribute("blocksize", .int(2))] }

@Test func depthToSpaceInBothModes() throws {
  let x = try int64(Array(0..<8), [1, 8, 1, 1])
  let dcr = try kernelOutputs("DepthToSpace", opset: 13, [x], attributes: blocks)
  #expect(dcr[0]?.shape == [1, 2, 2, 2])
  #expect(dcr[0]?.scalars(as: Int64.self) == [0, 2, 4, 6, 1, 3, 5, 7])
  let crd = try kernelOutputs("DepthToSpace", opset: 13, [x], attributes: blocks + [Attribute("mode", .string(Data("CRD".utf8)))])
  #expect(crd[0]?.scalars(as: Int64.self) == [0, 1, 2, 3, 4, 5, 6, 7])
}

@Test func spaceToDepthUndoesDepthToSpaceDCR() throws {
  let x = try int64([0, 2, 4, 6, 1, 3, 5, 7], [1, 2, 2, 2])
  let result = try kernelOutputs("SpaceToDepth", opset: 13, [x], attributes: blocks)
  #expect(result[0]?.shape == [1, 8, 1, 1])
  #expect(result[0]?.scalars(as: Int64.self) == Array(0..<8))
}

@Test func spaceAndDepthRejectIndivisibleShapes() throws {
  #expect(throws: KilnError.self) { try kernelOutputs("DepthToSpace", opset: 13, [try int64([0, 1], [1, 2, 1, 1])], attributes: blocks) }
  #expect(throws: KilnError.self) { try kernelOutputs("SpaceToDepth", opset: 13, [try int64([0, 1], [1, 1, 1, 2])], attributes: blocks) }
}

@Test func reverseSequenceAlongTimeOrBatchFirst() throws {
  let timeMajor = try kernelOutputs("ReverseSequence", opset: 10, [try int64(Array(0..<8), [4, 2]), try int64([3, 1], [2])])
  #expect(timeMajor[0]?.scalars(as: Int64.self) == [4, 1, 2, 3, 0, 5, 6, 7])
  let batchMajor = try kernelOutputs(
    "ReverseSequence", opset: 10, [try int64(Array(0..<8), [2, 4]), try int64([2, 4], [2])],
    attributes: [Attribute("batch_axis", .int(0)), Attribute("time_axis", .int(1))])
  #expect(batchMajor[0]?.scalars(as: Int64.self) == [1, 0, 2, 3, 7, 6, 5, 4])
}

@Test func reverseSequenceRejectsLengthsBeyondTheTimeAxis() throws {
  #expect(throws: KilnError.self) {
    try kernelOutputs("ReverseSequence", opset: 10, [try int64(Array(0..<8), [4, 2]), try int64([5, 1], [2])])
  }
}
