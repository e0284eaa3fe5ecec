// OpenVINO layers for reductions: the Reduce ops and the global pools, which are reductions
// over the spatial axes.

import KilnIR

extension OpenVINOMapping {
  static let reductionMappings: [OpenVINOMapping] = [
    OpenVINOMapping("GlobalAveragePool", ["known rank"], emit: globalPool("ReduceMean")),
    OpenVINOMapping("GlobalMaxPool", ["known rank"], emit: globalPool("ReduceMax")),
  ] + ["ReduceMean", "ReduceMax", "ReduceMin", "ReduceSum", "ReduceProd"].map(reduction)

  /// GlobalAveragePool → ReduceMean, GlobalMaxPool → ReduceMax over axes 2... with keep_dims.
  static func globalPool(_ type: String) -> Emit {
    { node, network throws(TargetRefusal) in
      let input = try node.targetInput(0)
      let rank = try input.openVINOTensor().dims.count
      guard rank >= 3 else { throw TargetRefusal("the input must have spatial axes (rank 3 or more), not rank \(rank)") }
      try network.emit(
        node, type, [.bool("keep_dims", true)], inputs: [try network.port(input), network.ints(Array(2..<rank), "axes")])
    }
  }

  /// ReduceX → ReduceX (opset 1) with keep_dims from keepdims and the axes from the attribute
  /// or the constant input; no axes reduce over all of them.
  static func reduction(_ op: String) -> OpenVINOMapping {
    OpenVINOMapping(op, ["constant axes"]) { node, network throws(TargetRefusal) in
      let input = try node.targetInput(0)
      var axes = try node.optionalInts(1, "axes") ?? node.ints("axes", default: [])
      if axes.isEmpty {
        guard node.int("noop_with_empty_axes", default: 0) == 0 else {
          throw TargetRefusal("noop_with_empty_axes with no axes is not supported")
        }
        axes = Array(0..<(try input.openVINOTensor().dims.count))
      }
      try network.emit(
        node, op, [.bool("keep_dims", node.int("keepdims", default: 1) == 1)],
        inputs: [try network.port(input), network.ints(axes, "axes")])
    }
  }
}
