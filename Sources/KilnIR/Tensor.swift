// Constant tensor data and where its bytes live.

import Foundation

/// Where a tensor's element bytes are. Weights are never copied on import: they stay a slice
/// of the memory-mapped model file, or an external-data reference read only when needed.
public enum TensorStorage: Sendable {
  /// Raw little-endian element bytes in memory (sub-byte types packed as ONNX packs them).
  case bytes(Data)
  /// Raw element bytes that are a slice of a memory-mapped file.
  case mapped(MappedFile, Range<Int>)
  /// Raw element bytes in an external-data file, not read yet.
  case external(ExternalData)
  /// The elements of a string tensor.
  case strings([Data])
}

/// A reference to tensor bytes kept in a file beside the model (ONNX external data).
public struct ExternalData: Sendable, Hashable {
  /// The `location` as written in the model, relative to the model's folder.
  public var location: String
  /// The resolved path of the file.
  public var path: String
  /// Where the bytes start in the file.
  public var offset: Int64
  /// How many bytes; nil means up to the end of the file.
  public var length: Int64?

  public init(location: String, path: String, offset: Int64 = 0, length: Int64? = nil) {
    self.location = location
    self.path = path
    self.offset = offset
    self.length = length
  }
}

/// A constant tensor: an initializer, or the value of a tensor attribute.
public struct Tensor: Sendable {
  public var name: String
  public var dataType: DataType
  public var dims: [Int64]
  public var storage: TensorStorage
  public var docString: String
  /// How the source format stored this tensor, for writing it back the same way.
  public var origin: SourceRecord?

  public init(
    name: String = "", dataType: DataType, dims: [Int64], storage: TensorStorage,
    docString: String = "", origin: SourceRecord? = nil
  ) {
    self.name = name
    self.dataType = dataType
    self.dims = dims
    self.storage = storage
    self.docString = docString
    self.origin = origin
  }

  /// A tensor holding `data` as raw little-endian element bytes.
  public init(name: String = "", dataType: DataType, dims: [Int64], bytes data: Data) {
    self.init(name: name, dataType: dataType, dims: dims, storage: .bytes(data))
  }

  /// The number of elements the dims describe.
  public var elementCount: Int64 { dims.reduce(1, *) }

  /// The shape as a static `Shape`.
  public var shape: Shape { Shape(static: dims) }

  /// The number of raw bytes the elements occupy (0 for string tensors).
  public var byteCount: Int64 {
    switch storage {
    case .bytes(let data): Int64(data.count)
    case .mapped(_, let range): Int64(range.count)
    case .external(let reference):
      reference.length ?? dataType.byteCount(elements: elementCount) ?? 0
    case .strings(let items): items.reduce(0) { $0 + Int64($1.count) }
    }
  }

  /// Whether the bytes live in an external-data file.
  public var isExternal: Bool {
    if case .external = storage { return true }
    return false
  }

  /// Calls `body` with the raw element bytes, reading external data when needed.
  /// Throws for string tensors and for external data that cannot be read.
  public func withRawBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
    switch storage {
    case .bytes(let data):
      return try data.withUnsafeBytes(body)
    case .mapped(let file, let range):
      return try file.withBytes(in: range, body)
    case .external(let reference):
      let (file, range) = try reference.map()
      return try file.withBytes(in: range, body)
    case .strings:
      throw KilnError.internalError("tensor '\(name)' holds strings, not raw bytes")
    }
  }

  /// Calls `body` with the raw element bytes in consecutive pieces of at most `chunkBytes`,
  /// letting mapped pages leave resident memory after each piece: streaming a large mapped or
  /// external tensor out keeps about one piece of it resident, not the whole tensor.
  public func forEachRawChunk(
    of chunkBytes: Int, _ body: (UnsafeRawBufferPointer) throws -> Void
  ) throws {
    precondition(chunkBytes > 0, "chunks need a positive size")
    let mapping: (file: MappedFile, range: Range<Int>)? =
      switch storage {
      case .mapped(let file, let range): (file, range)
      case .external(let reference): try reference.map()
      case .bytes, .strings: nil
      }
    guard let mapping else { return try withRawBytes(body) }
    for start in stride(from: mapping.range.lowerBound, to: mapping.range.upperBound, by: chunkBytes) {
      let piece = start..<min(start + chunkBytes, mapping.range.upperBound)
      try mapping.file.withBytes(in: piece, body)
      mapping.file.dropResidentPages(in: piece)
    }
  }

  /// Lets the mapped pages that hold `bytes` (offsets into this tensor's raw bytes) leave
  /// resident memory after a one-time read (see `MappedFile.dropResidentPages`); other storage
  /// is left alone.
  public func dropResidentPages(bytes: Range<Int>) {
    guard case .mapped(let file, let range) = storage else { return }
    file.dropResidentPages(in: range.lowerBound + bytes.lowerBound..<range.lowerBound + bytes.upperBound)
  }

  /// The raw element bytes as `Data` (a copy; prefer `withRawBytes` for large tensors).
  public func rawData() throws -> Data {
    try withRawBytes { Data($0) }
  }

  /// Checks that the stored bytes match the element count the dims describe.
  public func validateSize() throws {
    if case .strings(let items) = storage {
      guard Int64(items.count) == elementCount else {
        throw KilnError.badInput(
          "tensor '\(name)' has \(items.count) strings but its dims \(dims) need \(elementCount)")
      }
      return
    }
    guard let expected = dataType.byteCount(elements: elementCount) else { return }
    guard byteCount == expected else {
      throw KilnError.badInput(
        "tensor '\(name)' has \(byteCount) bytes of data but \(dataType.name)\(dims) needs \(expected)",
        hint: "the model file may be truncated or corrupt")
    }
  }
}

extension ExternalData {
  /// Maps the external file and returns the byte range this reference covers, checking that
  /// it lies inside the file.
  public func map() throws -> (MappedFile, Range<Int>) {
    let file = try MappedFile(path: path)
    let start = Int(offset)
    var end = file.count
    if let length {
      // A hostile offset and length may not fit in an Int together.
      let (sum, overflow) = start.addingReportingOverflow(Int(length))
      end = overflow ? Int.max : sum
    }
    guard start >= 0, start <= end, end <= file.count else {
      throw KilnError.badInput(
        "external data '\(location)' needs bytes \(start)..<\(end) but the file has \(file.count)",
        file: path, hint: "the external-data file may be truncated")
    }
    return (file, start..<end)
  }
}
