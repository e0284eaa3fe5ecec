// A small flatbuffer writer for the tests: tables laid out front to back, children after parents.

import Foundation

/// A field value of a hand-built table.
indirect enum FlatField {
  case int8(Int8), uint8(UInt8), int32(Int32), uint32(UInt32), uint64(UInt64), float(Float)
  case table(FlatObject), string(String), int32s([Int32]), int64s([Int64]), floats([Float]), bytes([UInt8])
  case uint16s([UInt16])
  case tables([FlatObject])
}

/// A table as field index → value; absent indices are left out of the vtable.
struct FlatObject {
  var fields: [Int: FlatField]
  init(_ fields: [Int: FlatField]) { self.fields = fields }
}

/// Writes `root` as a flatbuffer with `identifier`, then `trailer` (data past the flatbuffer).
func flatBuffer(_ root: FlatObject, identifier: String = "TFL3", trailer: [UInt8] = []) -> [UInt8] {
  var writer = FlatBufferWriter()
  writer.bytes = [0, 0, 0, 0] + Array(identifier.utf8)
  let position = writer.write(root)
  writer.patch(0, UInt32(position))
  return writer.bytes + trailer
}

private struct FlatBufferWriter {
  var bytes: [UInt8] = []

  mutating func align(_ alignment: Int) {
    while bytes.count % alignment != 0 { bytes.append(0) }
  }

  mutating func append<T: FixedWidthInteger>(_ value: T) {
    withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
  }

  mutating func patch(_ position: Int, _ value: UInt32) {
    withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(position..<position + 4, with: $0) }
  }

  /// Writes the table (vtable first) and its children after it; returns the table's position.
  mutating func write(_ object: FlatObject) -> Int {
    let indices = object.fields.keys.sorted()
    let slots = (indices.last ?? -1) + 1
    // Inline layout: 4 bytes of vtable offset, then each field at 8-byte slots (simple, aligned).
    align(4)
    let vtable = bytes.count
    append(UInt16(4 + 2 * slots))
    append(UInt16(4 + 8 * indices.count + 4))
    for index in 0..<slots {
      let rank = indices.firstIndex(of: index)
      append(UInt16(rank.map { 8 + 8 * $0 } ?? 0))
    }
    align(8)
    let table = bytes.count
    bytes += [0, 0, 0, 0, 0, 0, 0, 0]
    withUnsafeBytes(of: Int32(table - vtable).littleEndian) { bytes.replaceSubrange(table..<table + 4, with: $0) }
    var references: [(Int, FlatField)] = []
    for index in indices {
      let at = bytes.count
      guard let field = object.fields[index] else { continue }
      switch field {
      case .int8(let v): append(v)
      case .uint8(let v): append(v)
      case .int32(let v): append(v)
      case .uint32(let v): append(v)
      case .uint64(let v): append(v)
      case .float(let v): append(v.bitPattern)
      case let field: append(UInt32(0)); references.append((at, field))
      }
      while bytes.count < at + 8 { bytes.append(0) }
    }
    for (at, field) in references { patch(at, UInt32(writeReferenced(field) - at)) }
    return table
  }

  private mutating func writeReferenced(_ field: FlatField) -> Int {
    switch field {
    case .table(let object): return write(object)
    case .string(let text): return vector(Array(text.utf8) + [0], count: text.utf8.count, size: 1)
    case .bytes(let values): return vector(values, count: values.count, size: 1, alignment: 16)
    case .uint16s(let values): return vector(values.flatMap(Self.littleEndian), count: values.count, size: 2)
    case .int32s(let values): return vector(values.flatMap(Self.littleEndian), count: values.count, size: 4)
    case .int64s(let values): return vector(values.flatMap(Self.littleEndian), count: values.count, size: 8)
    case .floats(let values): return vector(values.map(\.bitPattern).flatMap(Self.littleEndian), count: values.count, size: 4)
    case .tables(let objects):
      let start = vector(Array(repeating: 0, count: 4 * objects.count), count: objects.count, size: 4)
      for (index, object) in objects.enumerated() {
        let slot = start + 4 + 4 * index
        patch(slot, UInt32(write(object) - slot))
      }
      return start
    default: return 0
    }
  }

  /// Writes a length-prefixed vector whose elements start aligned to `alignment`.
  private mutating func vector(_ payload: [UInt8], count: Int, size: Int, alignment: Int = 8) -> Int {
    align(4)
    while (bytes.count + 4) % max(size, alignment) != 0 { bytes.append(0) }
    let start = bytes.count
    append(UInt32(count))
    bytes += payload
    return start
  }

  private static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
  }
}
