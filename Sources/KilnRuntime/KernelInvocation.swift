// What a kernel receives: the node, its opset, its input tensors, and typed attribute access.

import KilnIR

/// One call of a kernel: the node being run, the opset version its domain is imported at, and
/// its inputs (nil for omitted optional inputs). Attribute and input accessors throw
/// `KilnError`s that name the node, so kernels can validate without boilerplate.
public struct KernelInvocation {
  public let node: Node
  public let opset: Int64
  public let inputs: [HostTensor?]
  /// Threads the kernel may use.
  public let threads: Int
  /// Runs one of this node's subgraphs (If branches, Loop bodies) on the given inputs, with the
  /// enclosing values it captures visible.
  public let runSubgraph: (Graph, [HostTensor?]) throws -> [HostTensor?]

  public init(
    node: Node, opset: Int64, inputs: [HostTensor?], threads: Int = 1,
    runSubgraph: @escaping (Graph, [HostTensor?]) throws -> [HostTensor?] = { _, _ in [] }
  ) {
    self.node = node
    self.opset = opset
    self.inputs = inputs
    self.threads = threads
    self.runSubgraph = runSubgraph
  }

  /// Input `index`, which must be present.
  public func input(_ index: Int) throws -> HostTensor {
    guard index < inputs.count, let tensor = inputs[index] else {
      throw failure("needs input \(index)")
    }
    return tensor
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
