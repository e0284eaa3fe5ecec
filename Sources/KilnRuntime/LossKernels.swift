// Classification losses: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss.

import KilnIR

extension KernelFamily {
  /// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss over scores [N, C, d1, ..., dk]
  /// (float, double, float16) and targets [N, d1, ..., dk] (int32 or int64), with an optional
  /// per-class weight [C] and an optional ignore_index (targets equal to it add nothing).
  /// reduction is none (one loss per target), sum, or mean (divided by the total weight of
  /// the targets not ignored). SoftmaxCrossEntropyLoss takes the log-softmax over C first and
  /// returns it as a second output when asked. Computed in Double.
  static let losses = KernelFamily { registry in
    registry.register("NegativeLogLikelihoodLoss") { invocation in
      let problem = try LossProblem(invocation)
      return [try problem.loss(logProbabilities: try invocation.doubleValues(of: problem.scores))]
    }
    registry.register("SoftmaxCrossEntropyLoss") { invocation in
      let problem = try LossProblem(invocation)
      let logProbabilities = problem.classLanes.map(try invocation.doubleValues(of: problem.scores), logSoftmaxLane)
      let loss = try problem.loss(logProbabilities: logProbabilities)
      guard invocation.node.outputs.count > 1 else { return [loss] }
      let scores = problem.scores
      return [loss, try HostTensor.narrowing(logProbabilities, to: scores.dataType, shape: scores.shape)]
    }
  }
}

/// A loss node's checked inputs: the scores with their class axis, one class index per
/// target position, the class weights, and how per-target losses are reduced.
private struct LossProblem {
  let scores: HostTensor
  /// The scores as lanes along the class axis: N outer, C long, d1 * ... * dk inner.
  let classLanes: Lanes
  let targetShape: [Int]
  let targets: [Int]
  let weights: [Double]?
  let ignoreIndex: Int?
  let reduction: String

  init(_ invocation: KernelInvocation) throws {
    let scores = try invocation.input(0)
    self.scores = scores
    guard scores.isFloatingPoint else {
      throw invocation.failure("needs floating-point scores, not \(scores.dataType.name)")
    }
    guard scores.rank >= 2 else {
      throw invocation.failure("needs scores of rank at least 2 ([N, C, ...]), got \(scores.shape)")
    }
    classLanes = Lanes(shape: scores.shape, axis: 1)
    let classes = scores.shape[1]
    targetShape = [scores.shape[0]] + scores.shape[2...]
    let target = try invocation.input(1)
    guard target.shape == targetShape else {
      throw invocation.failure("needs targets of shape \(targetShape) for scores \(scores.shape), got \(target.shape)")
    }
    targets = try invocation.intValues(of: target)
    weights = try invocation.optionalInput(2).map { weight in
      guard weight.shape == [classes], weight.dataType == scores.dataType else {
        throw invocation.failure("needs a \(scores.dataType.name) weight of shape [\(classes)], got \(weight.shape)")
      }
      return try invocation.doubleValues(of: weight)
    }
    ignoreIndex = invocation.node.attribute("ignore_index") != nil
      ? invocation.int("ignore_index", default: 0) : nil
    reduction = invocation.string("reduction", default: "mean")
    guard ["none", "sum", "mean"].contains(reduction) else {
      throw invocation.failure("has unknown reduction '\(reduction)'")
    }
    if let bad = targets.first(where: { $0 != ignoreIndex && !(0..<classes).contains($0) }) {
      throw invocation.failure("target \(bad) is out of range for \(classes) classes")
    }
  }

  /// The reduced loss: minus the weighted log-probability of each target's class.
  func loss(logProbabilities: [Double]) throws -> HostTensor {
    var losses = [Double](repeating: 0, count: targets.count)
    var totalWeight = 0.0
    for (position, target) in targets.enumerated() where target != ignoreIndex {
      let (sample, spatial) = position.quotientAndRemainder(dividingBy: classLanes.inner)
      let weight = weights?[target] ?? 1
      losses[position] = -logProbabilities[classLanes.index(sample, target, spatial)] * weight
      totalWeight += weight
    }
    let sum = losses.reduce(0, +)
    switch reduction {
    case "none": return try HostTensor.narrowing(losses, to: scores.dataType, shape: targetShape)
    case "sum": return try HostTensor.narrowing([sum], to: scores.dataType, shape: [])
    default: return try HostTensor.narrowing([sum / totalWeight], to: scores.dataType, shape: [])
    }
  }
}
