// Whether a model's graph inputs have the static shapes (or declared ranges) a target needs.

import KilnIR

/// Checks graph inputs for targets that build for known shapes (TensorRT, RKNN).
enum InputShapeCheck {
  /// A problem per graph input whose shape is not static, unless `ranges` gives it a range;
  /// a problem per range that does not fit its input. `target` names the target in reasons;
  /// ranges that the target does not take (`rangesAllowed` false) are a problem each.
  static func problems(
    _ model: Model, target: String, ranges: [String: InputShapeRange], rangesAllowed: Bool
  ) -> [TargetProblem] {
    let inputs = model.graph.inputs.filter { $0.constant == nil }
    var problems = ranges.keys.sorted().filter { name in !inputs.contains { $0.name == name } }.map {
      TargetProblem(reason: "--input-shape gives a range to '\($0)', which is not a graph input")
    }
    for input in inputs {
      let shape = input.tensorShape
      if let range = ranges[input.name] {
        problems += rangesAllowed
          ? rangeProblems(range, input: input.name, shape: shape)
          : [TargetProblem(reason: "input '\(input.name)': \(target) builds for one static shape; give --input-shape \(input.name)=DIMS without ranges")]
      } else if shape?.staticSizes == nil {
        let hint = rangesAllowed ? ", or a range of sizes like \(input.name)=1..8x..." : ""
        problems.append(
          TargetProblem(
            reason: "input '\(input.name)' has dynamic shape \(shape?.description ?? "?"); "
              + "fix it with --input-shape \(input.name)=1x...\(hint) (\(target) needs static shapes)"))
      }
    }
    return problems
  }

  /// Why `range` does not fit an input of `shape`: its rank, the order of its sizes, or a
  /// static dim it leaves.
  private static func rangeProblems(_ range: InputShapeRange, input: String, shape: Shape?) -> [TargetProblem] {
    let rank = range.min.count
    guard range.opt.count == rank, range.max.count == rank, shape.map({ $0.rank == rank }) ?? true else {
      return [TargetProblem(reason: "input '\(input)': the range has rank \(rank), the input shape is \(shape?.description ?? "?")")]
    }
    var problems: [TargetProblem] = []
    for axis in 0..<rank where !(1 <= range.min[axis] && range.min[axis] <= range.opt[axis] && range.opt[axis] <= range.max[axis]) {
      problems.append(
        TargetProblem(
          reason: "input '\(input)' dim \(axis): the range \(range.min[axis])..\(range.opt[axis])..\(range.max[axis]) must hold 1 <= min <= opt <= max"))
    }
    for (axis, dim) in (shape?.dims ?? []).enumerated() {
      if let size = dim.value, range.min[axis] != size || range.max[axis] != size {
        problems.append(TargetProblem(reason: "input '\(input)' dim \(axis) is fixed at \(size); its range must be \(size)"))
      }
    }
    return problems
  }
}
