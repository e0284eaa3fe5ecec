// The Darknet .weights file: a version header, then every layer's float32 parameters in cfg order.

import KilnIR

/// A Darknet weights file read front to back, handing out each layer's parameters as slices of
/// the memory-mapped file (the floats are little-endian float32 already, so nothing is copied).
///
/// Header: int32 major, minor, revision, then `seen` (images seen in training) as int64 when
/// `major*10 + minor >= 2` and both are below 1000, else as int32.
struct DarknetWeights {
  let file: MappedFile
  let major: Int32
  let minor: Int32
  let revision: Int32
  let seen: Int64
  /// Where the next parameter starts.
  private(set) var offset: Int
  /// The last layer that took parameters, for the error about bytes left over.
  private var lastLayer: String?

  init(path: String) throws {
    file = try MappedFile(path: path)
    guard file.count >= 16 else {
      throw KilnError.badInput(
        "a Darknet weights file starts with a header of at least 16 bytes; this one has \(file.count)",
        hint: "the file may be truncated, or not a .weights file")
    }
    (major, minor, revision) = (Self.int32(file, at: 0), Self.int32(file, at: 4), Self.int32(file, at: 8))
    guard major < 1000, minor < 1000 else {
      throw KilnError.badInput(
        "weights version \(major).\(minor).\(revision) stores transposed connected weights, which Kiln does not read",
        hint: "save the weights again with a current darknet")
    }
    if major * 10 + minor >= 2 {
      guard file.count >= 20 else {
        throw KilnError.badInput("the weights header of version \(major).\(minor) needs 20 bytes; the file has \(file.count)")
      }
      seen = file.withBytes(in: 12..<20) { $0.loadUnaligned(as: Int64.self) }.littleEndian
      offset = 20
    } else {
      seen = Int64(Self.int32(file, at: 12))
      offset = 16
    }
  }

  /// The version as darknet prints it: `major.minor.revision`.
  var version: String { "\(major).\(minor).\(revision)" }

  /// The next `count` float32 values, for `part` (bias, weights, ...) of `layer`.
  mutating func take(_ count: Int, _ part: String, of layer: String) throws -> TensorStorage {
    let bytes = count * MemoryLayout<Float>.size
    guard bytes <= file.count - offset else {
      throw KilnError.badInput(
        "the weights file ends inside layer '\(layer)': its \(part) needs \(bytes) bytes at offset \(offset), the file has \(file.count - offset) left",
        file: file.path, hint: "the weights do not belong to this cfg, or the file is truncated")
    }
    defer {
      offset += bytes
      lastLayer = layer
    }
    return .mapped(file, offset..<offset + bytes)
  }

  /// Checks that every byte was taken: a longer file belongs to another cfg.
  func checkFullyRead() throws {
    guard offset == file.count else {
      let after = lastLayer.map { "after the last layer with parameters ('\($0)')" } ?? "after the header (no layer has parameters)"
      throw KilnError.badInput(
        "the weights file has \(file.count - offset) bytes left \(after)", file: file.path,
        hint: "the weights do not belong to this cfg")
    }
  }

  private static func int32(_ file: MappedFile, at offset: Int) -> Int32 {
    file.withBytes(in: offset..<offset + 4) { $0.loadUnaligned(as: Int32.self) }.littleEndian
  }
}
