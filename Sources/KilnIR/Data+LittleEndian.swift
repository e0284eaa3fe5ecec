// The bytes of integer arrays in the little-endian order every tensor format here stores.

import Foundation

extension Data {
  /// The little-endian bytes of `values` (floats through their `bitPattern`). Inlinable, so
  /// that callers in other modules get it specialized for their element type: unspecialized,
  /// a generic element conversion per value made weight writing several times slower.
  @inlinable
  public static func littleEndian<T: FixedWidthInteger>(_ values: [T]) -> Data {
    values.map { $0.littleEndian }.withUnsafeBytes { Data($0) }
  }
}
