// Float32 and int64 tensors built from Swift arrays, for weights and shape operands.

import Foundation

extension Tensor {
  /// A float32 tensor of `dims` holding `values`.
  public init(name: String = "", floats values: [Float], dims: [Int]) {
    self.init(name: name, dataType: .float, dims: dims.map(Int64.init), bytes: .littleEndian(values.map(\.bitPattern)))
  }

  /// A one-dimensional int64 tensor holding `values`.
  public init(name: String = "", int64s values: [Int]) {
    self.init(name: name, dataType: .int64, dims: [Int64(values.count)], bytes: .littleEndian(values.map(Int64.init)))
  }
}
