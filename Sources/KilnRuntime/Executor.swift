// Running a whole model: checking it can run, binding inputs, returning outputs.

import KilnIR

/// Receives a tensor a graph run produced, with the name of its value. A thrown error stops the run.
public typealias TensorObserver = (String, HostTensor) throws -> Void

/// Options for `Executor`.
public struct ExecutionOptions: Sendable {
  /// Threads kernels may use.
  public var threads: Int
  /// The kernels to run with.
  public var registry: KernelRegistry

  public init(threads: Int = 1, registry: KernelRegistry = .standard) {
    self.threads = threads
    self.registry = registry
  }
}

/// What every graph run of one model shares: kernels, opsets, threads and converted constants.
final class ExecutionContext {
  let registry: KernelRegistry
  let threads: Int
  private let opsets: [String: Int64]
  private var constants: [ObjectIdentifier: HostTensor] = [:]
  private var plans: [ObjectIdentifier: GraphPlan] = [:]
  private var constantOutputs: [ObjectIdentifier: [RuntimeValue?]] = [:]

  init(model: Model, options: ExecutionOptions) {
    registry = options.registry
    threads = max(1, options.threads)
    SingleThreadedBLAS.configured
    opsets = Dictionary(
      model.opsetImports.map { ($0.domain == "ai.onnx" ? "" : $0.domain, $0.version) },
      uniquingKeysWith: { first, _ in first })
  }

  func opset(_ domain: String) -> Int64 {
    opsets[domain == "ai.onnx" ? "" : domain] ?? 0
  }

  /// How `graph` runs, planned once and reused by every run and every Loop iteration.
  func plan(for graph: Graph) -> GraphPlan {
    if let cached = plans[ObjectIdentifier(graph)] { return cached }
    let plan = GraphPlan(graph, context: self)
    plans[ObjectIdentifier(graph)] = plan
    return plan
  }

  /// The outputs of `node`, a node whose outputs do not change between runs, computed by
  /// `compute` the first time and kept while all kept outputs stay within
  /// `constantOutputBudget` bytes (beyond it they are computed in every run, as memory for
  /// speed stops paying off when dequantized weights would outgrow the model).
  func constantOutputs(of node: Node, _ compute: () throws -> [RuntimeValue?]) rethrows -> [RuntimeValue?] {
    if let cached = constantOutputs[ObjectIdentifier(node)] { return cached }
    let outputs = try compute()
    if keeps(bytes: outputs.reduce(0) { $0 + ($1?.tensor?.buffer.byteCount ?? 0) }) {
      constantOutputs[ObjectIdentifier(node)] = outputs
    }
    return outputs
  }

  /// A tensor that a kernel derives from input `index` of `node` alone (a Conv's transformed
  /// weights), computed by `derive`. When that input holds a tensor that is the same in every
  /// run (`isKept`), the result is kept within `constantOutputBudget` and reused by later runs;
  /// a fed or computed input is derived anew.
  func derived(
    fromInput index: Int, of node: Node, value: Value, holding tensor: HostTensor, _ derive: () throws -> HostTensor
  ) throws -> HostTensor {
    guard try isKept(tensor, as: value) else { return try derive() }
    let key = DerivedKey(node: ObjectIdentifier(node), input: index)
    if let cached = derivedTensors[key] { return cached }
    let derived = try derive()
    if keeps(bytes: derived.buffer.byteCount) { derivedTensors[key] = derived }
    return derived
  }

  /// Whether `tensor`, the value of `value` in this run, is the same tensor in every run: the
  /// converted initializer (not a caller's override of it), or a kept output of a constant node
  /// (the DequantizeLinear of a QDQ model's weights).
  private func isKept(_ tensor: HostTensor, as value: Value) throws -> Bool {
    if value.constant != nil { return try constant(value).buffer === tensor.buffer }
    guard let producer = value.producer, let outputs = constantOutputs[ObjectIdentifier(producer)] else { return false }
    return outputs.contains { $0?.tensor?.buffer === tensor.buffer }
  }

  private struct DerivedKey: Hashable {
    let node: ObjectIdentifier
    let input: Int
  }

  private var derivedTensors: [DerivedKey: HostTensor] = [:]

  /// At most this many bytes of constant node outputs and derived tensors are kept between runs.
  static let constantOutputBudget = 1 << 30
  private var keptBytes = 0

  /// Whether `bytes` more fit the budget, counting them as kept if so.
  private func keeps(bytes: Int) -> Bool {
    guard keptBytes + bytes <= Self.constantOutputBudget else { return false }
    keptBytes += bytes
    return true
  }

  /// The runtime tensor for an initializer, converted once.
  func constant(_ value: Value) throws -> HostTensor {
    if let cached = constants[ObjectIdentifier(value)] { return cached }
    guard let tensor = value.constant else {
      throw KilnError.internalError("initializer '\(value.name)' has no data")
    }
    let converted = try HostTensor(tensor)
    constants[ObjectIdentifier(value)] = converted
    return converted
  }
}

/// Runs a model in KilnRuntime.
///
/// Creating an executor checks that every node, in every subgraph, has a kernel, and names
/// every missing op at once. `run` checks the feeds against the model's inputs (element types,
/// ranks, static dims, and symbolic dims bound consistently) before running anything.
public final class Executor {
  public let model: Model
  private let context: ExecutionContext

  public init(model: Model, options: ExecutionOptions = .init()) throws {
    let missing = Self.unsupportedOps(model.graph, registry: options.registry)
    guard missing.isEmpty else {
      throw KilnError.badInput(
        "the runtime has no kernel for: \(missing.joined(separator: ", "))",
        hint: "these ops cannot run in Kiln yet")
    }
    self.model = model
    self.context = ExecutionContext(model: model, options: options)
  }

  /// The graph inputs that must be fed (inputs that are not initializers).
  public var requiredInputs: [Value] { model.graph.inputs.filter { $0.constant == nil } }

  /// Runs the model on `feeds` (by input name) and returns every graph output by name. Every
  /// input and output must be a tensor; `run(values:)` takes sequences and optionals too.
  public func run(_ feeds: [String: HostTensor]) throws -> [String: HostTensor] {
    try tensors(run(values: feeds.mapValues(RuntimeValue.tensor)))
  }

  private func tensors(_ outputs: [String: RuntimeValue]) throws -> [String: HostTensor] {
    try outputs.mapValues { output in
      guard let tensor = output.tensor else {
        throw KilnError.badInput(
          "a graph output is \(output.kindDescription), not a tensor", hint: "run it with run(values:)")
      }
      return tensor
    }
  }

  /// Runs the model like `run(_:)` and shows `observer` every tensor of the main graph as it
  /// is produced: each fed input, then each node output in node order. Initializers are not
  /// shown, nor values inside subgraphs. The observer must not keep what it does not need:
  /// values are still released after their last reader.
  public func run(_ feeds: [String: HostTensor], observing observer: @escaping TensorObserver) throws
    -> [String: HostTensor]
  {
    try tensors(run(values: feeds.mapValues(RuntimeValue.tensor), observer: observer, observed: nil))
  }

  /// Runs the model like `run(_:observing:)` but shows `observer` only the main-graph tensors
  /// named in `names`. A Conv and the Relu or Clip after it then run fused, as without an
  /// observer, unless `names` holds the Conv's own output.
  public func run(_ feeds: [String: HostTensor], observing observer: @escaping TensorObserver, only names: Set<String>)
    throws -> [String: HostTensor]
  {
    try tensors(run(values: feeds.mapValues(RuntimeValue.tensor), observer: observer, observed: names))
  }

  /// Runs the model on `feeds` of any runtime values and returns every graph output by name.
  public func run(values feeds: [String: RuntimeValue]) throws -> [String: RuntimeValue] {
    try run(values: feeds, observer: nil, observed: nil)
  }

  private func run(values feeds: [String: RuntimeValue], observer: TensorObserver?, observed: Set<String>?) throws
    -> [String: RuntimeValue]
  {
    let inputs = try InputBinding(graph: model.graph).bind(feeds)
    let run = GraphRun(graph: model.graph, context: context, observer: observer, observed: observed)
    let outputs = try run.run(inputs: inputs, parent: nil)
    var result: [String: RuntimeValue] = [:]
    for (value, output) in zip(model.graph.outputs, outputs) {
      guard let output else {
        throw KilnError.internalError("graph output '\(value.name)' was not computed")
      }
      result[value.name] = output
    }
    return result
  }

  /// Every op (sorted, unique) in `graph` or its subgraphs that has no kernel.
  public static func unsupportedOps(_ graph: Graph, registry: KernelRegistry) -> [String] {
    Set(graph.allNodes().filter { registry.valueKernel(for: $0) == nil }.map(\.qualifiedOpType)).sorted()
  }
}
