// Matrix products over OpenBLAS: MatMul and Gemm, plus the float helpers the linear families share.

import CBLAS
import KilnIR

extension KernelFamily {
  /// MatMul (numpy semantics: 1-D promotion, broadcast batch dims; sgemm for float32/float16/
  /// double, a wrapping loop for integer types) and Gemm (alpha, beta, transA, transB, optional
  /// C broadcast to [M, N]).
  static let matrixMultiplication = KernelFamily { registry in
    registry.register("MatMul", matMulKernel)
    registry.register("Gemm", gemmKernel)
  }

  private static func matMulKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let a = try invocation.input(0)
    let b = try invocation.input(1)
    guard a.dataType == b.dataType else { throw invocation.failure("inputs have different element types") }
    let plan = try MatMulPlan(a.shape, b.shape, invocation)
    switch a.dataType {
    case .int32: return [try integerMatMul(a, b, plan, Int32.self)]
    case .int64: return [try integerMatMul(a, b, plan, Int64.self)]
    case .uint32: return [try integerMatMul(a, b, plan, UInt32.self)]
    case .uint64: return [try integerMatMul(a, b, plan, UInt64.self)]
    default: break
    }
    let fa = try FloatTensors.toFloat(a, invocation)
    let fb = try FloatTensors.toFloat(b, invocation)
    defer { withExtendedLifetime((fa, fb)) {} }
    let out = try HostTensor(zeros: .float, shape: plan.outputShape)
    let pa = fa.elements(as: Float.self), pb = fb.elements(as: Float.self)
    let pc = out.mutableElements(as: Float.self)
    if plan.m > 0, plan.n > 0, plan.k > 0, let baseA = pa.baseAddress, let baseB = pb.baseAddress, let baseC = pc.baseAddress {
      for (index, (offsetA, offsetB)) in plan.batchOffsets.enumerated() {
        try LinearAlgebra.sgemm(m: plan.m, n: plan.n, k: plan.k, a: baseA + offsetA, b: baseB + offsetB,
                  c: baseC + index * plan.m * plan.n, threads: invocation.threads)
      }
    }
    return [try FloatTensors.restore(out, to: a.dataType, invocation)]
  }

  private static func integerMatMul<T: FixedWidthInteger & TensorElement>(
    _ a: HostTensor, _ b: HostTensor, _ plan: MatMulPlan, _ type: T.Type
  ) throws -> HostTensor {
    let out = try HostTensor(zeros: T.dataType, shape: plan.outputShape)
    let pa = a.elements(as: T.self), pb = b.elements(as: T.self), pc = out.mutableElements(as: T.self)
    let (m, n, k) = (plan.m, plan.n, plan.k)
    for (index, (offsetA, offsetB)) in plan.batchOffsets.enumerated() {
      for i in 0..<m {
        for j in 0..<n {
          var sum = T.zero
          for p in 0..<k { sum = sum &+ pa[offsetA + i * k + p] &* pb[offsetB + p * n + j] }
          pc[index * m * n + i * n + j] = sum
        }
      }
    }
    return out
  }

  private static func gemmKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let a = try invocation.input(0)
    let b = try invocation.input(1)
    guard a.rank == 2, b.rank == 2 else { throw invocation.failure("A and B must be 2-D, got \(a.shape) and \(b.shape)") }
    let transA = invocation.int("transA", default: 0) != 0
    let transB = invocation.int("transB", default: 0) != 0
    let (m, k) = transA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
    let (kb, n) = transB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
    guard k == kb else { throw invocation.failure("inner dimensions differ: A \(a.shape), B \(b.shape)") }
    let alpha = invocation.float("alpha", default: 1)
    let beta = invocation.float("beta", default: 1)
    let out = try HostTensor(zeros: .float, shape: [m, n])
    let pc = out.mutableElements(as: Float.self)
    var gemmBeta: Float = 0
    if let c = invocation.optionalInput(2) {
      let fc = try FloatTensors.toFloat(c, invocation)
      defer { withExtendedLifetime(fc) {} }
      guard let map = LinearAlgebra.broadcastIndexMap(from: c.shape, to: [m, n]) else {
        throw invocation.failure("C of shape \(c.shape) does not broadcast to [\(m), \(n)]")
      }
      let values = fc.elements(as: Float.self)
      for (index, source) in map.enumerated() { pc[index] = beta * values[source] }
      gemmBeta = 1
    }
    let fa = try FloatTensors.toFloat(a, invocation), fb = try FloatTensors.toFloat(b, invocation)
    defer { withExtendedLifetime((fa, fb)) {} }
    if m > 0, n > 0, k > 0, let pa = fa.elements(as: Float.self).baseAddress,
       let pb = fb.elements(as: Float.self).baseAddress, let base = pc.baseAddress {
      try LinearAlgebra.sgemm(
        m: m, n: n, k: k, a: pa, b: pb, c: base, transA: transA, transB: transB, alpha: alpha, beta: gemmBeta,
        threads: invocation.threads)
    }
    return [try FloatTensors.restore(out, to: a.dataType, invocation)]
  }
}

/// BLAS and broadcasting helpers the linear-algebra kernel families share.
enum LinearAlgebra {
  /// C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C, all row-major and contiguous; op
  /// transposes when asked. A product big enough to pay for it is split into column (or, for
  /// narrow C, row) blocks computed on up to `threads` threads; OpenBLAS itself runs on one
  /// thread, so no BLAS worker threads spin beside the executor's. Throws when a size does not
  /// fit BLAS's 32-bit integers.
  static func sgemm(
    m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>, transA: Bool = false, transB: Bool = false,
    alpha: Float = 1, beta: Float = 0, threads: Int = 1
  ) throws {
    let product = try GemmOperands(
      m: m, n: n, k: k, a: a, b: b, c: c, transA: transA, transB: transB, alpha: alpha, beta: beta)
    let parallel = threads > 1 && product.isWorthSplitting
    if parallel && n >= 2 * minimumBlock {
      parallelChunks(n, threads: threads, grain: minimumBlock, perThread: 1) { product.compute(rows: 0..<m, columns: $0) }
    } else if parallel && m >= 2 * minimumBlock {
      parallelChunks(m, threads: threads, grain: minimumBlock, perThread: 1) { product.compute(rows: $0, columns: 0..<n) }
    } else {
      product.compute(rows: 0..<m, columns: 0..<n)
    }
  }

  /// The fewest rows or columns a thread's block of a GEMM gets.
  static let minimumBlock = 16

  /// The operands of one row-major GEMM, C[m×n] = alpha · op(A) · op(B) + beta · C, from which
  /// any block of C can be computed on its own (by any thread).
  struct GemmOperands: @unchecked Sendable {
    let m: Int, n: Int, k: Int
    let a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>
    let transA: Bool, transB: Bool
    let alpha: Float, beta: Float

    /// Throws when a size does not fit BLAS's 32-bit integers.
    init(
      m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
      transA: Bool = false, transB: Bool = false, alpha: Float = 1, beta: Float = 0
    ) throws {
      guard Int32(exactly: m) != nil, Int32(exactly: n) != nil, Int32(exactly: k) != nil else {
        throw KilnError.badInput("a \(m)×\(k)·\(k)×\(n) matrix product is too large for BLAS")
      }
      (self.m, self.n, self.k, self.a, self.b, self.c) = (m, n, k, a, b, c)
      (self.transA, self.transB, self.alpha, self.beta) = (transA, transB, alpha, beta)
    }

    /// Whether the product has enough multiply-adds to pay for splitting it over threads.
    var isWorthSplitting: Bool { Double(m) * Double(n) * Double(k) >= 1_048_576 }

    /// C[rows, columns] from A's rows and B's columns.
    func compute(rows: Range<Int>, columns: Range<Int>) {
      guard !rows.isEmpty, !columns.isEmpty else { return }
      let (lda, ldb) = (transA ? m : k, transB ? k : n)
      let aBlock = a + (transA ? rows.lowerBound : rows.lowerBound * lda)
      let bBlock = b + (transB ? columns.lowerBound * ldb : columns.lowerBound)
      cblas_sgemm(
        CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
        Int32(rows.count), Int32(columns.count), Int32(k), alpha, aBlock, Int32(lda), bBlock, Int32(ldb),
        beta, c + rows.lowerBound * n + columns.lowerBound, Int32(n))
    }
  }

  /// For each element of `target` (row-major), the index of the `source`-shaped element that
  /// unidirectional (numpy) broadcasting reads; nil when `source` does not broadcast to `target`.
  static func broadcastIndexMap(from source: [Int], to target: [Int]) -> [Int]? {
    guard source.count <= target.count else { return nil }
    let padded = [Int](repeating: 1, count: target.count - source.count) + source
    for (s, t) in zip(padded, target) where s != t && s != 1 { return nil }
    let sourceStrides = HostTensor.strides(of: padded)
    var map = [Int](repeating: 0, count: target.reduce(1, *))
    var index = [Int](repeating: 0, count: target.count)
    for flat in map.indices {
      var offset = 0
      for axis in target.indices where padded[axis] != 1 { offset += index[axis] * sourceStrides[axis] }
      map[flat] = offset
      HostTensor.advance(&index, within: target)
    }
    return map
  }
}

/// The batches of a numpy matmul: the output shape, the matrix sizes, and for each output
/// batch the element offsets of its A and B matrices.
struct MatMulPlan {
  let m: Int, n: Int, k: Int
  let outputShape: [Int]
  let batchOffsets: [(Int, Int)]

  init(_ shapeA: [Int], _ shapeB: [Int], _ invocation: KernelInvocation) throws {
    guard !shapeA.isEmpty, !shapeB.isEmpty else { throw invocation.failure("MatMul inputs must not be scalars") }
    let a = shapeA.count == 1 ? [1] + shapeA : shapeA
    let b = shapeB.count == 1 ? shapeB + [1] : shapeB
    let rows = a[a.count - 2]
    k = a[a.count - 1]
    n = b[b.count - 1]
    guard b[b.count - 2] == k else { throw invocation.failure("inner dimensions differ: \(shapeA) and \(shapeB)") }
    let batchA = Array(a.dropLast(2)), batchB = Array(b.dropLast(2))
    let rank = max(batchA.count, batchB.count)
    let paddedA = [Int](repeating: 1, count: rank - batchA.count) + batchA
    let paddedB = [Int](repeating: 1, count: rank - batchB.count) + batchB
    var batch: [Int] = []
    for (x, y) in zip(paddedA, paddedB) {
      guard x == y || x == 1 || y == 1 else { throw invocation.failure("batch dimensions of \(shapeA) and \(shapeB) do not broadcast") }
      batch.append(x == 1 ? y : x)
    }
    _ = try HostTensor.elementCount(of: batch + [rows, n])
    var shape = batch
    if shapeA.count > 1 { shape.append(rows) }
    if shapeB.count > 1 { shape.append(n) }
    outputShape = shape
    if batchB.allSatisfy({ $0 == 1 }) {
      // One shared B: A's batches stack into one tall matrix.
      m = rows * batch.reduce(1, *)
      batchOffsets = [(0, 0)]
      return
    }
    m = rows
    let mapA = LinearAlgebra.broadcastIndexMap(from: paddedA, to: batch) ?? []
    let mapB = LinearAlgebra.broadcastIndexMap(from: paddedB, to: batch) ?? []
    let (sizeA, sizeB) = (rows * k, k * n)
    batchOffsets = zip(mapA, mapB).map { ($0 * sizeA, $1 * sizeB) }
  }
}

/// Moving float16 and double tensors to float32 for computation, and back, through Cast.
enum FloatTensors {
  /// `tensor` as float32: itself when it already is, else a converted copy. Pointers into a
  /// copy are only valid while the copy lives: callers extend its lifetime over their use.
  static func toFloat(_ tensor: HostTensor, _ invocation: KernelInvocation) throws -> HostTensor {
    guard [.float, .float16, .double].contains(tensor.dataType) else {
      throw invocation.failure("does not support element type \(tensor.dataType.name)")
    }
    return try castTensor(tensor, to: .float, for: invocation)
  }

  /// A float32 `tensor` stored as `dataType` (float32, float16 or double).
  static func restore(
    _ tensor: HostTensor, to dataType: DataType, _ invocation: KernelInvocation
  ) throws -> HostTensor {
    [.float16, .double].contains(dataType)
      ? try castTensor(tensor, to: dataType, for: invocation) : tensor
  }
}
