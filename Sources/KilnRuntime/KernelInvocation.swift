// What a kernel receives: the node, its opset, its input tensors, and typed attribute access.

import KilnIR

/// One call of a kernel: the node being run, the opset version its domain is imported at, and
/// its inputs (nil for omitted optional inputs). Attribute and input accessors throw
/// `KilnError`s that name the node, so kernels can validate without boilerplate.
public struct KernelInvocation {
  public let node: Node
  public let opset: Int64
  /// The inputs as tensors: nil for omitted inputs and for inputs that are sequences or
  /// optionals (which only value kernels take; see `values`).
  public let inputs: [HostTensor?]
  /// The inputs as runtime values, nil for omitted inputs.
  public let values: [RuntimeValue?]
  /// Threads the kernel may use.
  public let threads: Int
  /// A Relu or Clip the executor folded into this node, for kernels that can apply it to
  /// their float32 result in place (see `GraphPlan`); nil otherwise.
  public var fusedActivation: FusedActivation?
  /// Runs one of this node's subgraphs (If branches, Loop bodies) on the given values, with
  /// the enclosing values it captures visible.
  public let runValueSubgraph: (Graph, [RuntimeValue?]) throws -> [RuntimeValue?]
  /// The executor running this node, which keeps what kernels derive from constant inputs
  /// (see `derived(fromInput:_:)`); nil outside an executor.
  var context: ExecutionContext?

  /// An invocation on any runtime values.
  public init(
    node: Node, opset: Int64, values: [RuntimeValue?], threads: Int = 1,
    runValueSubgraph: @escaping (Graph, [RuntimeValue?]) throws -> [RuntimeValue?] = { _, _ in [] }
  ) {
    self.node = node
    self.opset = opset
    self.values = values
    self.inputs = values.map { $0?.tensor }
    self.threads = threads
    self.runValueSubgraph = runValueSubgraph
  }

  /// An invocation on tensors only.
  public init(node: Node, opset: Int64, inputs: [HostTensor?], threads: Int = 1) {
    self.init(node: node, opset: opset, values: inputs.map { $0.map(RuntimeValue.tensor) }, threads: threads)
  }

  /// Runs one of this node's subgraphs on tensors; every output must be a tensor.
  public func runSubgraph(_ graph: Graph, _ inputs: [HostTensor?]) throws -> [HostTensor?] {
    try runValueSubgraph(graph, inputs.map { $0.map(RuntimeValue.tensor) }).map { output in
      guard let output else { return nil }
      guard let tensor = output.tensor else {
        throw failure("a subgraph output is \(output.kindDescription), not a tensor")
      }
      return tensor
    }
  }

  /// Input `index`, which must be present.
  public func input(_ index: Int) throws -> HostTensor {
    let value = try self.value(index)
    guard let tensor = value.tensor else {
      throw failure("input \(index) is \(value.kindDescription), not a tensor")
    }
    return tensor
  }

  /// Input `index` as a runtime value, which must be present.
  public func value(_ index: Int) throws -> RuntimeValue {
    guard index < values.count, let value = values[index] else {
      throw failure("needs input \(index)")
    }
    return value
  }

  /// Input `index` as a runtime value, if it was given.
  public func optionalValue(_ index: Int) -> RuntimeValue? {
    index < values.count ? values[index] : nil
  }

  /// A tensor computed by `derive` from input `index` alone (such as a Conv's transformed
  /// weights). When that input is an initializer, the same tensor in every run, the executor
  /// computes it once and later runs reuse it; otherwise it is computed on every call.
  func derived(fromInput index: Int, _ derive: () throws -> HostTensor) throws -> HostTensor {
    guard let context, index < node.inputs.count, let value = node.inputs[index], let tensor = optionalInput(index)
    else { return try derive() }
    return try context.derived(fromInput: index, of: node, value: value, holding: tensor, derive)
  }

  /// Input `index`, which must be a sequence.
  public func sequence(_ index: Int) throws -> [HostTensor] {
    let value = try self.value(index)
    guard let tensors = value.sequence else {
      throw failure("input \(index) is \(value.kindDescription), not a sequence")
    }
    return tensors
  }

  /// Throws unless every given input is a tensor: what kernels written over tensors expect.
  func checkTensorInputs() throws {
    for (index, value) in values.enumerated() {
      if let value, value.tensor == nil {
        throw failure("input \(index) is \(value.kindDescription), but this op takes tensors")
      }
    }
  }

  /// Input `index` if it was given.
  public func optionalInput(_ index: Int) -> HostTensor? {
    index < inputs.count ? inputs[index] : nil
  }

  /// An int attribute, or `defaultValue`.
  public func int(_ name: String, default defaultValue: Int) -> Int {
    Int(node.int(name, default: Int64(defaultValue)))
  }

  /// An ints attribute, or nil.
  public func ints(_ name: String) -> [Int]? {
    node.ints(name)?.map { Int($0) }
  }

  /// A float attribute, or `defaultValue`.
  public func float(_ name: String, default defaultValue: Float) -> Float {
    node.float(name, default: defaultValue)
  }

  /// A string attribute, or `defaultValue`.
  public func string(_ name: String, default defaultValue: String) -> String {
    node.string(name) ?? defaultValue
  }

  /// `axis` made non-negative; `inclusive` allows `rank` itself (Flatten, Concat-like bounds).
  public func axis(_ axis: Int, rank: Int, inclusive: Bool = false) throws -> Int {
    let upper = inclusive ? rank : rank - 1
    guard axis >= -rank, axis <= upper else {
      throw failure("axis \(axis) is out of range for rank \(rank)")
    }
    return axis < 0 ? axis + rank : axis
  }

  /// An error that names this node and op.
  public func failure(_ message: String) -> KilnError {
    KilnError.badInput(message, node: node.name, op: node.opType)
  }
}

/// A kernel: computes a node's outputs (nil for an omitted optional output) from its inputs.
public typealias Kernel = @Sendable (KernelInvocation) throws -> [HostTensor?]

/// A kernel over runtime values, for ops that take or make sequences and optionals.
public typealias ValueKernel = @Sendable (KernelInvocation) throws -> [RuntimeValue?]
