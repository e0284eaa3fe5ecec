// External-data locations that leave the model's folder, or point at missing or short files.

import Foundation
import KilnIR
import KilnONNX
import KilnTestSupport
import ONNXProto
import ONNXTestSupport
import Testing

@Suite("Hostile external-data locations")
struct HostileLocationTests {
  /// A folder layout for one case: `root/outside.bin` (a readable file outside the model's
  /// folder) and the model folder `root/models/` with a subfolder `sub/`.
  struct Layout {
    let root: TemporaryFolder
    var models: String { root.file("models") }
    var modelPath: String { root.file("models/model.onnx") }
    var outside: String { root.file("outside.bin") }

    init(_ root: TemporaryFolder) throws {
      self.root = root
      try FileManager.default.createDirectory(
        atPath: root.file("models/sub"), withIntermediateDirectories: true)
      try FileManager.default.createDirectory(
        atPath: root.file("elsewhere"), withIntermediateDirectories: true)
      let secret = Data(repeating: 0x5A, count: 4096)
      try secret.write(to: URL(fileURLWithPath: root.file("outside.bin")))
      try secret.write(to: URL(fileURLWithPath: root.file("elsewhere/data.bin")))
      try secret.write(to: URL(fileURLWithPath: root.file("models/inside.bin")))
    }

    /// Writes a model whose tensor `w` (16 floats) is at `location`, and returns its path.
    func model(location: String, offset: Int64? = nil, length: Int64? = nil) throws -> String {
      let proto = modelProto(initializers: [
        externalTensorProto("w", count: 16, location: location, offset: offset, length: length)
      ])
      try writeMessage(proto, to: modelPath)
      return modelPath
    }
  }

  /// Reads `path` and expects a bad-input error whose text names `location` and the file.
  func expectRefused(_ path: String, naming location: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let refusal = expectBadInput(sourceLocation: sourceLocation) { _ = try ONNXModelReader.read(path: path) }
    guard let refusal else { return }
    let text = "\(refusal)"
    #expect(text.contains(location), "message should name '\(location)': \(text)", sourceLocation: sourceLocation)
    #expect(refusal.file == path, "message should name the model: \(text)", sourceLocation: sourceLocation)
  }

  @Test("an absolute location is refused")
  func absolute() throws {
    try withTemporaryFolder { root in
      let layout = try Layout(root)
      expectRefused(try layout.model(location: layout.outside), naming: layout.outside)
      expectRefused(try layout.model(location: "/etc/passwd"), naming: "/etc/passwd")
    }
  }

  @Test(
    "a location that climbs out with '..' is refused",
    arguments: ["../outside.bin", "sub/../../outside.bin", "sub/../inside.bin", "..\\outside.bin", ".."])
  func dotDot(location: String) throws {
    try withTemporaryFolder { root in
      let layout = try Layout(root)
      expectRefused(try layout.model(location: location), naming: location)
    }
  }

  @Test("a symlink inside the folder that points outside it is refused")
  func symlinkToFileOutside() throws {
    try withTemporaryFolder { root in
      let layout = try Layout(root)
      try FileManager.default.createSymbolicLink(
        atPath: root.file("models/link.bin"), withDestinationPath: layout.outside)
      expectRefused(try layout.model(location: "link.bin"), naming: "link.bin")
      // A relative link target, and a link to a folder outside, are refused the same way.
      try FileManager.default.createSymbolicLink(
        atPath: root.file("models/sub/rel.bin"), withDestinationPath: "../../outside.bin")
      expectRefused(try layout.model(location: "sub/rel.bin"), naming: "sub/rel.bin")
      try FileManager.default.createSymbolicLink(
        atPath: root.file("models/dir"), withDestinationPath: root.file("elsewhere"))
      expectRefused(try layout.model(location: "dir/data.bin"), naming: "dir/data.bin")
    }
  }

  @Test("a symlink that stays inside the folder is followed")
  func symlinkInside() throws {
    try withTemporaryFolder { root in
      let layout = try Layout(root)
      try FileManager.default.createSymbolicLink(
        atPath: root.file("models/sub/alias.bin"), withDestinationPath: "../inside.bin")
      let model = try ONNXModelReader.read(path: try layout.model(location: "sub/alias.bin", offset: 64, length: 64))
      #expect(try initializer(model, "w").rawData() == Data(repeating: 0x5A, count: 64))
    }
  }

  @Test("a missing external file is refused, naming it")
  func missingFile() throws {
    try withTemporaryFolder { root in
      let layout = try Layout(root)
      expectRefused(try layout.model(location: "missing.bin"), naming: "missing.bin")
      expectRefused(try layout.model(location: "sub/missing.bin"), naming: "sub/missing.bin")
      expectRefused(try layout.model(location: ""), naming: "w")
    }
  }

  @Test("an external location that is a folder is refused")
  func folderLocation() throws {
    try withTemporaryFolder { root in
      let layout = try Layout(root)
      expectRefused(try layout.model(location: "sub"), naming: "sub")
    }
  }

  @Test("offset and length past the end of the external file are refused")
  func truncatedFile() throws {
    try withTemporaryFolder { root in
      let layout = try Layout(root)
      // inside.bin has 4096 bytes; w needs 64.
      expectRefused(try layout.model(location: "inside.bin", offset: 4090, length: 64), naming: "inside.bin")
      expectRefused(try layout.model(location: "inside.bin", offset: 5000), naming: "inside.bin")
      expectRefused(try layout.model(location: "inside.bin", offset: 0, length: 4097), naming: "inside.bin")
      expectRefused(
        try layout.model(location: "inside.bin", offset: Int64.max - 10, length: 64), naming: "inside.bin")
      expectRefused(
        try layout.model(location: "inside.bin", offset: 64, length: Int64.max - 10), naming: "inside.bin")
    }
  }

  @Test("an external file shorter than the tensor's dims need is refused")
  func fileShorterThanTensor() throws {
    try withTemporaryFolder { root in
      let layout = try Layout(root)
      // No length: from offset 4060 to the end is 36 bytes, and w needs 64.
      expectRefused(try layout.model(location: "inside.bin", offset: 4060), naming: "inside.bin")
      // A length that does not match the dims.
      expectRefused(try layout.model(location: "inside.bin", offset: 0, length: 8), naming: "inside.bin")
    }
  }

  @Test("offsets and lengths that are not numbers are refused", arguments: ["-1", "abc", "", "1e3"])
  func badNumbers(value: String) throws {
    try withTemporaryFolder { root in
      let layout = try Layout(root)
      var tensor = externalTensorProto("w", count: 16, location: "inside.bin")
      var entry = Onnx_StringStringEntryProto()
      entry.key = "offset"
      entry.value = value
      tensor.externalData.append(entry)
      try writeMessage(modelProto(initializers: [tensor]), to: layout.modelPath)
      expectRefused(layout.modelPath, naming: "w")
    }
  }

  @Test("a model with external data read from bytes without a path is refused")
  func noPath() throws {
    let proto = modelProto(initializers: [externalTensorProto("w", count: 16, location: "w.bin")])
    let refusal = expectBadInput { _ = try ONNXModelReader.read(bytes: proto.serializedData()) }
    #expect(mentions(refusal, "w.bin"))
  }
}
