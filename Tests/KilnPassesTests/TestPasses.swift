// Small passes that exist only to test the infrastructure.

import KilnIR
import KilnPasses

/// Takes one option of every kind and does nothing.
struct OptionsProbe: Pass {
  static let name = "options-probe"
  static let summary = "Test pass with one option of every kind."
  static let options: [PassOption] = [
    .int("count", default: 3, help: "a count"),
    .bytes("limit", default: 1 << 20, help: "a size"),
    .bool("strict", default: false, help: "a switch"),
    .string("mode", default: "fast", help: "a word"),
    .float("epsilon", default: 1e-5, help: "a number"),
  ]
  let count: Int64, limit: Int64, strict: Bool, mode: String, epsilon: Double

  init(options: PassOptions) throws {
    count = try options.int("count")
    limit = try options.bytes("limit")
    strict = try options.bool("strict")
    mode = try options.string("mode")
    epsilon = try options.float("epsilon")
  }

  func run(on graph: Graph, context: PassContext) throws -> Bool { false }
}

/// Claims a change every time, as a buggy pass would, to test the fixed-point cap.
struct AlwaysChanges: Pass {
  static let name = "always-changes"
  static let summary = "Test pass that always reports a change."
  init(options: PassOptions) {}
  func run(on graph: Graph, context: PassContext) throws -> Bool { context.isMainGraph }
}

/// Drops the first node without rewiring its readers: a broken pass for the verifier to catch.
struct DropsFirstNode: Pass {
  static let name = "drops-first-node"
  static let summary = "Test pass that breaks the graph."
  static let scope = PassScope.mainGraph
  init(options: PassOptions) {}
  func run(on graph: Graph, context: PassContext) throws -> Bool {
    graph.setNodes(Array(graph.nodes.dropFirst()))
    return true
  }
}

/// Throws an error about its graph's first node.
struct Throws: Pass {
  static let name = "throws"
  static let summary = "Test pass that fails."
  init(options: PassOptions) {}
  func run(on graph: Graph, context: PassContext) throws -> Bool {
    let node = graph.nodes.first
    throw KilnError.badInput("cannot handle this", node: node?.name, op: node?.opType)
  }
}

/// The standard passes plus the test passes.
let testRegistry = PassRegistry(
  PassRegistry.standard.passes + [OptionsProbe.self, AlwaysChanges.self, DropsFirstNode.self, Throws.self])

/// Names a new value after "Y" in every graph it visits, recording the names it got, to test
/// that `PassContext.unusedName` hands out each name once per run across the graph tree.
final class NamesValues: Pass {
  static let name = "names-values"
  static let summary = "Test pass that asks for new value names."
  nonisolated(unsafe) static var given: [String] = []
  init(options: PassOptions) {}
  func run(on graph: Graph, context: PassContext) throws -> Bool {
    Self.given.append(context.unusedName("Y", in: graph))
    Self.given.append(context.unusedName("Y", in: graph))
    return false
  }
}
