// Reading the protobuf wire format directly, for the messages that hold weights.

import Foundation

/// One field of a protobuf message as it lies in the buffer.
public struct WireField: Sendable {
  /// The field number.
  public var number: Int
  /// The wire type (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32, 3/4 groups).
  public var wireType: Int
  /// The whole field, key included, relative to the scanned buffer.
  public var range: Range<Int>
  /// For length-delimited fields, the payload without key and length.
  public var payload: Range<Int>
}

/// Walks the top-level fields of one serialized protobuf message without decoding them, so
/// that large `bytes` fields can stay where they are in a memory-mapped file.
public struct WireScanner {
  private let bytes: UnsafeRawBufferPointer
  private var position: Int
  private let end: Int
  private let format: String

  /// Scans `range` of `bytes`, a file of `format` (named in errors: "ONNX model", ".caffemodel").
  public init(_ bytes: UnsafeRawBufferPointer, range: Range<Int>, format: String = "ONNX model") {
    self.bytes = bytes
    self.position = range.lowerBound
    self.end = range.upperBound
    self.format = format
  }

  /// The next field, or nil at the end of the message. Throws on malformed input.
  public mutating func next() throws -> WireField? {
    guard position < end else { return nil }
    let start = position
    let key = try readVarint()
    let number = Int(key >> 3)
    let wireType = Int(key & 7)
    guard number > 0 else { throw malformed(at: start, "field number 0") }
    var payload = position..<position
    switch wireType {
    case 0: _ = try readVarint()
    case 1: try skip(8)
    case 5: try skip(4)
    case 2:
      let length = try readVarint()
      guard length <= UInt64(end - position) else {
        throw malformed(at: start, "field \(number) claims \(length) bytes but only \(end - position) remain")
      }
      payload = position..<(position + Int(length))
      position += Int(length)
    case 3: try skipGroup(number: number)
    default: throw malformed(at: start, "unknown wire type \(wireType)")
    }
    return WireField(number: number, wireType: wireType, range: start..<position, payload: payload)
  }

  /// Reads a varint at `offset` (the payload of a field whose wire type is 0).
  public static func varint(
    in bytes: UnsafeRawBufferPointer, at offset: Int, end: Int, format: String = "ONNX model"
  ) throws -> UInt64 {
    var scanner = WireScanner(bytes, range: offset..<end, format: format)
    return try scanner.readVarint()
  }

  private mutating func readVarint() throws -> UInt64 {
    var result: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      guard position < end else { throw malformed(at: position, "truncated varint") }
      let byte = bytes[position]
      position += 1
      guard shift < 64 else { throw malformed(at: position, "varint longer than 10 bytes") }
      result |= UInt64(byte & 0x7f) << shift
      if byte & 0x80 == 0 { return result }
      shift += 7
    }
  }

  private mutating func skip(_ count: Int) throws {
    guard end - position >= count else { throw malformed(at: position, "truncated field") }
    position += count
  }

  private mutating func skipGroup(number: Int) throws {
    while true {
      guard let field = try next() else { throw malformed(at: position, "unterminated group") }
      if field.wireType == 4 {
        guard field.number == number else { throw malformed(at: field.range.lowerBound, "mismatched group end") }
        return
      }
    }
  }

  private func malformed(at offset: Int, _ reason: String) -> KilnError {
    KilnError.badInput(
      "not a valid \(format): malformed protobuf at byte \(offset) (\(reason))",
      hint: "the file may be truncated, corrupt, or of another format")
  }
}
