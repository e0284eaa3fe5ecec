// eliminate-unused-initializers: drops constants that nothing reads.

import KilnIR

/// Removes initializers that no node (in this graph or a subgraph) reads and that are not a
/// graph output, together with their `value_info` annotations.
///
/// Safe always, with one exception it respects: a main-graph initializer that is also a graph
/// input is a default value the caller may override, part of the model's interface, and is
/// kept. Run it after the passes that stop reading constants (folding, fusion).
public struct EliminateUnusedInitializers: Pass {
  public static let name = "eliminate-unused-initializers"
  public static let summary = "Remove initializers that nothing reads (keeps those that are graph inputs)."

  public init(options: PassOptions) {}

  public func run(on graph: Graph, context: PassContext) throws -> Bool {
    let pinned = graph.pinnedValues()
    let inputs = Set(graph.inputs.map(ObjectIdentifier.init))
    let unused = graph.initializers.filter { value in
      graph.isUnread(value, pinned: pinned) && !inputs.contains(ObjectIdentifier(value))
    }
    guard !unused.isEmpty else { return false }
    let dropped = Set(unused.map(ObjectIdentifier.init))
    graph.initializers.removeAll { dropped.contains(ObjectIdentifier($0)) }
    graph.annotatedValues.removeAll { dropped.contains(ObjectIdentifier($0)) }
    return true
  }
}
