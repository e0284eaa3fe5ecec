// The sparsity parameters of a sparse constant tensor (schema.fbs `SparsityParameters`), decoded.

/// How a sparse constant stores its values, in TFLite's TACO-like format.
///
/// The tensor's dims, each dim listed in `blockMap` first split into (dim / block, block), make
/// the expanded dims: the tensor's own (blocked) dims, then one per block, in `blockMap` order.
/// `traversalOrder` lists the expanded dims from outermost to innermost; level `l` of `levels`
/// describes how dim `traversalOrder[l]` is stored. The buffer holds the values reached, in that
/// traversal order.
struct TFLiteSparsity {
  var traversalOrder: [Int]
  /// For each block dim, the tensor dim it splits.
  var blockMap: [Int]
  var levels: [TFLiteSparseLevel]
}

extension TFLiteSparsity {
  init(_ table: FlatTable) throws(FlatBufferError) {
    traversalOrder = try table.integers(0, as: Int32.self).map(Int.init)
    blockMap = try table.integers(1, as: Int32.self).map(Int.init)
    var levels: [TFLiteSparseLevel] = []
    for item in try table.tables(2) { levels.append(try TFLiteSparseLevel(item)) }
    self.levels = levels
  }
}

/// One level of a sparse tensor's traversal (schema.fbs `DimensionMetadata`).
enum TFLiteSparseLevel: Equatable {
  /// Every index `0..<size` of the dim, for each position of the level above.
  case dense(size: Int)
  /// Compressed sparse row: position `p` of the level above has the indices
  /// `indices[segments[p]..<segments[p + 1]]`.
  case compressed(segments: [Int], indices: [Int])

  init(_ table: FlatTable) throws(FlatBufferError) {
    let format = try table.scalar(0, default: UInt8(0))
    switch format {
    case 0: self = .dense(size: Int(try table.scalar(1, default: Int32(0))))
    case 1:
      guard let segments = try Self.indexVector(table, typeField: 2), let indices = try Self.indexVector(table, typeField: 4)
      else { throw FlatBufferError("a SPARSE_CSR dimension lacks its array_segments or array_indices") }
      self = .compressed(segments: segments, indices: indices)
    default: throw FlatBufferError("a sparse dimension has format \(format) (only DENSE and SPARSE_CSR exist)")
    }
  }

  /// The `SparseIndexVector` union whose type is field `typeField` and whose table follows it:
  /// an Int32Vector, Uint16Vector or Uint8Vector (each a table whose field 0 is the values).
  private static func indexVector(_ table: FlatTable, typeField: Int) throws(FlatBufferError) -> [Int]? {
    let type = try table.scalar(typeField, default: UInt8(0))
    guard type != 0, let vector = try table.table(typeField + 1) else { return nil }
    switch type {
    case 1: return try vector.integers(0, as: Int32.self).map(Int.init)
    case 2: return try vector.integers(0, as: UInt16.self).map(Int.init)
    case 3: return try vector.integers(0, as: UInt8.self).map(Int.init)
    default: throw FlatBufferError("a sparse index vector has union type \(type) (only 1, 2 and 3 exist)")
    }
  }
}
