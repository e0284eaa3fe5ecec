// What a pass sees besides the graph: opsets, a place for notes, and a node evaluator.

import Foundation
import KilnIR
import KilnRuntime

/// One thing a pass chose not to do, or did, that a user may want to know about (`--verbose`).
public struct PassNote: Sendable, Hashable, CustomStringConvertible {
  /// The pass that recorded it.
  public var pass: String
  /// The node it is about, when it is about one.
  public var node: String?
  public var op: String?
  public var message: String

  public init(pass: String, node: String?, op: String?, message: String) {
    self.pass = pass
    self.node = node
    self.op = op
    self.message = message
  }

  /// `eliminate-identity: node 'r1' (Reshape): kept: its output is a graph output`
  public var description: String {
    "\(pass): " + KilnError.locationPrefix(node: node, op: op) + message
  }
}

/// The model-wide facts and services a pass uses while it runs.
///
/// One context lives through a whole pipeline run; the `PassManager` tells it which pass is
/// running, and `Pass.apply(to:context:)` which graph.
public final class PassContext {
  /// The model's opset imports, to check that a rewrite's target op exists (LayerNormalization
  /// needs the default domain at 17 or later).
  public let opsetImports: [OpsetImport]
  /// The kernels `evaluate` runs.
  public let registry: KernelRegistry
  /// Notes recorded so far, in order.
  public private(set) var notes: [PassNote] = []
  /// The pass now running (set by the `PassManager`).
  public internal(set) var passName = ""
  /// Whether the graph being rewritten is the main graph rather than a subgraph; subgraph
  /// inputs and outputs are fixed by the op that holds the subgraph.
  public private(set) var isMainGraph = true

  /// Shape inference from outside KilnPasses (libonnx), for `infer-shapes`; nil when none.
  public let shapeInference: (any ShapeInferenceService)?

  /// The main graph of the pass run now going on (see `passRun(on:_:)`).
  private var mainGraph: Graph?
  /// The names in `mainGraph`'s tree, gathered on the first `unusedName` of the run.
  private var names: NameIndex?

  public init(
    opsetImports: [OpsetImport], registry: KernelRegistry = .standard,
    shapeInference: (any ShapeInferenceService)? = nil
  ) {
    self.opsetImports = opsetImports
    self.registry = registry
    self.shapeInference = shapeInference
  }

  /// A context for `model`.
  public convenience init(
    model: Model, registry: KernelRegistry = .standard, shapeInference: (any ShapeInferenceService)? = nil
  ) {
    self.init(opsetImports: model.opsetImports, registry: registry, shapeInference: shapeInference)
  }

  /// The version imported for `domain` ("" and "ai.onnx" are the default domain), or nil.
  public func opsetVersion(_ domain: String = "") -> Int64? {
    let wanted = domain == "ai.onnx" ? "" : domain
    return opsetImports.first { ($0.domain == "ai.onnx" ? "" : $0.domain) == wanted }?.version
  }

  /// Records a note about `node` (or the graph) for `--verbose`: "skipped: W is not constant".
  public func note(_ message: String, at node: Node? = nil) {
    notes.append(PassNote(pass: passName, node: node?.displayName, op: node?.qualifiedOpType, message: message))
  }

  /// Runs `body`, a run of the current pass over `graph` (the model's main graph), with the
  /// names that `unusedName` hands out tracked for that run alone.
  func passRun<R>(on graph: Graph, _ body: () throws -> R) rethrows -> R {
    mainGraph = graph
    names = nil
    defer { (mainGraph, names) = (nil, nil) }
    return try body()
  }

  /// `base`, or `base_1`, `base_2`, … : a name that no value of the model has and that no
  /// earlier call of this pass run handed out. Every value a pass creates is named through it.
  /// The names are gathered once per run, so a run of many fusions stays linear; outside a run
  /// (a pass's `run` called on its own) they are gathered from `graph` each time.
  public func unusedName(_ base: String, in graph: Graph) -> String {
    guard let mainGraph else {
      var index = NameIndex(graph)
      return index.claim(base)
    }
    var index = names ?? NameIndex(mainGraph)
    names = nil  // `index` now holds the only reference, so claiming does not copy the set
    let name = index.claim(base)
    names = index
    return name
  }

  /// Runs `body` with `graph` as the graph being rewritten.
  func within<R>(_ graph: Graph, isMain: Bool, _ body: () throws -> R) rethrows -> R {
    let saved = isMainGraph
    isMainGraph = isMain
    defer { isMainGraph = saved }
    return try body()
  }

  // MARK: Evaluating nodes

  /// Whether `evaluate` can run `node`: the runtime has a kernel and the node holds no subgraph.
  public func canEvaluate(_ node: Node) -> Bool {
    node.subgraphs.isEmpty && registry.kernel(for: node) != nil
  }

  /// Runs `node` in KilnRuntime on constant `inputs` (nil for omitted optional inputs) and
  /// returns its outputs as constant tensors. Throws a `KilnError` naming the node when the
  /// runtime cannot run it or the kernel fails.
  public func evaluate(_ node: Node, inputs: [Tensor?]) throws -> [Tensor?] {
    guard node.subgraphs.isEmpty, let kernel = registry.kernel(for: node) else {
      throw KilnError.badInput(
        "the runtime cannot evaluate this node", node: node.name, op: node.qualifiedOpType)
    }
    let hostInputs = try inputs.map { try $0.map(HostTensor.init) }
    let invocation = KernelInvocation(
      node: node, opset: opsetVersion(node.domain) ?? 0, inputs: hostInputs)
    return try kernel(invocation).enumerated().map { index, output in
      try output.map { try Tensor($0, name: node.outputs.indices.contains(index) ? node.outputs[index]?.name ?? "" : "") }
    }
  }
}

extension Tensor {
  /// A constant holding a copy of a runtime tensor's elements.
  public init(_ host: HostTensor, name: String = "") throws {
    let elements = Int64(host.elementCount)
    guard let byteCount = host.dataType.byteCount(elements: elements), byteCount <= host.buffer.byteCount else {
      throw KilnError.internalError("runtime tensor of \(host.dataType.name) cannot become a constant")
    }
    let data = Data(bytes: host.buffer.pointer, count: Int(byteCount))
    self.init(name: name, dataType: host.dataType, dims: host.shape.map { Int64($0) }, bytes: data)
  }
}
