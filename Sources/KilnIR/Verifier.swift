// The verifier: checks that a graph is well formed (SSA, order, scopes, use lists, types).

/// One problem the verifier found in a graph.
public struct VerificationIssue: Sendable, Hashable, CustomStringConvertible {
  /// Where the problem is: the main graph's name, then `node.attribute` for each subgraph.
  public var graph: String
  /// The name of the node the problem is in, when it is in a named node.
  public var node: String?
  /// The op of the node the problem is in (`domain::Op` outside the default domain).
  public var op: String?
  /// What is wrong.
  public var message: String

  /// Makes an issue; an empty node name is stored as nil.
  public init(graph: String, node: String? = nil, op: String? = nil, message: String) {
    self.graph = graph
    self.node = node?.isEmpty == true ? nil : node
    self.op = op
    self.message = message
  }

  public var description: String {
    "graph '\(graph)': " + KilnError.locationPrefix(node: node, op: op) + message
  }
}

/// Checks the structural invariants of the IR, so that a malformed model is refused with a
/// message instead of crashing a pass, and a pass that breaks a graph is caught right after it
/// runs.
///
/// Checks: every value has one definition (a graph input, an initializer, or one node's
/// output, and that node is its `producer`); nodes read only values defined earlier in their
/// graph or in an enclosing scope (a cycle shows up as a read before the definition); graph
/// outputs are defined; use lists match node inputs both ways; initializer data agrees with
/// the declared type and holds as many bytes as its dims need; value names are unique within
/// a graph. Subgraphs are checked with their enclosing scopes visible.
public enum Verifier {
  /// How many problems the thrown error lists before summarising the rest.
  public static let listedIssueLimit = 5

  /// Every problem in `graph` and its subgraphs, in the order found; empty when it is sound.
  /// Pass a main graph: a subgraph checked alone sees none of the values it captures.
  public static func issues(in graph: Graph) -> [VerificationIssue] {
    let run = VerificationRun()
    run.check(graph)
    return run.issues
  }

  /// Every problem in the model's graph and its subgraphs.
  public static func issues(in model: Model) -> [VerificationIssue] {
    issues(in: model.graph)
  }

  /// Throws a `KilnError` of kind `.badInput` listing the problems in `graph`, if any.
  public static func verify(_ graph: Graph) throws {
    if let error = error(for: issues(in: graph)) { throw error }
  }

  /// Throws a `KilnError` of kind `.badInput` listing the problems in the model, if any.
  public static func verify(_ model: Model) throws {
    try verify(model.graph)
  }

  /// The error that reports `issues`: node and op of the first, the first few in the message.
  static func error(for issues: [VerificationIssue]) -> KilnError? {
    guard let first = issues.first else { return nil }
    var message = first.message
    if first.graph.contains("/") { message += " (in subgraph '\(first.graph)')" }
    if issues.count > 1 {
      let others = issues.dropFirst().prefix(listedIssueLimit - 1).map(\.description)
      message += "; \(issues.count - 1) more problem\(issues.count == 2 ? "" : "s"): "
      message += others.joined(separator: "; ")
      let unlisted = issues.count - 1 - others.count
      if unlisted > 0 { message += "; and \(unlisted) more" }
    }
    return KilnError.badInput(message, node: first.node, op: first.op)
  }
}

/// The state of one verification: what is defined where, and the problems found so far.
private final class VerificationRun {
  /// How a value came to be defined.
  enum Definer {
    case input, initializer
    case node(Node)
  }

  /// Values visible at one point: those of one graph so far, then the enclosing scopes.
  final class Scope {
    let parent: Scope?
    var values: Set<ObjectIdentifier> = []
    init(parent: Scope?) { self.parent = parent }

    func contains(_ value: Value) -> Bool {
      values.contains(ObjectIdentifier(value)) || parent?.contains(value) == true
    }
  }

  /// A read of a value before any definition of it in the same graph.
  struct EarlyRead {
    let node: Node
    let value: Value
  }

  var issues: [VerificationIssue] = []
  /// Every value defined in the tree, with the first definer and the graph path it is in.
  var definitions: [ObjectIdentifier: (definer: Definer, graph: String)] = [:]
  /// Defined values in the order met, for the use-list check.
  var definedValues: [(value: Value, graph: String)] = []
  /// Values found defined twice; their producer is not checked again.
  var redefined: Set<ObjectIdentifier> = []
  /// Every node met so far in the walk.
  var treeNodes: Set<ObjectIdentifier> = []
  /// Every node of the tree, known before the walk starts.
  var allNodes: Set<ObjectIdentifier> = []
  /// Nodes met, with their graph path, for the use-list check.
  var visitedNodes: [(node: Node, graph: String)] = []

  func check(_ graph: Graph) {
    allNodes = Set(graph.allNodes().map(ObjectIdentifier.init))
    walk(graph, path: graph.name.isEmpty ? "<unnamed>" : graph.name, outer: nil)
    checkProducers()
    checkUseLists()
  }

  func report(_ path: String, _ node: Node? = nil, _ message: String) {
    issues.append(
      VerificationIssue(graph: path, node: node?.name, op: node?.qualifiedOpType, message: message))
  }

  // MARK: Scopes and order

  func walk(_ graph: Graph, path: String, outer: Scope?) {
    let scope = Scope(parent: outer)
    var names: [String: ObjectIdentifier] = [:]
    declareInputs(graph, path: path, scope: scope, names: &names)
    var earlyReads: [EarlyRead] = []
    for node in graph.nodes {
      guard treeNodes.insert(ObjectIdentifier(node)).inserted else {
        report(path, node, "the same node appears twice in the graph")
        continue
      }
      visitedNodes.append((node, path))
      checkReads(of: node, in: graph, path: path, scope: scope, earlyReads: &earlyReads)
      checkAttributeTensors(of: node, path: path)
      walkSubgraphs(of: node, path: path, scope: scope)
      declareOutputs(of: node, path: path, scope: scope, names: &names)
    }
    reportEarlyReads(earlyReads, in: graph, path: path)
    for output in graph.outputs where !scope.contains(output) {
      report(
        path, nil, "graph output \(quoted(output)) is not defined in this graph or an enclosing one"
      )
    }
  }

  func declareInputs(
    _ graph: Graph, path: String, scope: Scope, names: inout [String: ObjectIdentifier]
  ) {
    for input in graph.inputs {
      guard !scope.values.contains(ObjectIdentifier(input)) else {
        report(path, nil, "value \(quoted(input)) is listed twice as a graph input")
        continue
      }
      declare(input, .input, path: path, node: nil, scope: scope, names: &names)
    }
    let inputs = Set(graph.inputs.map(ObjectIdentifier.init))
    for initializer in graph.initializers {
      checkInitializer(initializer, path: path)
      // An input with a default value is the same object in both lists.
      if inputs.contains(ObjectIdentifier(initializer)) { continue }
      guard !scope.values.contains(ObjectIdentifier(initializer)) else {
        report(path, nil, "value \(quoted(initializer)) is listed twice as an initializer")
        continue
      }
      declare(initializer, .initializer, path: path, node: nil, scope: scope, names: &names)
    }
  }

  func declareOutputs(
    of node: Node, path: String, scope: Scope, names: inout [String: ObjectIdentifier]
  ) {
    for case let output? in node.outputs {
      declare(output, .node(node), path: path, node: node, scope: scope, names: &names)
    }
  }

  /// Records one definition of `value`, reporting a second definition and a name clash.
  func declare(
    _ value: Value, _ definer: Definer, path: String, node: Node?, scope: Scope,
    names: inout [String: ObjectIdentifier]
  ) {
    let id = ObjectIdentifier(value)
    scope.values.insert(id)
    if let earlier = definitions[id] {
      redefined.insert(id)
      report(
        path, node,
        "value \(quoted(value)) is defined twice: \(describe(definer)) and \(describe(earlier.definer))"
      )
      return
    }
    definitions[id] = (definer, path)
    definedValues.append((value, path))
    guard !value.name.isEmpty else { return }
    if let other = names[value.name], other != id {
      report(path, node, "two different values are named \(quoted(value)) in one graph")
    } else {
      names[value.name] = id
    }
  }

  func describe(_ definer: Definer) -> String {
    switch definer {
    case .input: "a graph input"
    case .initializer: "an initializer"
    case .node(let node): "the output of node \(label(node))"
    }
  }

  func checkReads(
    of node: Node, in graph: Graph, path: String, scope: Scope, earlyReads: inout [EarlyRead]
  ) {
    for case let input? in node.inputs where !scope.contains(input) {
      if let producer = input.producer, graph.nodes.contains(where: { $0 === producer }) {
        earlyReads.append(EarlyRead(node: node, value: input))
      } else if let producer = input.producer, allNodes.contains(ObjectIdentifier(producer)) {
        report(
          path, node,
          "reads \(quoted(input)), which is not visible here (node \(label(producer)) defines it later in an enclosing graph or inside another subgraph)"
        )
      } else {
        report(
          path, node,
          "reads \(quoted(input)), which is not defined in this graph or an enclosing one\(staleProducerNote(input))"
        )
      }
    }
  }

  func staleProducerNote(_ value: Value) -> String {
    guard let producer = value.producer, !allNodes.contains(ObjectIdentifier(producer)) else {
      return ""
    }
    return " (its producer \(label(producer)) is not in the graph)"
  }

  func walkSubgraphs(of node: Node, path: String, scope: Scope) {
    for attribute in node.attributes {
      let subgraphs = attribute.value.subgraphs
      for (index, subgraph) in subgraphs.enumerated() {
        var subpath = "\(path)/\(node.name.isEmpty ? node.opType : node.name).\(attribute.name)"
        if subgraphs.count > 1 { subpath += "[\(index)]" }
        walk(subgraph, path: subpath, outer: scope)
      }
    }
  }

  /// Reports reads before definitions, telling a cycle apart from a mere misordering.
  func reportEarlyReads(_ reads: [EarlyRead], in graph: Graph, path: String) {
    guard !reads.isEmpty else { return }
    let reason = hasCycle(graph) ? "the nodes form a cycle" : "the nodes are out of order"
    for read in reads {
      report(path, read.node, "reads \(quoted(read.value)) before it is defined (\(reason))")
    }
  }

  /// Whether the dependencies among `graph`'s nodes (captures by subgraphs included) contain
  /// a cycle, found by Kahn's algorithm.
  func hasCycle(_ graph: Graph) -> Bool {
    let index = Dictionary(
      graph.nodes.enumerated().map { (ObjectIdentifier($0.element), $0.offset) },
      uniquingKeysWith: { first, _ in first })
    var pending = [Int](repeating: 0, count: graph.nodes.count)
    var consumers = [[Int]](repeating: [], count: graph.nodes.count)
    for (position, node) in graph.nodes.enumerated() {
      for value in valuesRead(by: node) {
        guard let producer = value.producer, let from = index[ObjectIdentifier(producer)] else {
          continue
        }
        consumers[from].append(position)
        pending[position] += 1
      }
    }
    var ready = pending.indices.filter { pending[$0] == 0 }
    var done = 0
    while let next = ready.popLast() {
      done += 1
      for consumer in consumers[next] {
        pending[consumer] -= 1
        if pending[consumer] == 0 { ready.append(consumer) }
      }
    }
    return done < graph.nodes.count
  }

  /// The values a node reads: its inputs, and whatever its subgraphs read or return.
  func valuesRead(by node: Node) -> [Value] {
    var values = node.inputs.compactMap { $0 }
    for subgraph in node.subgraphs {
      values += subgraph.outputs
      for inner in subgraph.nodes { values += valuesRead(by: inner) }
    }
    return values
  }

  // MARK: Producers and use lists

  /// Every node output must name its node as producer; inputs and initializers have none.
  func checkProducers() {
    for (value, path) in definedValues where !redefined.contains(ObjectIdentifier(value)) {
      guard let definition = definitions[ObjectIdentifier(value)] else { continue }
      switch definition.definer {
      case .node(let node) where value.producer !== node:
        let actual = value.producer.map { "node \(label($0))" } ?? "no node"
        report(path, node, "output \(quoted(value)) names \(actual) as its producer")
      case .input where value.producer != nil, .initializer where value.producer != nil:
        report(
          path, nil,
          "\(describe(definition.definer)) \(quoted(value)) claims a producer\(staleProducerNote(value))"
        )
      default:
        break
      }
    }
  }

  func checkUseLists() {
    for (node, path) in visitedNodes {
      for (index, input) in node.inputs.enumerated() {
        guard let input else { continue }
        let count = input.uses.count(where: { $0.node === node && $0.index == index })
        if count != 1 {
          report(
            path, node,
            "input \(index) (\(quoted(input))) appears \(count) times in that value's use list instead of once"
          )
        }
      }
    }
    for (value, path) in definedValues {
      for use in value.uses { checkUse(use, of: value, path: path) }
    }
  }

  func checkUse(_ use: Use, of value: Value, path: String) {
    let node = use.node
    guard treeNodes.contains(ObjectIdentifier(node)) else {
      report(
        path, nil,
        "the use list of \(quoted(value)) names node \(label(node)), which is not in the graph")
      return
    }
    guard use.index >= 0, use.index < node.inputs.count, node.inputs[use.index] === value else {
      report(
        path, node,
        "the use list of \(quoted(value)) names input \(use.index) of this node, which reads something else"
      )
      return
    }
  }

  // MARK: Types and data

  func checkInitializer(_ value: Value, path: String) {
    guard let constant = value.constant else {
      report(path, nil, "initializer \(quoted(value)) has no constant data")
      return
    }
    if let declared = value.type?.tensor {
      if declared.dataType != .undefined, declared.dataType != constant.dataType {
        report(
          path, nil,
          "initializer \(quoted(value)) is declared \(declared.dataType) but its data is \(constant.dataType)"
        )
      }
      if let shape = declared.shape, !shape.admits(constant.dims) {
        report(
          path, nil,
          "initializer \(quoted(value)) is declared with shape \(shape) but its data has dims \(Shape(static: constant.dims))"
        )
      }
    }
    checkSize(constant, what: "initializer \(quoted(value))", path: path, node: nil)
  }

  func checkAttributeTensors(of node: Node, path: String) {
    for attribute in node.attributes {
      let tensors: [Tensor]
      switch attribute.value {
      case .tensor(let tensor): tensors = [tensor]
      case .tensors(let list): tensors = list
      default: continue
      }
      for tensor in tensors {
        checkSize(tensor, what: "attribute '\(attribute.name)'", path: path, node: node)
      }
    }
  }

  /// Checks the byte count against the dims; external data is left unread.
  func checkSize(_ tensor: Tensor, what: String, path: String, node: Node?) {
    guard !tensor.isExternal else { return }
    guard tensor.dims.allSatisfy({ $0 >= 0 }) else {
      report(path, node, "\(what) has negative dims \(tensor.dims)")
      return
    }
    // Tensor.elementCount traps on overflow, so hostile dims are caught here first.
    guard tensor.checkedBitCount != nil else {
      report(path, node, "\(what) has dims \(tensor.dims) too large to address")
      return
    }
    do {
      try tensor.validateSize()
    } catch let error as KilnError {
      report(path, node, "\(what): \(error.message)")
    } catch {
      report(path, node, "\(what): \(error)")
    }
  }

  // MARK: Naming

  func quoted(_ value: Value) -> String {
    value.name.isEmpty ? "<unnamed value>" : "'\(value.name)'"
  }

  func label(_ node: Node) -> String {
    node.name.isEmpty ? "<unnamed \(node.qualifiedOpType)>" : "'\(node.name)'"
  }
}

extension Shape {
  /// Whether a tensor with `sizes` fits this shape: same rank, equal static dims (symbolic and
  /// unknown dims accept any size).
  func admits(_ sizes: [Int64]) -> Bool {
    guard dims.count == sizes.count else { return false }
    return zip(dims, sizes).allSatisfy { dim, size in dim.value.map { $0 == size } ?? true }
  }
}
