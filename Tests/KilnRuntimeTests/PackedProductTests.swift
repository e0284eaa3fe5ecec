// The GEMM over packed weights: sums across the edges of panels, strips and blocks; blocks of C.

import Testing

@testable import KilnRuntime

/// One product's operands, with row strides wider than the rows (as a Winograd block's are).
private struct ProductCase: CustomTestStringConvertible {
  let rows: Int, depth: Int, columns: Int

  var testDescription: String { "\(rows)×\(depth)·\(depth)×\(columns)" }

  var bStride: Int { columns + 3 }
  var cStride: Int { columns + 5 }

  /// Small integers and halves: every product and partial sum is exact in float32.
  func values(_ count: Int, seed: Int) -> [Float] { (0..<count).map { Float(($0 * 7 + seed) % 11 - 5) / 2 } }

  var a: [Float] { values(rows * depth, seed: 1) }
  var b: [Float] { values(depth * bStride, seed: 3) }

  /// C by the definition, in Double, padding columns of C left at -1.
  var expected: [Float] {
    var c = [Float](repeating: -1, count: rows * cStride)
    let (a, b) = (a, b)
    for i in 0..<rows {
      for j in 0..<columns {
        var sum = 0.0
        for p in 0..<depth { sum += Double(a[i * depth + p]) * Double(b[p * bStride + j]) }
        c[i * cStride + j] = Float(sum)
      }
    }
    return c
  }

  /// C (starting at -1 everywhere) after `compute` on the product.
  func computed(_ compute: (PackedProduct, PackedProduct.Workspace) -> Void) -> [Float] {
    var packed = [Float](repeating: .nan, count: PackedMatrix.count(rows: rows, depth: depth))
    let (a, b) = (a, b)
    var c = [Float](repeating: -1, count: rows * cStride)
    packed.withUnsafeMutableBufferPointer { packed in
      PackedMatrix.pack(a, rows: rows, depth: depth, stride: depth, into: packed.baseAddress!)
      let matrix = PackedMatrix(rows: rows, depth: depth, values: UnsafePointer(packed.baseAddress!))
      b.withUnsafeBufferPointer { b in
        c.withUnsafeMutableBufferPointer { c in
          let product = PackedProduct(matrix, b: b.baseAddress!, bStride: bStride, c: c.baseAddress!, cStride: cStride)
          PackedProduct.Workspace.with { compute(product, $0) }
        }
      }
    }
    return c
  }

  /// All of C in one call.
  var whole: [Float] { computed { $0.compute(rows: 0..<rows, columns: 0..<columns, workspace: $1) } }
}

private let cases = [
  ProductCase(rows: 1, depth: 1, columns: 1),
  ProductCase(rows: 6, depth: 16, columns: 16),
  ProductCase(rows: 7, depth: 3, columns: 17),
  ProductCase(rows: 13, depth: 257, columns: 9),
  ProductCase(rows: 20, depth: 600, columns: 41),
  ProductCase(rows: 5, depth: 40, columns: 300),
  ProductCase(rows: 400, depth: 20, columns: 24),
  ProductCase(rows: 3, depth: 0, columns: 5),
]

@Test(arguments: cases)
private func theProductIsTheSum(_ product: ProductCase) {
  #expect(product.whole == product.expected)
}

/// Blocks of rows (from whole panels) and of columns, as threads compute them, give the bits
/// of one call.
@Test(arguments: cases)
private func blocksOfCGiveTheSameBits(_ product: ProductCase) {
  let rowSplit = 6 * (product.rows / 12), columnSplit = product.columns / 3
  let blocks = product.computed { gemm, workspace in
    for rows in [0..<rowSplit, rowSplit..<product.rows] {
      for columns in [0..<columnSplit, columnSplit..<product.columns] {
        gemm.compute(rows: rows, columns: columns, workspace: workspace)
      }
    }
  }
  #expect(blocks == product.whole)
}

@Test func aBlockLeavesTheRestOfCUntouched() {
  let product = ProductCase(rows: 14, depth: 30, columns: 40)
  let expected = product.expected
  let block = product.computed { $0.compute(rows: 6..<14, columns: 17..<33, workspace: $1) }
  for row in 0..<product.rows {
    for column in 0..<product.cStride {
      let inside = (6..<14).contains(row) && (17..<33).contains(column)
      #expect(block[row * product.cStride + column] == (inside ? expected[row * product.cStride + column] : -1))
    }
  }
}
