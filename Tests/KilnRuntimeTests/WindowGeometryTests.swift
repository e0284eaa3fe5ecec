// Window segments against a brute-force walk of every (tap, output position) pair.

import KilnIR
import Testing

@testable import KilnRuntime

/// The input offset every (tap, output position) reads, or nil in the padding, by brute force.
private func bruteForceReads(_ geometry: WindowGeometry) -> [[Int?]] {
  let inputStrides = HostTensor.strides(of: geometry.input)
  var reads = [[Int?]](repeating: [Int?](repeating: nil, count: geometry.outputCount), count: geometry.kernelCount)
  var tap = [Int](repeating: 0, count: geometry.kernel.count)
  for tapIndex in 0..<geometry.kernelCount {
    var position = [Int](repeating: 0, count: geometry.output.count)
    for positionIndex in 0..<geometry.outputCount {
      var offset: Int? = 0
      for axis in tap.indices {
        let coord = position[axis] * geometry.strides[axis] - geometry.padsBegin[axis] + tap[axis] * geometry.dilations[axis]
        if coord < 0 || coord >= geometry.input[axis] { offset = nil; break }
        offset! += coord * inputStrides[axis]
      }
      reads[tapIndex][positionIndex] = offset
      HostTensor.advance(&position, within: geometry.output)
    }
    HostTensor.advance(&tap, within: geometry.kernel)
  }
  return reads
}

private func geometry(
  input: [Int], kernel: [Int], strides: [Int], dilations: [Int], pads: [Int], ceil: Bool = false
) throws -> WindowGeometry {
  let node = Node(
    name: "pool", opType: "MaxPool",
    attributes: [
      Attribute("strides", .ints(strides.map(Int64.init))), Attribute("dilations", .ints(dilations.map(Int64.init))),
      Attribute("pads", .ints(pads.map(Int64.init))),
    ])
  return try WindowGeometry(KernelInvocation(node: node, opset: 17, inputs: []), input: input, kernel: kernel, ceilMode: ceil)
}

/// A spread of windows: ranks 1 to 3, kernels 1 to 3, strides 1 to 3, dilations 1 and 2,
/// pads 0 to 2 on each side, ceil mode on and off, small inputs.
@Test(arguments: 0..<48)
func segmentsCoverExactlyTheReadsInsideTheInput(seed: Int) throws {
  let rank = 1 + seed % 3
  let pick = { (salt: Int, range: ClosedRange<Int>) in range.lowerBound + (seed * 7 + salt * 13 + seed / 3) % range.count }
  let kernel = (0..<rank).map { pick($0, 1...3) }
  let dilations = (0..<rank).map { pick($0 + 3, 1...2) }
  let strides = (0..<rank).map { pick($0 + 5, 1...3) }
  let pads = (0..<2 * rank).map { pick($0 + 11, 0...2) }
  let input = (0..<rank).map { axis in dilations[axis] * (kernel[axis] - 1) + 1 + pick(axis + 17, 0...5) }
  let window = try geometry(input: input, kernel: kernel, strides: strides, dilations: dilations, pads: pads, ceil: seed % 2 == 0)
  var fromSegments = [[Int?]](repeating: [Int?](repeating: nil, count: window.outputCount), count: window.kernelCount)
  var last = (tap: -1, end: 0)
  for segment in window.segments() {
    #expect(segment.count > 0)
    #expect(segment.tap > last.tap || segment.output >= last.end, "segments of a tap come in output order")
    last = (segment.tap, segment.output + segment.count)
    for i in 0..<segment.count {
      #expect(fromSegments[segment.tap][segment.output + i] == nil, "an output is read twice by one tap")
      fromSegments[segment.tap][segment.output + i] = segment.input + i * window.segmentStep
    }
  }
  #expect(fromSegments == bruteForceReads(window), "input \(input) kernel \(kernel) strides \(strides) pads \(pads)")
}
