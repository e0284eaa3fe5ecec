// Tensor data for tests: little-endian bytes, float32 tensors, and value types from text.

import Foundation
import KilnIR

/// The little-endian bytes of `values`.
public func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> Data {
  values.map(\.littleEndian).withUnsafeBytes { Data($0) }
}

/// The little-endian bytes of `values` (IEEE 754 single precision).
public func littleEndianBytes(_ values: [Float]) -> Data {
  littleEndianBytes(values.map(\.bitPattern))
}

/// The little-endian bytes of `values` (IEEE 754 double precision).
public func littleEndianBytes(_ values: [Double]) -> Data {
  littleEndianBytes(values.map(\.bitPattern))
}

/// An unnamed float32 tensor holding `values` (1-D unless `dims` is given).
public func floatTensor(_ values: [Float], dims: [Int64]? = nil) -> Tensor {
  floatTensor("", values, dims: dims)
}

/// A float32 tensor named `name` holding `values` (1-D unless `dims` is given).
public func floatTensor(_ name: String, _ values: [Float], dims: [Int64]? = nil) -> Tensor {
  Tensor(
    name: name, dataType: .float, dims: dims ?? [Int64(values.count)],
    bytes: littleEndianBytes(values))
}

/// Parses `float32[N,3,?]` into a tensor type; `float32` alone has an unknown rank.
public func tensorType(_ text: String) -> ValueType {
  guard let open = text.firstIndex(of: "[") else {
    return .tensor(DataType(name: text) ?? .undefined, nil)
  }
  let dataType = DataType(name: String(text[..<open])) ?? .undefined
  let inner = text[text.index(after: open)...].dropLast()
  let dims: [Dim] =
    inner.isEmpty
    ? []
    : inner.split(separator: ",").map { item in
      if item == "?" { return .unknown }
      return Int64(item).map(Dim.fixed) ?? .symbolic(String(item))
    }
  return .tensor(dataType, Shape(dims))
}
