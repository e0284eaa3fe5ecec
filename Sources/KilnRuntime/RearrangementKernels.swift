// Ops that move elements to new places unchanged: DepthToSpace, SpaceToDepth, ReverseSequence.

import KilnIR

extension KernelFamily {
  /// DepthToSpace (DCR and CRD) and SpaceToDepth on [N, C, H, W] tensors, as a reshape to 6-D,
  /// a transpose and a reshape back; ReverseSequence (time and batch axes 0 and 1 either way
  /// round, every length within the time axis). Any element type.
  static let rearrangement = KernelFamily { registry in
    registry.register("DepthToSpace", depthToSpaceKernel)
    registry.register("SpaceToDepth", spaceToDepthKernel)
    registry.register("ReverseSequence", reverseSequenceKernel)
  }

  private static func depthToSpaceKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let x = try invocation.input(0)
    let block = try blockSize(invocation, x)
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    guard c % (block * block) == 0 else {
      throw invocation.failure("channels \(c) are not a multiple of blocksize² \(block * block)")
    }
    let depth = c / (block * block)
    let mode = invocation.string("mode", default: "DCR")
    let (split, perm): ([Int], [Int]) =
      switch mode {
      case "DCR": ([n, block, block, depth, h, w], [0, 3, 4, 1, 5, 2])
      case "CRD": ([n, depth, block, block, h, w], [0, 1, 4, 2, 5, 3])
      default: throw invocation.failure("mode \(mode) is not DCR or CRD")
      }
    let result = [n, depth, try product(h, block, invocation), try product(w, block, invocation)]
    return [try transposed(x, split: split, perm: perm, result: result, invocation)]
  }

  private static func spaceToDepthKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let x = try invocation.input(0)
    let block = try blockSize(invocation, x)
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    guard h % block == 0, w % block == 0 else {
      throw invocation.failure("height \(h) and width \(w) are not multiples of blocksize \(block)")
    }
    let split = [n, c, h / block, block, w / block, block]
    let result = [n, try product(product(c, block, invocation), block, invocation), h / block, w / block]
    return [try transposed(x, split: split, perm: [0, 3, 5, 1, 2, 4], result: result, invocation)]
  }

  /// The blocksize attribute, checked positive, for a 4-D input.
  private static func blockSize(_ invocation: KernelInvocation, _ x: HostTensor) throws -> Int {
    guard x.rank == 4 else { throw invocation.failure("needs a 4-D input, got \(x.shape)") }
    let block = invocation.int("blocksize", default: 0)
    guard block > 0, block <= 1 << 16 else { throw invocation.failure("blocksize \(block) must be in 1...65536") }
    return block
  }

  /// `a · b`, refused when it overflows (possible for the sides of an empty tensor).
  private static func product(_ a: Int, _ b: Int, _ invocation: KernelInvocation) throws -> Int {
    let (value, overflow) = a.multipliedReportingOverflow(by: b)
    guard !overflow else { throw invocation.failure("\(a) × \(b) overflows") }
    return value
  }

  /// `x` viewed as `split`, transposed by `perm`, viewed as `result`.
  private static func transposed(
    _ x: HostTensor, split: [Int], perm: [Int], result: [Int], _ invocation: KernelInvocation
  ) throws -> HostTensor {
    guard x.elementCount > 0 else { return try HostTensor(zeros: x.dataType, shape: result) }
    let view = try invocation.reshape(x, to: split)
    let strides = view.strides
    return try invocation.reshape(view.strided(shape: perm.map { split[$0] }, strides: perm.map { strides[$0] }), to: result)
  }

  private static func reverseSequenceKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let x = try invocation.input(0)
    let lengths = try invocation.intValues(of: try invocation.input(1))
    let timeAxis = invocation.int("time_axis", default: 0)
    let batchAxis = invocation.int("batch_axis", default: 1)
    guard x.rank >= 2, Set([timeAxis, batchAxis]) == [0, 1] else {
      throw invocation.failure("needs rank ≥ 2 and time and batch axes 0 and 1, got \(x.shape)")
    }
    let (batch, time) = (x.shape[batchAxis], x.shape[timeAxis])
    guard lengths.count == batch, lengths.allSatisfy({ $0 >= 0 && $0 <= time }) else {
      throw invocation.failure("sequence_lens \(lengths) must give one length in 0...\(time) per batch entry")
    }
    guard x.elementCount > 0 else { return [x] }
    let output = try HostTensor(zeros: x.dataType, shape: x.shape)
    let bytes = try x.elementSize() * x.shape[2...].reduce(1, *)
    for outer in 0..<x.shape[0] {
      for inner in 0..<x.shape[1] {
        let (b, t) = timeAxis == 0 ? (inner, outer) : (outer, inner)
        let source = t < lengths[b] ? lengths[b] - 1 - t : t
        let sourceRow = timeAxis == 0 ? source * batch + b : b * time + source
        (output.buffer.pointer + (outer * x.shape[1] + inner) * bytes).copyMemory(
          from: x.buffer.pointer + sourceRow * bytes, byteCount: bytes)
      }
    }
    return [output]
  }
}
