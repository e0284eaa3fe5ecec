// Reading and writing NumPy .npy files (format versions 1 to 3, little-endian, C order).

import Foundation
import KilnIR

/// NumPy `.npy` files holding one dense tensor: the magic, a version, a Python-dict header
/// (`descr`, `fortran_order`, `shape`) and the raw elements. Only little-endian, C-order files
/// of the element types the runtime has are accepted; any problem is a `KilnError` of kind
/// `.badInput` naming the file.
public enum NPYFile {
  private static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

  /// The `descr` of each supported element type.
  private static let descriptors: [(String, DataType)] = [
    ("<f4", .float), ("<f8", .double), ("<f2", .float16), ("|i1", .int8), ("|u1", .uint8),
    ("<i2", .int16), ("<u2", .uint16), ("<i4", .int32), ("<u4", .uint32), ("<i8", .int64),
    ("<u8", .uint64), ("|b1", .bool),
  ]

  /// Reads the tensor in the `.npy` file at `path`.
  public static func read(path: String) throws -> HostTensor {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw KilnError.badInput("cannot read the file", file: path, hint: "check the path")
    }
    return try decode(data, file: path)
  }

  /// Decodes the bytes of a `.npy` file; `file` names it in errors.
  public static func decode(_ data: Data, file: String) throws -> HostTensor {
    do {
      return try decode(Array(data))
    } catch let error as KilnError {
      throw error.inFile(file)
    }
  }

  /// Writes `tensor` to `path` as a version 1 (or, for a very long header, 2) `.npy` file;
  /// the file appears whole or not at all.
  public static func write(_ tensor: HostTensor, to path: String) throws {
    let header = try encodeHeader(tensor)
    let file = try AtomicOutputFile(destination: path)
    try file.write(header)
    let byteCount = tensor.dataType.byteCount(elements: Int64(tensor.elementCount)).map(Int.init) ?? 0
    try file.write(UnsafeRawBufferPointer(start: tensor.buffer.pointer, count: byteCount))
    try file.commit()
  }

  /// The magic, version, header length and padded header for `tensor`.
  public static func encodeHeader(_ tensor: HostTensor) throws -> Data {
    guard let descr = descriptors.first(where: { $0.1 == tensor.dataType })?.0 else {
      throw KilnError.badInput("element type \(tensor.dataType.name) cannot be written as .npy")
    }
    let dims = tensor.shape.map(String.init)
    let shape = dims.count == 1 ? "(\(dims[0]),)" : "(" + dims.joined(separator: ", ") + ")"
    var text = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
    let large = text.utf8.count + 12 > 65_535
    let prefix = magic.count + 2 + (large ? 4 : 2)
    let padding = (64 - (prefix + text.utf8.count + 1) % 64) % 64
    text += String(repeating: " ", count: padding) + "\n"
    var bytes = magic + [large ? 2 : 1, 0]
    let length = UInt32(text.utf8.count)
    bytes += (0..<(large ? 4 : 2)).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) }
    return Data(bytes + Array(text.utf8))
  }

  private static func decode(_ bytes: [UInt8]) throws -> HostTensor {
    let (header, dataStart) = try headerBytes(bytes)
    let fields = try NPYHeader(bytes: header)
    guard !fields.fortranOrder else {
      throw KilnError.badInput(
        ".npy file is in Fortran order", hint: "save a C-order array, e.g. with numpy.ascontiguousarray")
    }
    guard let dataType = descriptors.first(where: { $0.0 == fields.descr })?.1 else {
      throw KilnError.badInput(
        ".npy element type '\(fields.descr)' is not supported",
        hint: "supported: \(descriptors.map(\.0).joined(separator: " "))")
    }
    let tensor = try HostTensor(uninitialized: dataType, shape: fields.shape)
    let needed = tensor.buffer.byteCount
    guard bytes.count - dataStart >= needed else {
      throw KilnError.badInput(
        ".npy data is \(bytes.count - dataStart) bytes but shape \(fields.shape) of \(fields.descr) needs \(needed)",
        hint: "the file may be truncated")
    }
    bytes.withUnsafeBytes { source in
      guard needed > 0, let base = source.baseAddress else { return }
      tensor.buffer.pointer.copyMemory(from: base + dataStart, byteCount: needed)
    }
    if dataType == .bool {
      // Any byte other than 0 and 1 would not be a valid Swift Bool.
      let raw = tensor.buffer.pointer.assumingMemoryBound(to: UInt8.self)
      for index in 0..<needed where raw[index] > 1 { raw[index] = 1 }
    }
    return tensor
  }

  /// The header's bytes and where the data starts. The header is parsed as bytes: its syntax
  /// is ASCII in every version (latin-1 in 1 and 2, UTF-8 in 3), and decoding it as text first
  /// was much of the cost of reading many small sample files.
  private static func headerBytes(_ bytes: [UInt8]) throws -> (ArraySlice<UInt8>, Int) {
    guard bytes.count >= 10, bytes[0..<6].elementsEqual(magic) else {
      throw KilnError.badInput("not a .npy file: the NumPy magic is missing")
    }
    let major = bytes[6]
    guard (1...3).contains(major) else {
      throw KilnError.badInput(".npy format version \(major).\(bytes[7]) is not supported")
    }
    let lengthBytes = major == 1 ? 2 : 4
    guard bytes.count >= 8 + lengthBytes else { throw KilnError.badInput(".npy header is truncated") }
    let length = (0..<lengthBytes).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
    let start = 8 + lengthBytes
    guard length <= bytes.count - start else { throw KilnError.badInput(".npy header is truncated") }
    return (bytes[start..<(start + length)], start + length)
  }
}

/// The fields of a `.npy` header: a Python dict literal such as
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
struct NPYHeader {
  var descr = ""
  var fortranOrder = false
  var shape: [Int] = []

  init(bytes: ArraySlice<UInt8>) throws {
    var scanner = NPYHeaderScanner(bytes: bytes)
    var seen = Set<String>()
    try scanner.expect("{")
    while !scanner.consume("}") {
      let key = try scanner.quoted()
      try scanner.expect(":")
      switch key {
      case "descr": descr = try scanner.quoted()
      case "fortran_order": fortranOrder = try scanner.boolean()
      case "shape": shape = try scanner.tuple()
      default: throw NPYHeaderScanner.malformed("unknown key '\(key)'")
      }
      seen.insert(key)
      if !scanner.consume(",") {
        try scanner.expect("}")
        break
      }
    }
    guard seen == ["descr", "fortran_order", "shape"] else {
      throw NPYHeaderScanner.malformed("it needs the keys descr, fortran_order and shape")
    }
  }
}

/// A cursor over the bytes of a `.npy` header (ASCII syntax; quoted strings are decoded as
/// UTF-8, which every supported `descr` is).
private struct NPYHeaderScanner {
  private let bytes: ArraySlice<UInt8>
  private var position: Int

  init(bytes: ArraySlice<UInt8>) {
    self.bytes = bytes
    position = bytes.startIndex
  }

  static func malformed(_ why: String) -> KilnError {
    KilnError.badInput(".npy header is malformed: \(why)")
  }

  private mutating func skipSpace() {
    while position < bytes.endIndex, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
  }

  /// Skips `text` (ASCII, after any space) if it comes next.
  mutating func consume(_ text: StaticString) -> Bool {
    skipSpace()
    let wanted = UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
    guard bytes.endIndex - position >= wanted.count,
      bytes[position..<(position + wanted.count)].elementsEqual(wanted)
    else { return false }
    position += wanted.count
    return true
  }

  mutating func expect(_ text: StaticString) throws {
    guard consume(text) else { throw Self.malformed("expected '\(text)'") }
  }

  /// A string in single or double quotes.
  mutating func quoted() throws -> String {
    skipSpace()
    let (single, double): (UInt8, UInt8) = (0x27, 0x22)
    guard position < bytes.endIndex, bytes[position] == single || bytes[position] == double else {
      throw Self.malformed("expected a quoted string")
    }
    let quote = bytes[position]
    guard let end = bytes[(position + 1)...].firstIndex(of: quote) else {
      throw Self.malformed("unterminated string")
    }
    let text = String(decoding: bytes[(position + 1)..<end], as: UTF8.self)
    position = end + 1
    return text
  }

  mutating func boolean() throws -> Bool {
    if consume("True") { return true }
    if consume("False") { return false }
    throw Self.malformed("expected True or False")
  }

  /// A tuple of non-negative integers: `()`, `(3,)`, `(2, 3)`.
  mutating func tuple() throws -> [Int] {
    try expect("(")
    var values: [Int] = []
    while !consume(")") {
      values.append(try integer())
      if !consume(",") {
        try expect(")")
        break
      }
    }
    return values
  }

  private mutating func integer() throws -> Int {
    skipSpace()
    var value = 0, digits = 0
    while position < bytes.endIndex, (0x30...0x39).contains(bytes[position]) {
      let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
      guard !overflow, shifted <= Int.max - Int(bytes[position] - 0x30) else { throw Self.malformed("a dimension is too large") }
      value = shifted + Int(bytes[position] - 0x30)
      digits += 1
      position += 1
    }
    guard digits > 0 else { throw Self.malformed("expected a dimension") }
    return value
  }
}
