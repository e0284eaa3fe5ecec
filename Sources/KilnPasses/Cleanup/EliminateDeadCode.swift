// eliminate-dead-code: removes nodes whose outputs nobody reads.

import KilnIR

/// Removes nodes none of whose outputs is read by a node (in this graph or a subgraph) or
/// is a graph output.
///
///     %t = Relu(%x)      # %t is read by nobody
///     %y = Sigmoid(%x)   →   %y = Sigmoid(%x)
///
/// Safe whenever the node has no side effects: ops of the default ONNX and ai.onnx.ml domains
/// are pure; ops of other domains (custom ops) are kept, with a note, because Kiln cannot know
/// what they do. Graph inputs and initializers are left alone (see
/// `eliminate-unused-initializers`). Nodes are visited last to first, so a whole dead chain
/// goes in one run; subgraphs are cleaned before the graph that holds them.
public struct EliminateDeadCode: Pass {
  public static let name = "eliminate-dead-code"
  public static let summary = "Remove nodes whose outputs are never read (pure ops only)."

  public init(options: PassOptions) {}

  public func run(on graph: Graph, context: PassContext) throws -> Bool {
    let pinned = graph.pinnedValues()
    var kept: [Node] = []
    var changed = false
    for node in graph.nodes.reversed() {
      let unread = node.outputs.allSatisfy { $0.map { graph.isUnread($0, pinned: pinned) } ?? true }
      guard unread else {
        kept.append(node)
        continue
      }
      if node.hasSideEffects {
        context.note("kept: its outputs are unread, but an op of domain '\(node.domain)' may have side effects", at: node)
        kept.append(node)
        continue
      }
      // Detaching now drops its uses, so its producers may be found dead further up.
      node.detachIncludingSubgraphs()
      changed = true
    }
    if changed { graph.setNodes(kept.reversed()) }
    return changed
  }
}
