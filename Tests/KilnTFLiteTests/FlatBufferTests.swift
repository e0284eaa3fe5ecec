// The flatbuffer reader on hand-built bytes: defaults for absent fields, refused bad offsets.

import Foundation
import Testing

@testable import KilnTFLite

@Suite struct FlatBufferTests {
  private func withRoot<R>(_ bytes: [UInt8], _ body: (FlatTable) throws -> R) throws -> R {
    try bytes.withUnsafeBytes { try body(try FlatBuffer(bytes: $0).root(identifier: "TFL3")) }
  }

  @Test func readsPresentFieldsAndDefaultsAbsentOnes() throws {
    let bytes = flatBuffer(FlatObject([0: .uint32(7), 2: .string("name"), 3: .int32s([1, -2, 3]), 5: .float(0.5)]))
    try withRoot(bytes) { (root: FlatTable) throws in
      #expect(try root.scalar(0, default: UInt32(0)) == 7)
      #expect(try root.scalar(1, default: Int32(42)) == 42)
      #expect(try root.string(2) == "name")
      #expect(try root.integers(3, as: Int32.self) == [1, -2, 3])
      #expect(try root.float(5, default: 0) == 0.5)
      #expect(try root.float(4, default: 1.5) == 1.5)
      #expect(try root.table(9) == nil)
      #expect(try root.integers(8, as: Int32.self).isEmpty)
    }
  }

  @Test func readsNestedTablesAndVectorsOfTables() throws {
    let child = { (value: Int32) in FlatObject([0: .int32(value)]) }
    let bytes = flatBuffer(FlatObject([0: .table(child(5)), 1: .tables([child(1), child(2)])]))
    try withRoot(bytes) { (root: FlatTable) throws in
      #expect(try root.table(0)?.scalar(0, default: Int32(0)) == 5)
      #expect(try root.tables(1).map { try $0.scalar(0, default: Int32(0)) } == [1, 2])
    }
  }

  @Test func refusesAWrongIdentifier() throws {
    let bytes = flatBuffer(FlatObject([0: .uint32(1)]), identifier: "ABCD")
    #expect(throws: FlatBufferError.self) { try withRoot(bytes) { _ in } }
  }

  @Test func refusesOffsetsOutsideTheBuffer() throws {
    var bytes = flatBuffer(FlatObject([0: .string("long enough text")]))
    #expect(throws: FlatBufferError.self) { try withRoot(Array(bytes.prefix(bytes.count - 12))) { try $0.string(0) } }
    bytes.replaceSubrange(0..<4, with: [0xFF, 0xFF, 0xFF, 0x7F])
    #expect(throws: FlatBufferError.self) { try withRoot(bytes) { _ in } }
  }

  @Test func refusesAVectorLongerThanTheBuffer() throws {
    var bytes = flatBuffer(FlatObject([0: .int32s([1, 2])]))
    let count = bytes.indices.dropLast(11).first { bytes[$0..<$0 + 12] == [2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0] }
    let at = try #require(count)
    bytes.replaceSubrange(at..<at + 4, with: [0xFF, 0xFF, 0xFF, 0x0F])
    #expect(throws: FlatBufferError.self) { try withRoot(bytes) { try $0.integers(0, as: Int32.self) } }
  }
}
