// MatMul and Gemm, and the kernel-calling helper the linear-algebra kernel tests share.

import Foundation
import KilnIR
import KilnRuntime
import Testing

/// Runs the standard kernel for `op` on `inputs` and returns its outputs.
func runLinearKernel(
  _ op: String, _ inputs: [HostTensor?], attributes: [String: AttributeValue] = [:],
  outputs: Int = 1, opset: Int64 = 17, domain: String = ""
) throws -> [HostTensor?] {
  let node = Node(
    name: "n", opType: op, domain: domain, outputs: (0..<outputs).map { Value(name: "y\($0)") },
    attributes: attributes.sorted { $0.key < $1.key }.map { Attribute($0.key, $0.value) })
  guard let kernel = KernelRegistry.standard.kernel(for: node) else { throw KilnError.badInput("no \(op)") }
  return try kernel(KernelInvocation(node: node, opset: opset, inputs: inputs))
}

/// A float32 tensor.
func linearFloats(_ shape: [Int], _ values: [Float]) throws -> HostTensor {
  try HostTensor(shape: shape, values: values)
}

/// The string form of an attribute.
func linearString(_ text: String) -> AttributeValue { .string(Data(text.utf8)) }

@Test func matMulMultipliesMatricesAndPromotesVectors() throws {
  let a = try linearFloats([2, 3], [1, 2, 3, 4, 5, 6]), b = try linearFloats([3, 2], [1, 0, 0, 1, 1, 1])
  let product = try runLinearKernel("MatMul", [a, b])[0]
  #expect(product?.shape == [2, 2])
  #expect(product?.scalars(as: Float.self) == [4, 5, 10, 11])
  let vector = try runLinearKernel("MatMul", [try linearFloats([3], [1, 2, 3]), b])[0]
  #expect(vector?.shape == [2])
  #expect(vector?.scalars(as: Float.self) == [4, 5])
}

@Test func matMulBroadcastsBatchDimensions() throws {
  let a = try linearFloats([2, 1, 2], [1, 2, 3, 4]), b = try linearFloats([2, 1], [1, 1])
  let product = try runLinearKernel("MatMul", [a, b])[0]
  #expect(product?.shape == [2, 1, 1])
  #expect(product?.scalars(as: Float.self) == [3, 7])
}

@Test func matMulOfIntegersAndHalfFloats() throws {
  let ints = try runLinearKernel(
    "MatMul", [try HostTensor(shape: [1, 2], values: [Int64(1), 2]), try HostTensor(shape: [2], values: [Int64(3), 4])])[0]
  #expect(ints?.shape == [1])
  #expect(ints?.scalars(as: Int64.self) == [11])
  let halves = try runLinearKernel(
    "MatMul", [try HostTensor(shape: [1, 2], values: [Float16(1), 2]), try HostTensor(shape: [2, 1], values: [Float16(3), 4])])[0]
  #expect(halves?.scalars(as: Float16.self) == [11])
}

@Test func matMulRefusesMismatchedInnerDimensions() throws {
  #expect(throws: KilnError.self) {
    try runLinearKernel("MatMul", [try linearFloats([2, 3], [Float](repeating: 0, count: 6)), try linearFloats([2, 2], [0, 0, 0, 0])])
  }
}

@Test func gemmScalesTransposesAndBroadcastsC() throws {
  let a = try linearFloats([2, 2], [1, 2, 3, 4]), b = try linearFloats([2, 2], [1, 0, 0, 1]), c = try linearFloats([2], [2, 4])
  let result = try runLinearKernel(
    "Gemm", [a, b, c], attributes: ["alpha": .float(2), "beta": .float(0.5), "transB": .int(1)])[0]
  #expect(result?.scalars(as: Float.self) == [3, 6, 7, 10])
  let transposed = try runLinearKernel(
    "Gemm", [try linearFloats([2, 1], [1, 2]), try linearFloats([2, 1], [3, 4])], attributes: ["transA": .int(1)])[0]
  #expect(transposed?.shape == [1, 1])
  #expect(transposed?.scalars(as: Float.self) == [11])
}

@Test func gemmRefusesACThatDoesNotBroadcast() throws {
  let a = try linearFloats([2, 2], [1, 2, 3, 4])
  #expect(throws: KilnError.self) { try runLinearKernel("Gemm", [a, a, try linearFloats([3], [1, 2, 3])]) }
  #expect(throws: KilnError.self) { try runLinearKernel("Gemm", [a, try linearFloats([3, 1], [1, 2, 3])]) }
}

@Test func matMulStacksBatchesOverASharedMatrix() throws {
  let a = try linearFloats([2, 1, 2], [1, 2, 3, 4]), b = try linearFloats([2, 2], [1, 0, 0, 2])
  let product = try runLinearKernel("MatMul", [a, b])[0]
  #expect(product?.shape == [2, 1, 2])
  #expect(product?.scalars(as: Float.self) == [1, 4, 3, 8])
}
