// The weights file: header versions, and files too short or too long for their cfg.

import Foundation
import KilnIR
import KilnTestSupport
import Testing

@testable import KilnDarknet

@Suite("Darknet weights files")
struct DarknetWeightsTests {
  /// One 1x1 convolution of one channel: a bias, then a weight.
  static let cfg = "[net]\nwidth=2\nheight=2\nchannels=1\n[convolutional]\nfilters=1\nsize=1\nactivation=linear\n"

  @Test(
    "seen is int64 from version 0.2 on and int32 before; the floats after it are the parameters",
    arguments: [((0, 2, 0), 5_000_000_000), ((1, 0, 3), 12), ((0, 1, 0), 7), ((0, 0, 0), 1)] as [((Int32, Int32, Int32), Int64)])
  func headerVersions(version: (Int32, Int32, Int32), seen: Int64) throws {
    try withTemporaryFolder { folder in
      let files = try DarknetFiles(in: folder, cfg: Self.cfg, floats: [0.5, 2], version: version, seen: seen)
      let model = try DarknetModelReader.read(path: files.cfg, weights: files.weights)
      let metadata = Dictionary(uniqueKeysWithValues: model.metadata.map { ($0.key, $0.value) })
      #expect(metadata["darknet.weights.seen"] == String(seen))
      #expect(metadata["darknet.weights.version"] == "\(version.0).\(version.1).\(version.2)")
      let constants = model.graph.initializers.map { ($0.name, try? $0.constant?.rawData()) }
      #expect(constants.map(\.0) == ["conv_0.weight", "conv_0.bias"])
      #expect(constants.map(\.1) == [littleEndianBytes([Float(2)]), littleEndianBytes([Float(0.5)])])
    }
  }

  @Test("the parameters stay slices of the mapped weights file")
  func weightsAreMapped() throws {
    try withTemporaryFolder { folder in
      let files = try DarknetFiles(in: folder, cfg: Self.cfg, floats: [0.5, 2])
      let model = try DarknetModelReader.read(path: files.cfg, weights: files.weights)
      for value in model.graph.initializers {
        guard case .mapped(_, let range) = value.constant?.storage else {
          Issue.record("\(value.name) is not mapped")
          continue
        }
        #expect(range.count == 4)
      }
    }
  }

  @Test(
    "a file too short for its cfg is bad input naming the layer and the weights file",
    arguments: [[Float](), [0.5]])
  func tooShort(floats: [Float]) throws {
    try withTemporaryFolder { folder in
      let files = try DarknetFiles(in: folder, cfg: Self.cfg, floats: floats)
      let error = #expect(throws: KilnError.self) { try DarknetModelReader.read(path: files.cfg, weights: files.weights) }
      #expect(error?.kind == .badInput)
      #expect(error?.file == files.weights)
      #expect(error?.message.contains("the weights file ends inside layer 'conv_0'") == true, "\(error?.message ?? "")")
    }
  }

  @Test("a file with bytes left over is bad input naming the last layer")
  func tooLong() throws {
    try withTemporaryFolder { folder in
      let files = try DarknetFiles(in: folder, cfg: Self.cfg, floats: [0.5, 2, 9])
      let error = #expect(throws: KilnError.self) { try DarknetModelReader.read(path: files.cfg, weights: files.weights) }
      #expect(error?.file == files.weights)
      #expect(error?.message == "the weights file has 4 bytes left after the last layer with parameters ('conv_0')")
    }
  }

  @Test(
    "a truncated or transposed header is bad input",
    arguments: [
      (Data([0, 0, 0, 0, 2, 0, 0, 0]), "header of at least 16 bytes; this one has 8"),
      (littleEndianBytes([Int32(0), 2, 0, 0]), "the weights header of version 0.2 needs 20 bytes; the file has 16"),
      (littleEndianBytes([Int32(1001), 0, 0, 0]), "stores transposed connected weights"),
    ])
  func badHeaders(bytes: Data, message: String) throws {
    try withTemporaryFolder { folder in
      let cfg = folder.file("model.cfg")
      try Self.cfg.write(toFile: cfg, atomically: true, encoding: .utf8)
      try bytes.write(to: URL(fileURLWithPath: folder.file("model.weights")))
      let error = #expect(throws: KilnError.self) {
        try DarknetModelReader.read(path: cfg, weights: folder.file("model.weights"))
      }
      #expect(error?.kind == .badInput)
      #expect(error?.file == folder.file("model.weights"))
      #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
    }
  }
}
