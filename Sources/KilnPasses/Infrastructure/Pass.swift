// The Pass protocol: what every optimization pass declares and how it is run over a graph tree.

import KilnIR

/// An optimization pass: a named, documented rewrite of a graph.
///
/// A pass declares its kebab-case `name` (the name pipelines use), a one-line `summary` for
/// `kiln passes`, and the `options` it accepts; it is built from parsed option values, and
/// `run(on:context:)` rewrites one graph and reports whether anything changed.
///
/// Subgraphs are the infrastructure's job, not the pass's: with the default `scope` of
/// `.eachGraph`, `apply(to:context:)` (which the `PassManager` calls) runs the pass on every
/// graph of the tree, innermost first, so that an If branch or a Loop body is rewritten like
/// the main graph. `context.isMainGraph` tells the two apart.
///
/// A pass never asserts on a graph it does not match: it leaves the graph alone and, where a
/// user would want to know why, records a note with `context.note(_:at:)`.
public protocol Pass {
  /// The name pipelines use, kebab-case with a verb prefix (`eliminate-dead-code`).
  static var name: String { get }
  /// One line for `kiln passes`: what the pass does.
  static var summary: String { get }
  /// The options the pass accepts; `PassOptions` holds their parsed values.
  static var options: [PassOption] { get }
  /// Which graphs `run(on:context:)` is called on.
  static var scope: PassScope { get }
  /// Builds the pass from option values that were checked against `options`.
  init(options: PassOptions) throws
  /// Rewrites `graph` in place and returns whether anything changed.
  func run(on graph: Graph, context: PassContext) throws -> Bool
}

/// Which graphs of a model a pass is run on.
public enum PassScope: Sendable {
  /// Once per graph: every subgraph (innermost first), then the main graph.
  case eachGraph
  /// Once, on the main graph; the pass visits subgraphs itself (use `Graph.allGraphs()`).
  case mainGraph
}

extension Pass {
  public static var options: [PassOption] { [] }
  public static var scope: PassScope { .eachGraph }

  /// The pass's pipeline name.
  public var name: String { Self.name }

  /// Runs the pass over `graph` and, per `scope`, every graph nested in it; returns whether
  /// anything changed.
  public func apply(to graph: Graph, context: PassContext) throws -> Bool {
    try context.passRun(on: graph) {
      switch Self.scope {
      case .mainGraph:
        return try context.within(graph, isMain: true) { try run(on: graph, context: context) }
      case .eachGraph:
        var changed = false
        for (nested, depth) in graph.allGraphsInnermostFirst() {
          changed = try context.within(nested, isMain: depth == 0) {
            try run(on: nested, context: context)
          } || changed
        }
        return changed
      }
    }
  }

}

extension Graph {
  /// Every nested graph before the graph holding it (post-order), with its nesting depth.
  func allGraphsInnermostFirst(depth: Int = 0) -> [(Graph, Int)] {
    var result: [(Graph, Int)] = []
    for nested in nestedGraphs { result += nested.allGraphsInnermostFirst(depth: depth + 1) }
    result.append((self, depth))
    return result
  }

  /// The number of nodes in this graph and, recursively, in its subgraphs.
  public var nodeCountIncludingSubgraphs: Int {
    nodes.reduce(nodes.count) { count, node in
      count + node.subgraphs.reduce(0) { $0 + $1.nodeCountIncludingSubgraphs }
    }
  }
}
