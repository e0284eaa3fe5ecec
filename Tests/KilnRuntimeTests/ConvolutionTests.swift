// Conv and ConvTranspose on small hand-computed cases.

import KilnIR
import KilnRuntime
import Testing

private let nine = (1...9).map(Float.init)

@Test func convSlidesAKernelAndAddsBias() throws {
  let x = try linearFloats([1, 1, 3, 3], nine), w = try linearFloats([1, 1, 2, 2], [1, 1, 1, 1])
  let y = try runLinearKernel("Conv", [x, w, try linearFloats([1], [1])])[0]
  #expect(y?.shape == [1, 1, 2, 2])
  #expect(y?.scalars(as: Float.self) == [13, 17, 25, 29])
}

@Test func convPadsWithSameUpper() throws {
  let x = try linearFloats([1, 1, 3, 3], nine), w = try linearFloats([1, 1, 3, 3], [Float](repeating: 1, count: 9))
  let y = try runLinearKernel("Conv", [x, w], attributes: ["auto_pad": linearString("SAME_UPPER")])[0]
  #expect(y?.shape == [1, 1, 3, 3])
  #expect(y?.scalars(as: Float.self) == [12, 21, 16, 27, 45, 33, 24, 39, 28])
}

@Test func convWithGroupsStridesAndDilations() throws {
  let depthwise = try runLinearKernel(
    "Conv", [try linearFloats([1, 2, 2], [1, 2, 3, 4]), try linearFloats([2, 1, 1], [2, 10])], attributes: ["group": .int(2)])[0]
  #expect(depthwise?.scalars(as: Float.self) == [2, 4, 30, 40])
  let x = try linearFloats([1, 1, 5], [1, 2, 3, 4, 5]), w = try linearFloats([1, 1, 2], [1, 1])
  let dilated = try runLinearKernel("Conv", [x, w], attributes: ["dilations": .ints([2])])[0]
  #expect(dilated?.scalars(as: Float.self) == [4, 6, 8])
  let strided = try runLinearKernel("Conv", [x, w], attributes: ["strides": .ints([2]), "pads": .ints([1, 0])])[0]
  #expect(strided?.scalars(as: Float.self) == [1, 5, 9])
}

@Test func convRefusesMismatchedChannelsAndOversizedKernels() throws {
  let x = try linearFloats([1, 2, 2], [1, 2, 3, 4])
  #expect(throws: KilnError.self) { try runLinearKernel("Conv", [x, try linearFloats([1, 3, 1], [1, 1, 1])]) }
  #expect(throws: KilnError.self) { try runLinearKernel("Conv", [x, try linearFloats([1, 2, 3], [Float](repeating: 1, count: 6))]) }
  #expect(throws: KilnError.self) {
    try runLinearKernel("Conv", [x, try linearFloats([1, 1, 1], [1])], attributes: ["group": .int(0)])
  }
  #expect(throws: KilnError.self) {
    try runLinearKernel("Conv", [x, try linearFloats([1, 2, 1], [1, 1])], attributes: ["pads": .ints([1 << 62, 1 << 62])])
  }
}

@Test func convTransposeScattersWithStridesAndOutputPadding() throws {
  let x = try linearFloats([1, 1, 2], [1, 2]), w = try linearFloats([1, 1, 2], [1, 1])
  #expect(try runLinearKernel("ConvTranspose", [x, w])[0]?.scalars(as: Float.self) == [1, 3, 2])
  let strided = try runLinearKernel("ConvTranspose", [x, w], attributes: ["strides": .ints([2])])[0]
  #expect(strided?.scalars(as: Float.self) == [1, 1, 2, 2])
  let padded = try runLinearKernel(
    "ConvTranspose", [x, w], attributes: ["strides": .ints([2]), "output_padding": .ints([1])])[0]
  #expect(padded?.scalars(as: Float.self) == [1, 1, 2, 2, 0])
  let shaped = try runLinearKernel(
    "ConvTranspose", [x, w], attributes: ["strides": .ints([2]), "output_shape": .ints([3])])[0]
  #expect(shaped?.scalars(as: Float.self) == [1, 2, 2])
}

@Test func convTransposeRefusesIndivisibleGroups() throws {
  let x = try linearFloats([1, 3, 1], [1, 2, 3]), w = try linearFloats([3, 1, 1], [1, 1, 1])
  #expect(throws: KilnError.self) { try runLinearKernel("ConvTranspose", [x, w], attributes: ["group": .int(2)]) }
}

@Test func convKeepsHalfPrecision() throws {
  let x = try HostTensor(shape: [1, 1, 3], values: [Float16(1), 2, 3])
  let w = try HostTensor(shape: [1, 1, 2], values: [Float16(1), 0.5])
  let y = try runLinearKernel("Conv", [x, w])[0]
  #expect(y?.dataType == .float16)
  #expect(y?.scalars(as: Float16.self) == [2, 3.5])
}
