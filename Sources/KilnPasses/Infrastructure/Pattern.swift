// A small pattern matcher: a fusion declares the chain of ops it wants and rewrites the match.

import KilnIR

/// A declaration of a producer→consumer chain ending in one node (the root), with conditions.
///
///     // Conv whose only reader is an inference BatchNormalization with constant parameters.
///     let pattern = Pattern.op("BatchNormalization", "bn", inputs: [
///       .op("Conv", "conv", where: [.singleUser]),
///       .constant("scale"), .constant("bias"), .constant("mean"), .constant("var"),
///     ], where: [.node("is in training mode") { $0.int("training_mode", default: 0) == 0 }])
///
/// Matching starts at a candidate root node and walks up through the producers of its inputs.
/// Every sub-pattern may bind what it matched to a name: nodes with `.op`, values with `.any`
/// and `.constant`. A name bound twice must bind the same value both times, which expresses
/// shared inputs (`x * Sigmoid(x)` is `.op("Mul", inputs: [.any("x"), .op("Sigmoid", inputs:
/// [.any("x")])])`). Input lists shorter than the node's inputs leave the rest unconstrained.
public indirect enum Pattern: Sendable {
  /// Any value (also an omitted optional input, when `name` is nil).
  case any(String?)
  /// A value whose data is known (`Value.constantTensor`).
  case constant(String?)
  /// A value produced by an op of type `opType` (default domain unless `domain` is given)
  /// whose inputs match `inputs` and which meets every condition.
  case node(NodePattern)

  /// A node of the default ONNX domain; see `NodePattern`.
  public static func op(
    _ opType: String, _ name: String? = nil, domain: String = "", inputs: [Pattern] = [],
    commutative: Bool = false, where conditions: [NodeCondition] = []
  ) -> Pattern {
    .node(NodePattern(opType: opType, domain: domain, name: name, inputs: inputs, commutative: commutative, conditions: conditions))
  }

  /// The op type the pattern's root must have, if it is a node pattern.
  public var rootOpType: String? {
    if case .node(let node) = self { return node.opType }
    return nil
  }

  /// Matches this pattern with `node` as its root; the result says what was bound, or why
  /// the node does not match.
  public func match(_ node: Node, in graph: Graph, pinned: Set<ObjectIdentifier>? = nil) -> MatchOutcome {
    guard case .node(let root) = self else { return .mismatch("the pattern's root is not an op", worthNoting: false) }
    var state = MatchState(graph: graph, pinned: pinned ?? graph.pinnedValues())
    if let reason = root.match(node, &state) {
      // A root whose inputs are not even the right ops is not worth a note; a chain that
      // matched partly, or a one-op pattern whose conditions failed, is.
      let worthNoting = state.opsMatched >= 2 || root.opCount == 1
      return .mismatch(reason, worthNoting: worthNoting)
    }
    return .match(Match(nodes: state.nodes, values: state.values))
  }
}

/// One op in a pattern.
public struct NodePattern: Sendable {
  public var opType: String
  public var domain: String
  /// The name the matched node is bound to.
  public var name: String?
  public var inputs: [Pattern]
  /// Whether a two-input op may match its inputs in either order (Add, Mul).
  public var commutative: Bool
  public var conditions: [NodeCondition]

  /// How many op patterns this one holds, itself included.
  var opCount: Int {
    1 + inputs.reduce(0) { count, input in
      if case .node(let node) = input { return count + node.opCount }
      return count
    }
  }

  fileprivate func match(_ node: Node, _ state: inout MatchState) -> String? {
    let sameDomain = (node.domain == "ai.onnx" ? "" : node.domain) == (domain == "ai.onnx" ? "" : domain)
    guard node.opType == opType, sameDomain else {
      return "\(describe(node)) is not \(opType)"
    }
    state.opsMatched += 1
    if let name {
      if let bound = state.nodes[name], bound !== node { return "'\(name)' would bind two nodes" }
      state.nodes[name] = node
    }
    for condition in conditions where !condition.test(node, state.context) {
      return "\(describe(node)) \(condition.failure)"
    }
    guard inputs.count <= node.inputs.count else {
      return "\(describe(node)) has \(node.inputs.count) inputs, the pattern needs \(inputs.count)"
    }
    let saved = state
    if let reason = match(inputs: node.inputs, in: node, &state) {
      guard commutative, inputs.count == 2, node.inputs.count == 2 else { return reason }
      let first = state
      state = saved
      if let other = match(inputs: [node.inputs[1], node.inputs[0]], in: node, &state) {
        // Report the order that matched further, so a near miss still gets its note.
        if first.opsMatched >= state.opsMatched {
          state = first
          return reason
        }
        return other
      }
    }
    return nil
  }

  private func match(inputs values: [Value?], in node: Node, _ state: inout MatchState) -> String? {
    for (index, pattern) in inputs.enumerated() {
      let value = values[index]
      switch pattern {
      case .any(let name):
        if let reason = state.bind(name, value) { return reason }
      case .constant(let name):
        guard let value, value.isKnownConstant else {
          return "input \(index) of \(describe(node)) is not a constant"
        }
        if let reason = state.bind(name, value) { return reason }
      case .node(let producerPattern):
        guard let producer = value?.producer, state.graph.contains(producer) else {
          return "input \(index) of \(describe(node)) is not made by a \(producerPattern.opType) in this graph"
        }
        if let reason = producerPattern.match(producer, &state) { return reason }
      }
    }
    return nil
  }

  private func describe(_ node: Node) -> String {
    let label = node.displayName
    return label.isEmpty ? node.qualifiedOpType : "\(node.qualifiedOpType) '\(label)'"
  }
}

/// What a condition can look at besides the node.
public struct MatchContext {
  public let graph: Graph
  /// `graph.pinnedValues()`, computed once per match.
  public let pinned: Set<ObjectIdentifier>

  public init(graph: Graph, pinned: Set<ObjectIdentifier>) {
    self.graph = graph
    self.pinned = pinned
  }
}

/// A named test on a matched node. `failure` completes "Conv 'c1' …" in a mismatch reason.
public struct NodeCondition: Sendable {
  public var failure: String
  public var test: @Sendable (Node, MatchContext) -> Bool

  public init(failure: String, _ test: @escaping @Sendable (Node, MatchContext) -> Bool) {
    self.failure = failure
    self.test = test
  }

  /// The node's first output has exactly one reader and is not a graph output, and its
  /// other outputs are unread, so a rewrite may consume it.
  public static var singleUser: NodeCondition {
    NodeCondition(failure: "has more than one user") { node, context in
      guard let first = node.outputs.first ?? nil, first.uses.count == 1,
        !context.pinned.contains(ObjectIdentifier(first))
      else { return false }
      return node.outputs.dropFirst().allSatisfy {
        $0.map { context.graph.isUnread($0, pinned: context.pinned) } ?? true
      }
    }
  }

  /// Input `index` is present and constant.
  public static func inputIsConstant(_ index: Int) -> NodeCondition {
    NodeCondition(failure: "has a non-constant input \(index)") { node, _ in
      node.inputs.indices.contains(index) && node.inputs[index]?.isKnownConstant == true
    }
  }

  /// Attribute `name` (nil when absent) satisfies `predicate`; `description` says what is
  /// required ("is not in training mode").
  public static func attribute(
    _ name: String, _ description: String, _ predicate: @escaping @Sendable (AttributeValue?) -> Bool
  ) -> NodeCondition {
    NodeCondition(failure: "fails: \(name) \(description)") { node, _ in predicate(node.attribute(name)) }
  }

  /// Any test on the node alone.
  public static func node(_ failure: String, _ test: @escaping @Sendable (Node) -> Bool) -> NodeCondition {
    NodeCondition(failure: failure) { node, _ in test(node) }
  }
}

/// The result of matching a pattern at one node.
public enum MatchOutcome {
  case match(Match)
  /// Why the node does not match ("input 1 of Conv 'c1' is not a constant"), and whether
  /// the reason is worth a note (the chain matched beyond its root op).
  case mismatch(String, worthNoting: Bool)

  /// The match, if there is one.
  public var match: Match? {
    if case .match(let match) = self { return match }
    return nil
  }
}

/// What a pattern bound: nodes and values by the names the pattern gave them.
public struct Match {
  public let nodes: [String: Node]
  public let values: [String: Value]

  /// The node bound to `name`. Names come from the pattern, so a missing one is a bug in the
  /// pass; it throws rather than crashing.
  public func node(_ name: String) throws -> Node {
    guard let node = nodes[name] else { throw KilnError.internalError("pattern bound no node '\(name)'") }
    return node
  }

  /// The value bound to `name`.
  public func value(_ name: String) throws -> Value {
    guard let value = values[name] else { throw KilnError.internalError("pattern bound no value '\(name)'") }
    return value
  }

  /// The constant data of the value bound to `name`.
  public func constant(_ name: String) throws -> Tensor {
    guard let tensor = try value(name).constantTensor else {
      throw KilnError.internalError("pattern value '\(name)' is not constant")
    }
    return tensor
  }
}

private struct MatchState {
  let graph: Graph
  let pinned: Set<ObjectIdentifier>
  var nodes: [String: Node] = [:]
  var values: [String: Value] = [:]
  /// Op patterns whose op type matched so far.
  var opsMatched = 0

  init(graph: Graph, pinned: Set<ObjectIdentifier>) {
    self.graph = graph
    self.pinned = pinned
  }

  var context: MatchContext { MatchContext(graph: graph, pinned: pinned) }

  mutating func bind(_ name: String?, _ value: Value?) -> String? {
    guard let name else { return nil }
    guard let value else { return "'\(name)' is an omitted input" }
    if let bound = values[name] {
      return bound === value ? nil : "'\(name)' would bind two different values"
    }
    values[name] = value
    return nil
  }
}

/// A pattern and what to do with each match: the building block of fusion passes.
///
/// `rewrite` returns false (after `context.note(...)` saying why) when a match cannot be
/// rewritten after all, e.g. because shapes are unknown.
public struct RewriteRule: Sendable {
  public var pattern: Pattern
  public var rewrite: @Sendable (Match, Graph, PassContext) throws -> Bool

  public init(_ pattern: Pattern, rewrite: @escaping @Sendable (Match, Graph, PassContext) throws -> Bool) {
    self.pattern = pattern
    self.rewrite = rewrite
  }

  /// Tries the rule at every node of `graph` whose op is the pattern's root op, in order, and
  /// returns how many rewrites it made. A node of the right op that does not match gets a note
  /// with the reason. Nodes removed by an earlier rewrite are skipped.
  @discardableResult
  public func apply(to graph: Graph, context: PassContext) throws -> Int {
    try Self.apply([self], to: graph, context: context, notingMismatches: true)
  }

  /// Tries `rules` as alternatives at every node, in graph order: the first rule whose pattern
  /// matches a node gets it, and its rewrite either fuses or declines with a note. A rule
  /// whose pattern does not match is not noted: the rules are orderings of one formula, and
  /// one ordering's partial match on an unrelated node says nothing. Returns the rewrite count.
  public static func applyAlternatives(_ rules: [RewriteRule], to graph: Graph, context: PassContext) throws -> Int {
    try apply(rules, to: graph, context: context, notingMismatches: false)
  }

  /// The driver of both: one walk over a snapshot of the node list, skipping nodes that an
  /// earlier rewrite removed; graph outputs are looked up again only after a rewrite.
  private static func apply(
    _ rules: [RewriteRule], to graph: Graph, context: PassContext, notingMismatches: Bool
  ) throws -> Int {
    let rootOps = Set(rules.compactMap(\.pattern.rootOpType))
    var rewrites = 0
    var pinned = graph.pinnedValues()
    for node in graph.nodes where rootOps.contains(node.opType) && graph.contains(node) {
      for rule in rules where rule.pattern.rootOpType == node.opType {
        switch rule.pattern.match(node, in: graph, pinned: pinned) {
        case .mismatch(let reason, let worthNoting):
          if notingMismatches && worthNoting { context.note("skipped: \(reason)", at: node) }
          continue
        case .match(let match):
          if try rule.rewrite(match, graph, context) {
            rewrites += 1
            pinned = graph.pinnedValues()
          }
        }
        break
      }
    }
    return rewrites
  }
}
