// Matrix products whose left operand was packed once: a convolution's weights.

import CKilnKernels

/// A row-major A [rows, depth] in the layout of `kiln_pack_weights` (panels of `KILN_GEMM_ROWS`
/// rows): packed once, when the executor first runs a Conv, and multiplied with a new B on
/// every run without being copied again (OpenBLAS packs both operands on every call).
struct PackedMatrix: @unchecked Sendable {
  let rows: Int, depth: Int
  let values: UnsafePointer<Float>

  /// Floats of a packed [rows, depth] matrix.
  static func count(rows: Int, depth: Int) -> Int { kiln_packed_weights_count(rows, depth) }

  /// Packs A [rows, depth] (row i at `a + i * stride`) into `count(rows:depth:)` floats at `packed`.
  static func pack(
    _ a: UnsafePointer<Float>, rows: Int, depth: Int, stride: Int, into packed: UnsafeMutablePointer<Float>
  ) {
    kiln_pack_weights(a, rows, depth, stride, packed)
  }
}

/// C = A · B with A packed (`PackedMatrix`), B [depth, columns] and C [rows, columns] row-major
/// with their own row strides; C's contents are overwritten. Any block of C can be computed on
/// its own, by any thread with its own workspace.
struct PackedProduct: @unchecked Sendable {
  private let gemm: kiln_packed_gemm

  init(_ a: PackedMatrix, b: UnsafePointer<Float>, bStride: Int, c: UnsafeMutablePointer<Float>, cStride: Int) {
    gemm = kiln_packed_gemm(
      weights: a.values, rows: a.rows, depth: a.depth, b: b, b_stride: bStride, c: c, c_stride: cStride)
  }

  /// C's `rows` (starting at a multiple of `KILN_GEMM_ROWS`) × `columns`.
  func compute(rows: Range<Int>, columns: Range<Int>, workspace: Workspace) {
    withUnsafePointer(to: gemm) { gemm in
      kiln_packed_gemm_run(gemm, rows.lowerBound, rows.upperBound, columns.lowerBound, columns.upperBound,
                           workspace.floats)
    }
  }

  /// The working memory of one thread's `kiln_packed_gemm_run` calls.
  struct Workspace {
    let floats: UnsafeMutablePointer<Float>

    /// Calls `body` with a workspace that lives for the call.
    static func with<Result>(_ body: (Workspace) throws -> Result) rethrows -> Result {
      let bytes = Int(KILN_GEMM_WORKSPACE) * MemoryLayout<Float>.stride
      let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
      defer { raw.deallocate() }
      return try body(Workspace(floats: raw.bindMemory(to: Float.self, capacity: Int(KILN_GEMM_WORKSPACE))))
    }
  }
}
