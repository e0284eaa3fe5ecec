// Sparse constants: TACO-like metadata expanded to dense values, corrupt metadata refused.

import Foundation
import KilnIR
import Testing

@testable import KilnTFLite

@Suite struct TFLiteSparsityTests {
  typealias M = TFLiteTestModels

  /// The dense float32 values of a tensor of `dims` stored as `values` under `levels`.
  private func densify(
    _ dims: [Int], traversal: [Int], blockMap: [Int] = [], _ levels: [TFLiteSparseLevel], _ values: [Float]
  ) throws -> [Float] {
    let sparsity = TFLiteSparsity(traversalOrder: traversal, blockMap: blockMap, levels: levels)
    let dense = try values.withUnsafeBytes { try sparsity.densify($0, dims: dims, elementSize: 4, tensor: "w") }
    return dense.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
  }

  @Test func expandsCompressedRowsOfAMatrix() throws {
    let levels: [TFLiteSparseLevel] = [.dense(size: 3), .compressed(segments: [0, 2, 2, 4], indices: [1, 3, 0, 3])]
    #expect(try densify([3, 4], traversal: [0, 1], levels, [1, 2, 3, 4]) == [0, 1, 0, 2, 0, 0, 0, 0, 3, 0, 0, 4])
  }

  @Test func followsTheTraversalOrder() throws {
    // Compressed columns: the columns dense, the rows of each column compressed.
    let levels: [TFLiteSparseLevel] = [.dense(size: 3), .compressed(segments: [0, 1, 1, 2], indices: [0, 1])]
    #expect(try densify([2, 3], traversal: [1, 0], levels, [1, 2]) == [1, 0, 0, 0, 0, 2])
  }

  @Test func expandsOneByFourBlocks() throws {
    // [2, 8] in blocks of 1x4: row 0 keeps its first block, row 1 its second.
    let levels: [TFLiteSparseLevel] = [.dense(size: 2), .compressed(segments: [0, 1, 2], indices: [0, 1]), .dense(size: 4)]
    let dense = try densify([2, 8], traversal: [0, 1, 2], blockMap: [1], levels, (1...8).map(Float.init))
    #expect(dense == [1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 5, 6, 7, 8])
  }

  @Test func expandsFourByOneBlocks() throws {
    // [8, 2] in blocks of 4x1: rows 0-3 keep column 0, rows 4-7 column 1.
    let levels: [TFLiteSparseLevel] = [.dense(size: 2), .compressed(segments: [0, 1, 2], indices: [0, 1]), .dense(size: 4)]
    let dense = try densify([8, 2], traversal: [0, 1, 2], blockMap: [0], levels, (1...8).map(Float.init))
    #expect(dense == [1, 0, 2, 0, 3, 0, 4, 0, 0, 5, 0, 6, 0, 7, 0, 8])
  }

  @Test func keepsAllDenseLevelsInOrder() throws {
    #expect(try densify([2, 2], traversal: [0, 1], [.dense(size: 2), .dense(size: 2)], [1, 2, 3, 4]) == [1, 2, 3, 4])
  }

  @Test(arguments: [
    ([0, 1], [TFLiteSparseLevel.dense(size: 3), .compressed(segments: [0, 2, 2, 4], indices: [1, 4, 0, 3])], "past the dim"),
    ([0, 1], [.dense(size: 3), .compressed(segments: [0, 2, 2, 4], indices: [3, 1, 0, 3])], "out of order"),
    ([0, 1], [.dense(size: 3), .compressed(segments: [0, 3, 2, 4], indices: [1, 3, 0, 3])], "array_segments"),
    ([0, 1], [.dense(size: 3), .compressed(segments: [0, 2, 4], indices: [1, 3, 0, 3])], "3 array_segments"),
    ([0, 1], [.dense(size: 3), .compressed(segments: [0, 2, 2, 3], indices: [1, 3, 0])], "bytes of values"),
    ([0, 1], [.dense(size: 5), .compressed(segments: [0, 2, 2, 4], indices: [1, 3, 0, 3])], "dense_size 5"),
    ([0, 0], [.dense(size: 3), .compressed(segments: [0, 2, 2, 4], indices: [1, 3, 0, 3])], "traversal_order"),
  ])
  func refusesCorruptMetadata(traversal: [Int], levels: [TFLiteSparseLevel], reason: String) throws {
    let error = try #require(throws: KilnError.self) { try densify([3, 4], traversal: traversal, levels, [1, 2, 3, 4]) }
    #expect(error.kind == .badInput)
    #expect(error.message.contains("sparse tensor 'w'"))
    #expect(error.message.contains(reason))
  }

  @Test func refusesBlocksThatDoNotDivideTheirDim() throws {
    let levels: [TFLiteSparseLevel] = [.dense(size: 2), .dense(size: 2), .dense(size: 3)]
    let error = try #require(throws: KilnError.self) {
      try densify([2, 8], traversal: [0, 1, 2], blockMap: [1], levels, Array(repeating: 1, count: 12))
    }
    #expect(error.message.contains("splits dim 1"))
  }

  // MARK: Through the reader

  @Test(arguments: [UInt8(1), 2, 3])
  func densifiesAConstantFedThroughDensify(indexType: UInt8) throws {
    let sparsity = M.sparsity(
      traversal: [0, 1],
      levels: [M.dense(3), M.compressed(segments: [0, 2, 2, 4], indices: [1, 3, 0, 3], type: indexType)])
    let model = try TFLiteModelReader.read(bytes: M.densifyAdd(sparsity, values: M.floatBytes([1, 2, 3, 4])))
    #expect(model.graph.nodes.map(\.opType) == ["Add"])
    let weights = try #require(model.graph.nodes.first?.inputs[1]?.constant)
    #expect(weights.dims == [3, 4])
    #expect(try weights.rawData() == Data(M.floatBytes([0, 1, 0, 2, 0, 0, 0, 0, 3, 0, 0, 4])))
  }

  @Test func densifiesHalfPrecisionValuesBeforeWideningThem() throws {
    let sparsity = M.sparsity(traversal: [0, 1], levels: [M.dense(3), M.compressed(segments: [0, 1, 1, 1], indices: [2])])
    let half = withUnsafeBytes(of: Float16(1.5).bitPattern.littleEndian) { Array($0) }
    let model = try TFLiteModelReader.read(bytes: M.densifyAdd(sparsity, values: half, half: true))
    let weights = try #require(model.graph.nodes.first { $0.opType == "Add" }?.inputs[1]?.constant)
    #expect(try weights.rawData() == Data(M.floatBytes([0, 0, 1.5, 0, 0, 0, 0, 0, 0, 0, 0, 0])))
  }

  @Test func refusesDensifyOfAComputedTensor() throws {
    let sparsity = M.sparsity(traversal: [0, 1], levels: [M.dense(3), M.dense(4)])
    let data = M.densifyAdd(sparsity, values: M.floatBytes(Array(repeating: 1, count: 12)), densifyInput: 0)
    let error = try #require(throws: KilnError.self) { try TFLiteModelReader.read(bytes: data) }
    #expect(error.kind == .badInput)
    #expect(error.message.contains("'dense' (DENSIFY): only a constant input is densified"))
  }

  @Test func namesTheTensorOfUnreadableSparsity() throws {
    var level = M.compressed(segments: [0, 1, 1, 1], indices: [2])
    level.fields[2] = .uint8(7)
    let sparsity = M.sparsity(traversal: [0, 1], levels: [M.dense(3), level])
    let error = try #require(throws: KilnError.self) {
      try TFLiteModelReader.read(bytes: M.densifyAdd(sparsity, values: M.floatBytes([1])))
    }
    #expect(error.message.contains("tensor 'w'"))
    #expect(error.message.contains("union type 7"))
  }
}
