// The value names a model uses, so that new values get names no other value has.

import KilnIR

/// Every value name in a graph tree (inputs, outputs, initializers, node inputs and outputs of
/// the graph and its subgraphs), gathered once, plus the names handed out since. Subgraphs may
/// read outer values by name, so a new name must be unique in the whole tree.
public struct NameIndex {
  private var taken: Set<String> = []

  public init(_ root: Graph) {
    for graph in root.allGraphs() {
      for value in graph.inputs + graph.outputs + graph.initializers { taken.insert(value.name) }
      for node in graph.nodes {
        for case let value? in node.inputs + node.outputs { taken.insert(value.name) }
      }
    }
  }

  /// An index of `names` alone (another name space, e.g. node names).
  public init(taken names: some Sequence<String>) {
    taken = Set(names)
  }

  /// `base`, or `base_1`, `base_2`, … : the first name not taken, which is taken from now on.
  public mutating func claim(_ base: String) -> String {
    var candidate = base
    var suffix = 0
    while taken.contains(candidate) {
      suffix += 1
      candidate = "\(base)_\(suffix)"
    }
    taken.insert(candidate)
    return candidate
  }
}
