// The GEMM over packed weights: sums, bias, clamp, edges of the panels and blocks, threads.

import Testing

@testable import KilnRuntime

/// One product's operands, with row strides wider than the rows (as a Winograd block's are).
private struct ProductCase: CustomTestStringConvertible {
  let rows: Int, depth: Int, columns: Int
  var activation: FusedActivation? = nil
  var withBias = true

  var testDescription: String {
    "\(rows)×\(depth)·\(depth)×\(columns)\(withBias ? " + bias" : "")\(activation.map { " clamp [\($0.low), \($0.high)]" } ?? "")"
  }

  var bStride: Int { columns + 3 }
  var cStride: Int { columns + 5 }

  /// Small integers and halves: every product and partial sum is exact in float32.
  func values(_ count: Int, seed: Int) -> [Float] { (0..<count).map { Float(($0 * 7 + seed) % 11 - 5) / 2 } }

  var a: [Float] { values(rows * depth, seed: 1) }
  var b: [Float] { values(depth * bStride, seed: 3) }
  var bias: [Float] { values(rows, seed: 5) }

  /// C by the definition, in Double, padding columns of C left at -1.
  var expected: [Float] {
    var c = [Float](repeating: -1, count: rows * cStride)
    let (a, b, bias) = (a, b, bias)
    for i in 0..<rows {
      for j in 0..<columns {
        var sum = withBias ? Double(bias[i]) : 0
        for p in 0..<depth { sum += Double(a[i * depth + p]) * Double(b[p * bStride + j]) }
        let value = Float(sum)
        c[i * cStride + j] = activation.map { min(max(value, $0.low), $0.high) } ?? value
      }
    }
    return c
  }

  /// C from `PackedProduct`, computed by `compute`.
  func computed(_ compute: (PackedProduct) -> Void) -> [Float] {
    var packed = [Float](repeating: .nan, count: PackedMatrix.count(rows: rows, depth: depth))
    let (a, b, bias) = (a, b, bias)
    var c = [Float](repeating: -1, count: rows * cStride)
    packed.withUnsafeMutableBufferPointer { packed in
      PackedMatrix.pack(a, rows: rows, depth: depth, stride: depth, into: packed.baseAddress!)
      let matrix = PackedMatrix(rows: rows, depth: depth, values: UnsafePointer(packed.baseAddress!))
      b.withUnsafeBufferPointer { b in
        bias.withUnsafeBufferPointer { bias in
          c.withUnsafeMutableBufferPointer { c in
            compute(PackedProduct(
              matrix, b: b.baseAddress!, bStride: bStride, columns: columns, c: c.baseAddress!, cStride: cStride,
              bias: withBias ? bias.baseAddress! : nil, activation: activation))
          }
        }
      }
    }
    return c
  }
}

private let cases = [
  ProductCase(rows: 1, depth: 1, columns: 1),
  ProductCase(rows: 6, depth: 16, columns: 16),
  ProductCase(rows: 7, depth: 3, columns: 17, activation: FusedActivation(low: 0, high: .infinity)),
  ProductCase(rows: 13, depth: 257, columns: 9, withBias: false),
  ProductCase(rows: 20, depth: 600, columns: 41, activation: FusedActivation(low: -3, high: 6)),
  ProductCase(rows: 5, depth: 40, columns: 300),
  ProductCase(rows: 400, depth: 20, columns: 24, activation: FusedActivation(low: 0, high: .infinity)),
  ProductCase(rows: 3, depth: 0, columns: 5, activation: FusedActivation(low: -1, high: 1)),
]

@Test(arguments: cases)
private func theProductIsTheSumTheBiasAndTheClamp(_ product: ProductCase) {
  #expect(product.computed { $0.compute(threads: 1) } == product.expected)
}

@Test(arguments: cases)
private func threadsComputeTheSameBits(_ product: ProductCase) {
  let one = product.computed { $0.compute(threads: 1) }
  for threads in [2, 3] { #expect(product.computed { $0.compute(threads: threads) } == one) }
}

@Test func aBlockLeavesTheRestOfCUntouched() {
  let product = ProductCase(rows: 14, depth: 30, columns: 40)
  let expected = product.expected
  let block = product.computed { product in
    PackedProduct.Workspace.with { product.compute(rows: 6..<14, columns: 17..<33, workspace: $0) }
  }
  for row in 0..<product.rows {
    for column in 0..<product.cStride {
      let inside = (6..<14).contains(row) && (17..<33).contains(column)
      #expect(block[row * product.cStride + column] == (inside ? expected[row * product.cStride + column] : -1))
    }
  }
}

@Test func theClampKeepsNaN() {
  let product = ProductCase(rows: 2, depth: 1, columns: 3, activation: FusedActivation(low: 0, high: 1))
  var packed = [Float](repeating: 0, count: PackedMatrix.count(rows: 2, depth: 1))
  let a: [Float] = [1, .nan], b: [Float] = [-2, 0.5, 9]
  var c = [Float](repeating: 0, count: 6)
  packed.withUnsafeMutableBufferPointer { packed in
    PackedMatrix.pack(a, rows: 2, depth: 1, stride: 1, into: packed.baseAddress!)
    c.withUnsafeMutableBufferPointer { c in
      PackedProduct(
        PackedMatrix(rows: 2, depth: 1, values: UnsafePointer(packed.baseAddress!)), b: b, bStride: 3, columns: 3,
        c: c.baseAddress!, cStride: 3, bias: nil, activation: product.activation
      ).compute(threads: 1)
    }
  }
  #expect(Array(c[0..<3]) == [0, 0.5, 1])
  #expect(c[3...].allSatisfy { $0.isNaN })
}
