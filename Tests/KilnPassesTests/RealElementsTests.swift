// Float elements read and written in place as Double, and weights scaled from mapped bytes.

import Foundation
import KilnIR
import KilnTestSupport
import Testing

@testable import KilnPasses

@Suite("real elements")
struct RealElementsTests {
  @Test("float32, float16 and float64 elements are written rounded once and read back exactly")
  func roundTrip() throws {
    let third = 1.0 / 3.0
    for type in [DataType.float, .float16, .double] {
      let tensor = try Tensor(dataType: type, values: (0..<4).map { Double($0) * third })
      #expect(tensor.byteCount == 4 * Int64(type.bitWidth / 8))
      let expected: [Double] =
        switch type {
        case .float: (0..<4).map { Double(Float(Double($0) * third)) }
        case .float16: (0..<4).map { Double(Float16(Double($0) * third)) }
        default: (0..<4).map { Double($0) * third }
        }
      #expect(tensor.realValues() == expected, "\(type.name)")
    }
  }

  @Test("float32 elements are little-endian IEEE singles in the tensor's bytes")
  func layout() throws {
    let tensor = try Tensor(dataType: .float, values: [1.5, -2, 0.1])
    #expect(try tensor.rawData() == littleEndianBytes([Float(1.5), -2, Float(0.1)]))
  }

  @Test("elements are scaled run by run and chunk by chunk, each chunk reported once it is read")
  func chunks() throws {
    var read: [Range<Int>] = []
    var runs: [Int] = []
    let source = try Tensor(dataType: .double, values: (0..<8).map(Double.init))
    let scaled = source.scaled(runLength: 2, chunk: 3, factor: { run in runs.append(run); return Double(run + 1) }) {
      read.append($0)
    }
    #expect(read == [0..<3, 3..<6, 6..<8])
    #expect(runs == [0, 1, 1, 2, 3], "a run cut by a chunk is looked up once per piece")
    #expect(scaled?.realValues() == [0, 1, 4, 6, 12, 15, 24, 28])
  }

  @Test("a large result is computed into a scratch file, with the values a small one gets")
  func scratch() throws {
    let count = Tensor.scratchBytes / 4 + 3
    let source = try Tensor(dataType: .float, values: (0..<count).map { Double($0 % 1000) })
    let scaled = try #require(source.scaled(runLength: 1000, chunk: 1 << 16, factor: { Double($0) + 0.5 }) { _ in })
    guard case .mapped = scaled.storage else {
      Issue.record("a result of \(scaled.byteCount) bytes stayed in memory")
      return
    }
    let values = try #require(scaled.realValues())
    #expect(values.count == count)
    for index in [0, 999, 1000, count / 2, count - 1] {
      #expect(values[index] == Double(Float(Double(index % 1000) * (Double(index / 1000) + 0.5))))
    }
  }

  @Test("other element types, short data and writes of other types are refused")
  func refusals() {
    #expect(Tensor(dataType: .int64, dims: [1], bytes: littleEndianBytes([Int64(7)])).realValues() == nil)
    #expect(floatTensor([1, 2, 3], dims: [2, 2]).realValues() == nil)
    #expect(throws: KilnError.self) { try Tensor(dataType: .int32, values: [1]) }
  }

  @Test("a weight in a mapped file is scaled run by run and stays readable after")
  func scaledFromMappedFile() throws {
    try withTemporaryFolder { folder in
      let path = folder.file("weights.bin")
      try littleEndianBytes([Float(9), 1, 2, 3, 4]).write(to: URL(fileURLWithPath: path))
      let file = try MappedFile(path: path)
      let source = Tensor(name: "W", dataType: .float, dims: [2, 2], storage: .mapped(file, 4..<20))
      let weight = Parameter(
        value: Value(name: "W", type: .tensor(.float, source.shape), constant: source), tensor: source, what: "the weight")
      let scaled = try weight.scaled(runLength: 2) { $0 == 0 ? 0.5 : -3 }
      #expect(scaled.realValues() == [0.5, 1, -9, -12])
      source.dropResidentPages(elements: 1..<4)
      #expect(source.realValues() == [1, 2, 3, 4])
    }
  }
}
