// Tensors and their storage: size validation, mapped files, external data bounds.

import Foundation
import KilnIR
import KilnTestSupport
import Testing

/// A temporary file holding `bytes`, removed by the caller.
private func temporaryFile(_ bytes: Data) throws -> URL {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-ir-\(UUID()).bin")
  try bytes.write(to: url)
  return url
}

@Test func validateSizeAcceptsExactData() throws {
  try floatTensor([1, 2, 3, 4], dims: [2, 2]).validateSize()
  try Tensor(dataType: .int4, dims: [3], bytes: Data([0x21, 0x03])).validateSize()
}

@Test func validateSizeCatchesAShortBuffer() {
  let short = floatTensor([1, 2, 3], dims: [2, 2])
  let error = #expect(throws: KilnError.self) { try short.validateSize() }
  #expect(error?.kind == .badInput)
  #expect(error?.message.contains("12 bytes") == true)
}

@Test func validateSizeCountsStrings() {
  let strings = Tensor(dataType: .string, dims: [3], storage: .strings([Data(), Data()]))
  #expect(throws: KilnError.self) { try strings.validateSize() }
}

@Test func mappedFileExposesItsBytes() throws {
  let url = try temporaryFile(Data([1, 2, 3, 4, 5]))
  defer { try? FileManager.default.removeItem(at: url) }
  let file = try MappedFile(path: url.path)
  #expect(file.count == 5)
  #expect(file.withBytes(in: 1..<4) { Array($0) } == [2, 3, 4])
  let tensor = Tensor(dataType: .uint8, dims: [2], storage: .mapped(file, 3..<5))
  #expect(try tensor.rawData() == Data([4, 5]))
  try tensor.validateSize()
}

@Test func rawChunksCoverEveryByteInOrder() throws {
  let bytes = Data((0..<10_000).map { UInt8($0 % 251) })
  let url = try temporaryFile(bytes)
  defer { try? FileManager.default.removeItem(at: url) }
  let file = try MappedFile(path: url.path)
  let mapped = Tensor(dataType: .uint8, dims: [9_000], storage: .mapped(file, 1_000..<10_000))
  var pieces: [Data] = []
  try mapped.forEachRawChunk(of: 4_096) { pieces.append(Data($0)) }
  #expect(pieces.map(\.count) == [4_096, 4_096, 808])
  #expect(pieces.reduce(Data(), +) == bytes[1_000...])
  #expect(try mapped.rawData() == bytes[1_000...], "dropping pages keeps the file's bytes")

  var whole: [Data] = []
  try Tensor(dataType: .uint8, dims: [10_000], bytes: bytes).forEachRawChunk(of: 4_096) { whole.append(Data($0)) }
  #expect(whole == [bytes], "bytes in memory come in one piece")
}

@Test func mappedFileAcceptsAnEmptyFile() throws {
  let url = try temporaryFile(Data())
  defer { try? FileManager.default.removeItem(at: url) }
  #expect(try MappedFile(path: url.path).count == 0)
}

@Test func mappedFileRefusesAMissingFile() {
  let path = "/nonexistent/kiln/model.onnx"
  let error = #expect(throws: KilnError.self) { try MappedFile(path: path) }
  #expect(error?.kind == .badInput)
  #expect(error?.file == path)
}

@Test func mappedFileRefusesADirectory() {
  let error = #expect(throws: KilnError.self) {
    try MappedFile(path: FileManager.default.temporaryDirectory.path)
  }
  #expect(error?.message == "not a regular file")
}

@Test func externalDataIsReadWithinBounds() throws {
  let url = try temporaryFile(littleEndianBytes([Float(1).bitPattern, Float(2).bitPattern]))
  defer { try? FileManager.default.removeItem(at: url) }
  let inside = ExternalData(location: "w.bin", path: url.path, offset: 4, length: 4)
  let tensor = Tensor(dataType: .float, dims: [1], storage: .external(inside))
  #expect(try tensor.rawData() == littleEndianBytes([Float(2).bitPattern]))

  let beyond = ExternalData(location: "w.bin", path: url.path, offset: 4, length: 8)
  let error = #expect(throws: KilnError.self) { try beyond.map() }
  #expect(error?.kind == .badInput)
}
