// LRN across channels.

import Foundation
import KilnIR
import KilnRuntime
import Testing

@Test func lrnDividesByTheNeighbouringSquares() throws {
  let x = try HostTensor(shape: [1, 3, 1, 1], values: [Float(1), 2, 3])
  // alpha / size = 1, beta 1, bias 1: each value over 1 + the sum of squares of its window.
  let result = try kernelOutputs(
    "LRN", opset: 13, [x],
    attributes: [Attribute("size", .int(3)), Attribute("alpha", .float(3)), Attribute("beta", .float(1))])
  let values = result[0]?.scalars(as: Float.self) ?? []
  #expect(zip(values, [Float(1) / 6, Float(2) / 15, Float(3) / 14]).allSatisfy { abs($0 - $1) < 1e-6 })
}

@Test func lrnRejectsAMissingSize() throws {
  #expect(throws: KilnError.self) { try kernelOutputs("LRN", opset: 13, [try HostTensor(shape: [1, 1], values: [Float(1)])]) }
}
