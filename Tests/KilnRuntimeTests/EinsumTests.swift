// Einsum: products, diagonals, transposes, sums, implicit outputs, ellipsis broadcasting.

import Foundation
import KilnIR
import KilnRuntime
import Testing

/// Einsum of `inputs` under `equation`, as floats with its shape.
private func einsum(_ equation: String, _ inputs: HostTensor...) throws -> (shape: [Int], values: [Float]) {
  let outputs = try kernelOutputs(
    "Einsum", opset: 12, inputs, attributes: [Attribute("equation", .string(Data(equation.utf8)))])
  guard let result = outputs.first ?? nil else { throw KilnError.internalError("no output") }
  return (result.shape, result.scalars(as: Float.self))
}

private var square: HostTensor { get throws { try floats([1, 2, 3, 4], [2, 2]) } }

@Test func einsumMultipliesAndContractsChains() throws {
  #expect(try einsum("ij,jk->ik", square, floats([5, 6, 7, 8], [2, 2])) == ([2, 2], [19, 22, 43, 50]))
  #expect(try einsum("i,i", floats([1, 2, 3]), floats([4, 5, 6])) == ([], [32]))
  #expect(try einsum("i,j->ij", floats([1, 2]), floats([3, 4, 5])) == ([2, 3], [3, 4, 5, 6, 8, 10]))
  let identity = try floats([1, 0, 0, 1], [2, 2]), swap = try floats([0, 1, 1, 0], [2, 2])
  #expect(try einsum("ij,jk,kl->il", square, identity, swap) == ([2, 2], [2, 1, 4, 3]))
}

@Test func einsumTakesDiagonalsTransposesAndSums() throws {
  #expect(try einsum("ii->i", square) == ([2], [1, 4]))
  #expect(try einsum("ii", square) == ([], [5]))
  #expect(try einsum("ji", square) == ([2, 2], [1, 3, 2, 4]))
  #expect(try einsum("ij->", square) == ([], [10]))
  #expect(try einsum("ij->j", square) == ([2], [4, 6]))
}

@Test func einsumBroadcastsOverEllipsis() throws {
  // Implicit output: the ellipsis axes, then i and k.
  #expect(try einsum("...ij,jk", floats([1, 2, 3, 4], [2, 1, 2]), floats([1, 1], [2, 1])) == ([2, 1, 1], [3, 7]))
  #expect(try einsum("...i,...i->...", square, floats([1, 10], [1, 2])) == ([2], [21, 43]))
  let double = try kernelOutputs(
    "Einsum", opset: 12, [try HostTensor(shape: [2], values: [1.5, 2.5])],
    attributes: [Attribute("equation", .string(Data("i->".utf8)))])
  #expect(double[0]?.scalars(as: Double.self) == [4])
}

@Test func einsumRejectsBadEquationsAndTypes() throws {
  #expect(throws: KilnError.self) { try einsum("ij,jk", square) }
  #expect(throws: KilnError.self) { try einsum("ij->k", square) }
  #expect(throws: KilnError.self) { try einsum("ijk", square) }
  #expect(throws: KilnError.self) { try einsum("i.j", square) }
  #expect(throws: KilnError.self) { try einsum("ij,jk", floats([1, 2, 3, 4, 5, 6], [2, 3]), square) }
  #expect(throws: KilnError.self) { try einsum("i", HostTensor(shape: [2], values: [Int32(1), 2])) }
  let empty = try HostTensor(zeros: .float, shape: [0, 1 << 40])
  #expect(try einsum("ij->ji", empty).shape == [1 << 40, 0])
}
