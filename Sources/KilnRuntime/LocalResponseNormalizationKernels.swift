// LRN: local response normalization across neighbouring channels.

import Foundation
import KilnIR

extension KernelFamily {
  /// LRN on [N, C, ...] floating-point tensors: each element divided by
  /// (bias + alpha / size · Σ x²)^beta, the sum over channels c − ⌊(size−1)/2⌋ … c + ⌈(size−1)/2⌉
  /// at the same position.
  static let localResponseNormalization = KernelFamily { registry in
    registry.register("LRN", lrnKernel)
  }

  private static func lrnKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let x = try invocation.input(0)
    guard x.rank >= 2 else { throw invocation.failure("needs X [N, C, ...], got \(x.shape)") }
    let size = invocation.int("size", default: 0)
    guard size > 0 else { throw invocation.failure("size must be positive, not \(size)") }
    let alpha = Double(invocation.float("alpha", default: 1e-4))
    let beta = Double(invocation.float("beta", default: 0.75))
    let bias = Double(invocation.float("bias", default: 1))
    let values = try invocation.floatingValues(of: x)
    guard !values.isEmpty else { return [x] }
    let lanes = Lanes(shape: x.shape, axis: 1)
    let (before, after) = ((size - 1) / 2, size / 2)
    let result = lanes.map(values) { lane in
      lane.indices.map { channel in
        let window = lane[max(channel - before, 0)...min(channel + min(after, lane.count), lane.count - 1)]
        let squares = window.reduce(0) { $0 + $1 * $1 }
        return lane[channel] / pow(bias + alpha / Double(size) * squares, beta)
      }
    }
    return [try HostTensor.narrowing(result, to: x.dataType, shape: x.shape)]
  }
}
