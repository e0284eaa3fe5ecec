// ncnn layers for matrix products with constant weights: Gemm and MatMul → InnerProduct.

import KilnIR

extension NCNNMapping {
  static let denseMappings: [NCNNMapping] = [
    NCNNMapping("Gemm", ["constant B and C", "transA = 0", "A of one row (batch 1)"], layer: gemm),
    NCNNMapping("MatMul", ["constant 2-D B", "A of shape [1, K]"], layer: matMul),
  ]

  /// Gemm(A, B, C) = α·A·op(B) + β·C → InnerProduct with weight α·op(B)ᵀ ([N, K], ncnn's
  /// order) and bias β·C broadcast to N.
  ///
  ///     0=num_output 1=bias_term 2=weight_data_size
  @Sendable static func gemm(_ node: Node) throws(TargetRefusal) -> NCNNLayer {
    guard node.int("transA", default: 0) == 0 else { throw TargetRefusal("transA = 1 is not supported") }
    let b = try node.requiredConstant(1, "B")
    guard b.dims.count == 2 else { throw TargetRefusal("B must be 2-D") }
    let transposed = node.int("transB", default: 0) == 1
    let (n, k) = transposed ? (Int(b.dims[0]), Int(b.dims[1])) : (Int(b.dims[1]), Int(b.dims[0]))
    let alpha = node.float("alpha", default: 1)
    var weight = try b.targetFloats("B")
    if !transposed { weight = transpose(weight, rows: k, columns: n) }
    if alpha != 1 { weight = weight.map { $0 * alpha } }
    var weights = [NCNNWeight.tagged(weight)]
    if let c = try node.optionalFloats(2, "C") {
      guard c.count == n || c.count == 1 else { throw TargetRefusal("C must have 1 or N = \(n) values") }
      let beta = node.float("beta", default: 1)
      weights.append(.raw(c.count == n ? c.map { $0 * beta } : Array(repeating: c[0] * beta, count: n)))
    }
    let a = try node.targetInput(0)
    try requireOneRow(a)
    return NCNNLayer(
      "InnerProduct", inputs: [a], outputs: [try node.singleOutput()],
      params: [.int(0, n), .int(1, weights.count - 1), .int(2, n * k)], weights: weights)
  }

  /// MatMul(A, B) with A of shape [1, K] and constant B [K, N] → InnerProduct with weight Bᵀ.
  @Sendable static func matMul(_ node: Node) throws(TargetRefusal) -> NCNNLayer {
    let b = try node.requiredConstant(1, "B")
    guard b.dims.count == 2 else { throw TargetRefusal("B must be 2-D") }
    let (k, n) = (Int(b.dims[0]), Int(b.dims[1]))
    let a = try node.targetInput(0)
    guard a.constant == nil else { throw TargetRefusal("A must not be a constant") }
    try requireOneRow(a)
    return NCNNLayer(
      "InnerProduct", inputs: [a], outputs: [try node.singleOutput()],
      params: [.int(0, n), .int(1, 0), .int(2, n * k)],
      weights: [.tagged(transpose(try b.targetFloats("B"), rows: k, columns: n))])
  }

  /// Refuses an input that is not a single row [1, K]: InnerProduct reads its whole input as
  /// one vector.
  private static func requireOneRow(_ value: Value) throws(TargetRefusal) {
    let dims = try value.ncnnDims()
    guard dims.count == 2, dims[0] == 1 else {
      throw TargetRefusal("A must be of shape [1, K], not \(dims)")
    }
  }

  /// A row-major [rows, columns] matrix transposed.
  static func transpose(_ values: [Float], rows: Int, columns: Int) -> [Float] {
    (0..<columns).flatMap { column in (0..<rows).map { row in values[row * columns + column] } }
  }
}
