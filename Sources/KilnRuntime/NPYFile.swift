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
    let (header, dataStart) = try headerText(bytes)
    let fields = try NPYHeader(text: header)
    guard !fields.fortranOrder else {
      throw KilnError.badInput(
        ".npy file is in Fortran order", hint: "save a C-order array, e.g. with numpy.ascontiguousarray")
    }
    guard let dataType = descriptors.first(where: { $0.0 == fields.descr })?.1 else {
      throw KilnError.badInput(
        ".npy element type '\(fields.descr)' is not supported",
        hint: "supported: \(descriptors.map(\.0).joined(separator: " "))")
    }
    let tensor = try HostTensor(zeros: dataType, shape: fields.shape)
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

  /// The header text and where the data starts.
  private static func headerText(_ bytes: [UInt8]) throws -> (String, Int) {
    guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
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
    let body = Array(bytes[start..<(start + length)])
    guard let text = String(bytes: body, encoding: major == 3 ? .utf8 : .isoLatin1) else { throw KilnError.badInput(".npy header is not valid text") }
    return (text, start + length)
  }
}

/// The fields of a `.npy` header: a Python dict literal such as
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
struct NPYHeader {
  var descr = ""
  var fortranOrder = false
  var shape: [Int] = []

  init(text: String) throws {
    var scanner = NPYHeaderScanner(text: text)
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

/// A cursor over the characters of a `.npy` header. It works on Unicode scalars: the header's
/// syntax is ASCII, and scalars compare without the grapheme breaking that `Character` costs
/// (reading many small sample files, the header is much of the work).
private struct NPYHeaderScanner {
  private let characters: [Unicode.Scalar]
  private var position = 0

  init(text: String) { characters = Array(text.unicodeScalars) }

  static func malformed(_ why: String) -> KilnError {
    KilnError.badInput(".npy header is malformed: \(why)")
  }

  private mutating func skipSpace() {
    while position < characters.count, [" ", "\t", "\n", "\r"].contains(characters[position]) { position += 1 }
  }

  /// Skips `text` (after any space) if it comes next.
  mutating func consume(_ text: String) -> Bool {
    skipSpace()
    let wanted = Array(text.unicodeScalars)
    guard position + wanted.count <= characters.count,
      Array(characters[position..<(position + wanted.count)]) == wanted
    else { return false }
    position += wanted.count
    return true
  }

  mutating func expect(_ text: String) throws {
    guard consume(text) else { throw Self.malformed("expected '\(text)'") }
  }

  /// A string in single or double quotes.
  mutating func quoted() throws -> String {
    skipSpace()
    guard position < characters.count, characters[position] == "'" || characters[position] == "\"" else {
      throw Self.malformed("expected a quoted string")
    }
    let quote = characters[position]
    guard let end = characters[(position + 1)...].firstIndex(of: quote) else {
      throw Self.malformed("unterminated string")
    }
    let text = String(String.UnicodeScalarView(characters[(position + 1)..<end]))
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
    let start = position
    while position < characters.count, ("0"..."9").contains(characters[position]) {
      position += 1
    }
    guard let value = Int(String(String.UnicodeScalarView(characters[start..<position]))) else { throw Self.malformed("expected a dimension") }
    return value
  }
}
