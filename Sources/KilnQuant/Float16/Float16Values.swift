// float32 constants to float16, with overflow clipped and tiny values flushed, never silently.

import Foundation
import KilnIR
import KilnRuntime

/// Converts float32 tensors to float16: magnitudes above 65504 are clipped to ±65504, nonzero
/// magnitudes below the smallest subnormal (2⁻²⁴) become 0, and both are counted.
enum Float16Values {
  /// The smallest positive float16 subnormal.
  static let smallestSubnormal = Float(Float16.leastNonzeroMagnitude)

  /// `tensor` as float16, and what did not fit (nil when everything did).
  static func convert(_ tensor: Tensor) throws -> (Tensor, Float16ConversionReport.ConstantChange?) {
    guard tensor.elementCount > 0 else {
      return (Tensor(name: tensor.name, dataType: .float16, dims: tensor.dims, bytes: Data()), nil)
    }
    let limit = Float(Float16.greatestFiniteMagnitude)
    var change = Float16ConversionReport.ConstantChange(name: tensor.name, clipped: 0, largestMagnitude: 0, flushed: 0)
    let values = try HostTensor(tensor).scalars(as: Float.self).map { value -> Float16 in
      let magnitude = abs(value)
      if magnitude > limit && magnitude.isFinite {
        change.clipped += 1
        change.largestMagnitude = max(change.largestMagnitude, magnitude)
        return Float16(value < 0 ? -limit : limit)
      }
      if magnitude < smallestSubnormal && magnitude > 0 {
        change.flushed += 1
        return 0
      }
      return Float16(value)
    }
    var converted = try Tensor(HostTensor(shape: tensor.dims.map { Int($0) }, values: values), name: tensor.name)
    converted.docString = tensor.docString
    return (converted, change.clipped + change.flushed > 0 ? change : nil)
  }
}
