// Unique: flattened and along an axis, sorted and in order of first occurrence.

import Foundation
import KilnIR
import KilnRuntime
import Testing

/// Runs Unique with all four outputs.
private func unique(_ x: HostTensor, _ attributes: [Attribute] = []) throws -> [[Int64]] {
  let node = Node(
    name: "u", opType: "Unique", outputs: (0..<4).map { Value(name: "out\($0)") }, attributes: attributes)
  guard let kernel = KernelRegistry.standard.kernel(for: node) else { throw KilnError.internalError("no Unique") }
  let outputs = try kernel(KernelInvocation(node: node, opset: 11, inputs: [x]))
  return try outputs.map { tensor in
    guard let tensor else { throw KilnError.internalError("missing output") }
    return try castedToInt64(tensor)
  }
}

private func castedToInt64(_ tensor: HostTensor) throws -> [Int64] {
  tensor.dataType == .int64 ? tensor.scalars(as: Int64.self) : tensor.scalars(as: Float.self).map { Int64($0) }
}

@Test func uniqueFlattensAndSortsOrKeepsFirstOccurrences() throws {
  let x = try HostTensor(shape: [2, 3], values: [Float(2), 1, 1, 3, 4, 3])
  #expect(try unique(x) == [[1, 2, 3, 4], [1, 0, 3, 4], [1, 0, 0, 2, 3, 2], [2, 1, 2, 1]])
  #expect(try unique(x, [Attribute("sorted", .int(0))]) == [[2, 1, 3, 4], [0, 1, 3, 4], [0, 1, 1, 2, 3, 2], [1, 2, 2, 1]])
}

@Test func uniqueComparesSlicesAlongAnAxis() throws {
  let rows = try HostTensor(shape: [3, 3], values: [Float(1), 0, 0, 1, 0, 0, 2, 3, 4])
  #expect(try unique(rows, [Attribute("axis", .int(0))]) == [[1, 0, 0, 2, 3, 4], [0, 2], [0, 0, 1], [2, 1]])
  let columns = try HostTensor(shape: [2, 2], values: [Float(2), 1, 0, 5])
  #expect(try unique(columns, [Attribute("axis", .int(-1))]) == [[1, 2, 5, 0], [1, 0], [1, 0], [1, 1]])
}

@Test func uniqueRejectsAnAxisOutOfRange() throws {
  #expect(throws: KilnError.self) { try unique(try HostTensor(shape: [2], values: [Float(1), 2]), [Attribute("axis", .int(1))]) }
}
