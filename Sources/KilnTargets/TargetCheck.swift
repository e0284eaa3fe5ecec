// Checking a whole model against a target before anything is written.

import KilnIR

/// Checks a model against a target: every node of the main graph, and the model as a whole.
public enum TargetCheck {
  /// Every reason the model cannot go to `target`, in graph order; empty when it can. An
  /// unnamed node is named by its place in the graph (`#3`).
  public static func problems(in model: Model, for target: some DeploymentTarget) -> [TargetProblem] {
    let table = Dictionary(grouping: target.supportedOps) { OpKey(domain: $0.domain, op: $0.op) }
    guard !target.supportsEveryOp else { return target.modelProblems(model) }
    let nodeProblems = model.graph.nodes.enumerated().compactMap { index, node -> TargetProblem? in
      let name = node.name.isEmpty ? "#\(index)" : node.name
      guard let candidates = table[OpKey(domain: node.domain, op: node.opType)] else {
        return TargetProblem(node: name, op: node.qualifiedOpType, reason: "\(target.name) has no such op")
      }
      let reasons = candidates.map { $0.check(node) }
      guard reasons.contains(where: { $0 == nil }) else {
        return TargetProblem(node: name, op: node.qualifiedOpType, reason: reasons.compactMap { $0 }.joined(separator: "; "))
      }
      return nil
    }
    return target.modelProblems(model) + nodeProblems
  }

  private struct OpKey: Hashable {
    var domain: String
    var op: String
  }
}
