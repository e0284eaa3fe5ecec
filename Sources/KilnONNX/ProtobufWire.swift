// Writing the protobuf wire format directly, for the messages that hold weights (reading is
// KilnIR's WireScanner).

import Foundation
import KilnIR

/// Appends protobuf wire-format pieces to a byte buffer.
enum WireEncoding {
  /// Appends `value` as a base-128 varint.
  static func appendVarint(_ value: UInt64, to data: inout Data) {
    var remaining = value
    while remaining >= 0x80 {
      data.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
      remaining >>= 7
    }
    data.append(UInt8(remaining))
  }

  /// The number of bytes `value` takes as a varint.
  static func varintSize(_ value: UInt64) -> Int {
    var size = 1
    var remaining = value >> 7
    while remaining != 0 {
      size += 1
      remaining >>= 7
    }
    return size
  }

  /// Appends the key and length of a length-delimited field with `length` payload bytes.
  static func appendLengthDelimitedHeader(field: Int, length: Int, to data: inout Data) {
    appendVarint(UInt64(field << 3 | 2), to: &data)
    appendVarint(UInt64(length), to: &data)
  }

  /// The size of a length-delimited field's key and length prefix.
  static func lengthDelimitedHeaderSize(field: Int, length: Int) -> Int {
    varintSize(UInt64(field << 3 | 2)) + varintSize(UInt64(length))
  }
}
