// Float32 and int64 tensors built from Swift arrays, for weights and shape operands.

import Foundation
import KilnIR

extension Tensor {
  /// A float32 tensor of `dims` holding `values`.
  init(floats values: [Float], dims: [Int]) {
    let bytes = values.map(\.bitPattern.littleEndian).withUnsafeBytes { Data($0) }
    self.init(dataType: .float, dims: dims.map(Int64.init), bytes: bytes)
  }

  /// A one-dimensional int64 tensor holding `values`.
  init(int64s values: [Int]) {
    let bytes = values.map { Int64($0).littleEndian }.withUnsafeBytes { Data($0) }
    self.init(dataType: .int64, dims: [Int64(values.count)], bytes: bytes)
  }
}
