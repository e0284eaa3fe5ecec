// Reading any numeric or Boolean tensor's elements as Double, for summaries and comparisons.

import KilnIR

extension HostTensor {
  /// The elements as `Double` (Booleans as 0 and 1), or nil for element types without a
  /// numeric value. 64-bit integers beyond 2^53 are rounded.
  public func doubleValues() -> [Double]? {
    switch dataType {
    case .float: elements(as: Float.self).map(Double.init)
    case .double: Array(elements(as: Double.self))
    case .float16: elements(as: Float16.self).map(Double.init)
    case .int8: elements(as: Int8.self).map(Double.init)
    case .uint8: elements(as: UInt8.self).map(Double.init)
    case .int16: elements(as: Int16.self).map(Double.init)
    case .uint16: elements(as: UInt16.self).map(Double.init)
    case .int32: elements(as: Int32.self).map(Double.init)
    case .uint32: elements(as: UInt32.self).map(Double.init)
    case .int64: elements(as: Int64.self).map(Double.init)
    case .uint64: elements(as: UInt64.self).map(Double.init)
    case .bool: elements(as: Bool.self).map { $0 ? 1 : 0 }
    default: nil
    }
  }

  /// Whether the element type is a floating-point one.
  public var isFloatingPoint: Bool { [.float, .double, .float16].contains(dataType) }
}
