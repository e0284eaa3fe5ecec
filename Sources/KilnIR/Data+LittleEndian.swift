// The bytes of integer arrays in the little-endian order every tensor format here stores.

import Foundation

extension Data {
  /// The little-endian bytes of `values` (floats through their `bitPattern`).
  public static func littleEndian<T: FixedWidthInteger>(_ values: [T]) -> Data {
    values.map(\.littleEndian).withUnsafeBytes { Data($0) }
  }
}
