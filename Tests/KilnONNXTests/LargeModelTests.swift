// A model just over protobuf's 2 GB limit, generated from a sparse file at test time.

import Foundation
import KilnIR
import KilnONNX
import KilnTestSupport
import Testing

/// Free bytes on the file system that holds the temporary directory.
func freeTemporarySpace() -> Int64 {
  let attributes = try? FileManager.default.attributesOfFileSystem(
    forPath: FileManager.default.temporaryDirectory.path)
  return (attributes?[.systemFreeSize] as? NSNumber)?.int64Value ?? 0
}

/// Whether the large-model tests can run: they write about 2.2 GB of real data.
let enoughDiskForLargeModels: Bool = {
  let free = freeTemporarySpace()
  let needed: Int64 = 8 << 30
  if free < needed {
    print("skipping the large-model tests: \(free >> 20) MiB free in the temporary directory, they need 8 GiB")
  }
  return free >= needed
}()

@Suite("Models over 2 GB", .serialized, .enabled(if: enoughDiskForLargeModels, "needs 8 GiB of free disk"))
struct LargeModelTests {
  /// Four float tensors of 550 MB each: 2.2 GB in all, over the 2 GiB − 1 limit.
  static let tensorBytes = 550_000_000
  static let tensorCount = 4

  /// Builds a model whose initializers are slices of a sparse file in `folder`, with a marker
  /// at the start and end of each tensor so that misplaced bytes show.
  static func largeModel(in folder: TemporaryFolder) throws -> Model {
    let path = folder.file("weights.sparse")
    #expect(FileManager.default.createFile(atPath: path, contents: nil))
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    try handle.truncate(atOffset: UInt64(tensorBytes * tensorCount))
    for index in 0..<tensorCount {
      try handle.seek(toOffset: UInt64(index * tensorBytes))
      try handle.write(contentsOf: marker(index))
      try handle.seek(toOffset: UInt64((index + 1) * tensorBytes - 8))
      try handle.write(contentsOf: marker(index))
    }
    try handle.close()
    let mapping = try MappedFile(path: path)
    let weights = (0..<tensorCount).map { index in
      Tensor(
        name: "w\(index)", dataType: .float, dims: [Int64(tensorBytes / 4)],
        storage: .mapped(mapping, (index * tensorBytes)..<((index + 1) * tensorBytes)))
    }
    return modelWithWeights(weights)
  }

  static func marker(_ index: Int) -> Data { Data("KILN-\(index)!!".utf8) }

  @Test(".automatic writes a model over 2 GB with external data")
  func automaticGoesExternal() throws {
    try withTemporaryFolder { folder in
      let model = try Self.largeModel(in: folder)
      let path = folder.file("large.onnx")
      let summary = try ONNXModelWriter.write(model, to: path)
      let dataPath = try #require(summary.externalDataPath)
      #expect(canonical(dataPath) == canonical(folder.file("large.onnx.data")))
      #expect(summary.externalTensorCount == Self.tensorCount)
      #expect(try fileSize(path) < 64 * 1024)
      #expect(try fileSize(dataPath) >= Int64(Self.tensorBytes * Self.tensorCount))

      let read = try ONNXModelReader.read(path: path)
      let data = try MappedFile(path: dataPath)
      for index in 0..<Self.tensorCount {
        let tensor = try initializer(read, "w\(index)")
        let reference = try #require(tensor.storage.externalReference)
        #expect(reference.location == "large.onnx.data")
        #expect(reference.length == Int64(Self.tensorBytes))
        #expect(reference.offset % 4096 == 0)
        let start = Int(reference.offset)
        let end = start + Self.tensorBytes
        data.withBytes(in: start..<(start + 8)) { #expect(Data($0) == Self.marker(index)) }
        data.withBytes(in: (end - 8)..<end) { #expect(Data($0) == Self.marker(index)) }
      }
      try FileManager.default.removeItem(atPath: dataPath)
    }
  }

  @Test(".never refuses a model over 2 GB and leaves no file")
  func neverRefuses() throws {
    try withTemporaryFolder { folder in
      let model = try Self.largeModel(in: folder)
      let path = folder.file("large.onnx")
      let refusal = expectBadInput {
        try ONNXModelWriter.write(model, to: path, options: ONNXWriteOptions(externalData: .never))
      }
      #expect(mentions(refusal, "2 GB"))
      #expect(try folder.contents() == ["weights.sparse"])
      _ = expectBadInput { _ = try ONNXModelWriter.serialize(model) }
    }
  }
}
