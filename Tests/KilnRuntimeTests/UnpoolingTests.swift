// MaxUnpool with the inferred shape and with a larger output_shape.

import Foundation
import KilnIR
import KilnRuntime
import Testing

private var pooled: [Attribute] { [Attribute("kernel_shape", .ints([2, 2])), Attribute("strides", .ints([2, 2]))] }
private var x: HostTensor { get throws { try HostTensor(shape: [1, 1, 2, 2], values: [Float(5), 6, 7, 8]) } }
private func indices(_ values: [Int64]) throws -> HostTensor { try HostTensor(shape: [1, 1, 2, 2], values: values) }

@Test func maxUnpoolScattersIntoTheInferredShape() throws {
  let result = try kernelOutputs("MaxUnpool", opset: 11, [x, try indices([5, 7, 13, 15])], attributes: pooled)
  #expect(result[0]?.shape == [1, 1, 4, 4])
  var expected = [Float](repeating: 0, count: 16)
  (expected[5], expected[7], expected[13], expected[15]) = (5, 6, 7, 8)
  #expect(result[0]?.scalars(as: Float.self) == expected)
}

@Test func maxUnpoolPlacesTheResultAtTheOriginOfOutputShape() throws {
  let shape = try HostTensor(shape: [4], values: [Int64(1), 1, 5, 5])
  let result = try kernelOutputs("MaxUnpool", opset: 11, [x, try indices([5, 7, 13, 15]), shape], attributes: pooled)
  #expect(result[0]?.shape == [1, 1, 5, 5])
  var expected = [Float](repeating: 0, count: 25)
  (expected[6], expected[8], expected[16], expected[18]) = (5, 6, 7, 8)
  #expect(result[0]?.scalars(as: Float.self) == expected)
}

@Test func maxUnpoolRejectsIndicesOutsideTheOutput() throws {
  #expect(throws: KilnError.self) { try kernelOutputs("MaxUnpool", opset: 11, [x, try indices([5, 7, 13, 16])], attributes: pooled) }
}
