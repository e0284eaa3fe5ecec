import Foundation
import KilnIR
import KilnQuant
import KilnRuntime
import KilnTestSupport
import Testing

/// Samples 0 ..< count named s0, s1, ... holding their index.
struct CountingSource: CalibrationSource {
  let count: Int
  func name(at index: Int) -> String { "s\(index)" }
  func sample(at index: Int) throws -> CalibrationSample { ["x": try HostTensor(scalar: Float(index))] }
}

@Suite struct ImageFolderSourceTests {
  let transform = try! ImageTransform(spec: Preprocessing(resize: .exact(ImageSize(width: 2, height: 2))), input: modelInput("image", "float32[1,3,2,2]"))

  /// A folder with b.png, a/c.jpg and notes.txt.
  func makeFolder(_ temporary: TemporaryFolder) throws -> String {
    let folder = try temporary.folder("images")
    try temporary.folder("images/a")
    try FileManager.default.copyItem(atPath: resourcePath("rgb.png"), toPath: folder + "/b.png")
    try FileManager.default.copyItem(atPath: resourcePath("rgb.jpg"), toPath: folder + "/a/c.JPG")
    try Data("notes".utf8).write(to: URL(fileURLWithPath: folder + "/notes.txt"))
    return folder
  }

  @Test func readsImagesRecursivelyInPathOrder() throws {
    try withTemporaryFolder { temporary in
      let source = try ImageFolderSource(folder: try makeFolder(temporary), transforms: [transform])
      #expect(source.count == 2)
      #expect((0..<2).map(source.name) == ["a/c.JPG", "b.png"])
      #expect(try source.sample(at: 1)["image"]?.shape == [1, 3, 2, 2])
    }
  }

  @Test func listsNestedFoldersAndSkipsSymbolicLinks() throws {
    try withTemporaryFolder { temporary in
      let folder = try makeFolder(temporary)
      try temporary.folder("images/a/deeper")
      try FileManager.default.copyItem(atPath: folder + "/b.png", toPath: folder + "/a/deeper/d.png")
      try FileManager.default.createSymbolicLink(atPath: folder + "/link.png", withDestinationPath: folder + "/b.png")
      try FileManager.default.createSymbolicLink(atPath: folder + "/linked", withDestinationPath: folder + "/a")
      let source = try ImageFolderSource(folder: folder, transforms: [transform])
      #expect((0..<source.count).map(source.name) == ["a/c.JPG", "a/deeper/d.png", "b.png"])
    }
  }

  @Test func anEmptyFolderIsAnError() throws {
    try withTemporaryFolder { temporary in
      let folder = try temporary.folder("empty")
      let error = #expect(throws: KilnError.self) { try ImageFolderSource(folder: folder, transforms: [transform]) }
      #expect(error?.file == folder)
      #expect(error?.exitCode == 2)
      #expect(throws: KilnError.self) { try ImageFolderSource(folder: temporary.file("missing"), transforms: [transform]) }
    }
  }

  @Test func badImagesStopTheRunOrAreSkippedAndListed() throws {
    try withTemporaryFolder { temporary in
      let folder = try makeFolder(temporary)
      let bytes = try fileBytes(resourcePath("rgb.png"))
      try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: folder + "/a/bad.png"))
      let strict = try ImageFolderSource(folder: folder, transforms: [transform])
      #expect(strict.count == 3)
      let error = #expect(throws: KilnError.self) { try strict.sample(at: 0) }
      #expect(error?.file?.hasSuffix("a/bad.png") == true)

      let lenient = try ImageFolderSource(folder: folder, transforms: [transform], skipBadImages: true)
      #expect(lenient.files == ["a/c.JPG", "b.png"])
      #expect(lenient.skippedImages.map(\.name) == ["a/bad.png"])
    }
  }
}

@Suite struct TensorFileSourceTests {
  let inputs = [modelInput("image", "float32[N,2,3]"), modelInput("scale", "int64[1]")]

  @Test(arguments: ["stored.npz", "compressed.npz"])
  func readsNPZFiles(name: String) throws {
    try withTemporaryFolder { temporary in
      let folder = try temporary.folder("tensors")
      try FileManager.default.copyItem(atPath: resourcePath(name), toPath: folder + "/" + name)
      let source = try TensorFileSource(folder: folder, inputs: inputs)
      let sample = try source.sample(at: 0)
      #expect(sample["image"]?.scalars(as: Float.self) == [0, 1, 2, 3, 4, 5])
      #expect(sample["scale"]?.scalars(as: Int64.self) == [2])
    }
  }

  @Test func readsNPYFilesForOneInput() throws {
    try withTemporaryFolder { temporary in
      let folder = try temporary.folder("tensors")
      try NPYFile.write(try HostTensor(shape: [1, 2, 3], values: [Float](repeating: 1, count: 6)), to: folder + "/1.npy")
      try NPYFile.write(try HostTensor(shape: [1, 2, 3], values: [Float](repeating: 0, count: 6)), to: folder + "/0.npy")
      let source = try TensorFileSource(folder: folder, inputs: [inputs[0]])
      #expect(source.files == ["0.npy", "1.npy"])
      #expect(try source.sample(at: 1)["image"]?.scalars(as: Float.self) == [1, 1, 1, 1, 1, 1])
      #expect(throws: KilnError.self) { try TensorFileSource(folder: folder, inputs: inputs).sample(at: 0) }
    }
  }

  @Test func tensorsThatDoNotFitTheModelAreErrorsNamingTheFile() throws {
    try withTemporaryFolder { temporary in
      let folder = try temporary.folder("tensors")
      try FileManager.default.copyItem(atPath: resourcePath("stored.npz"), toPath: folder + "/s.npz")
      let cases: [[ModelInput]] = [
        [modelInput("image", "float32[N,3,2]"), inputs[1]],
        [modelInput("image", "float16[N,2,3]"), inputs[1]],
        [inputs[0]],
        inputs + [modelInput("mask", "bool[1]")],
      ]
      for inputs in cases {
        let error = #expect(throws: KilnError.self) { try TensorFileSource(folder: folder, inputs: inputs).sample(at: 0) }
        #expect(error?.file?.hasSuffix("s.npz") == true)
      }
    }
  }

  @Test func truncatedNPZIsAnError() throws {
    try withTemporaryFolder { temporary in
      let folder = try temporary.folder("tensors")
      let bytes = try fileBytes(resourcePath("compressed.npz"))
      try bytes.prefix(bytes.count - 30).write(to: URL(fileURLWithPath: folder + "/cut.npz"))
      let error = #expect(throws: KilnError.self) { try TensorFileSource(folder: folder, inputs: inputs).sample(at: 0) }
      #expect(error?.file?.hasSuffix("cut.npz") == true)
    }
  }
}

@Suite struct ShardedSourceTests {
  @Test func shardsPartitionTheLimitedSamples() throws {
    let base = CountingSource(count: 10)
    let shards = try (0..<3).map { try ShardedSource(base: base, limit: 7, shard: try Shard(index: $0, count: 3)) }
    #expect(shards.map(\.indices) == [[0, 3, 6], [1, 4], [2, 5]])
    #expect(Set(shards.flatMap(\.indices)) == Set(0..<7))
    #expect(shards.map(\.count).reduce(0, +) == 7)
    #expect(shards[1].name(at: 1) == "s4")
    #expect(try shards[2].sample(at: 1)["x"]?.scalars(as: Float.self) == [5])
    #expect(try ShardedSource(base: base).count == 10)
    #expect(try ShardedSource(base: base, limit: 50).count == 10)
  }

  @Test func invalidShardsAndLimitsAreErrors() {
    for text in ["3/3", "0/0", "-1/2", "a/b", "1", "1/2/3"] {
      let error = #expect(throws: KilnError.self) { try Shard(text: text) }
      #expect(error?.exitCode == 2)
    }
    #expect(throws: KilnError.self) { try ShardedSource(base: CountingSource(count: 3), limit: 0) }
    #expect(throws: KilnError.self) { try ShardedSource(base: CountingSource(count: 2), shard: try Shard(index: 2, count: 3)) }
  }
}
