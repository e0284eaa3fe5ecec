// The one table of kernels, keyed by domain and op type.

import KilnIR

/// Every kernel the runtime has, by `domain::op`. Kernels are registered by op family, one
/// file per family; each family adds itself in `standard`.
public struct KernelRegistry: Sendable {
  private var kernels: [String: ValueKernel] = [:]

  /// An empty registry.
  public init() {}

  /// Registers `kernel` for `opType` in `domain` ("" is the default ONNX domain). The kernel
  /// takes and makes tensors; a sequence or optional input fails before it runs.
  public mutating func register(
    _ opType: String, domain: String = "",
    _ kernel: @escaping Kernel
  ) {
    kernels[Self.key(domain, opType)] = { invocation in
      try invocation.checkTensorInputs()
      return try kernel(invocation).map { $0.map(RuntimeValue.tensor) }
    }
  }

  /// Registers a kernel over runtime values (sequences and optionals as well as tensors).
  public mutating func registerValues(
    _ opType: String, domain: String = "",
    _ kernel: @escaping ValueKernel
  ) {
    kernels[Self.key(domain, opType)] = kernel
  }

  /// The kernel for `node` over runtime values, or nil when the runtime has none.
  public func valueKernel(for node: Node) -> ValueKernel? {
    kernels[Self.key(node.domain, node.opType)]
  }

  /// The kernel for `node` on tensors, or nil when the runtime has none; it fails when the
  /// op makes a sequence or optional.
  public func kernel(for node: Node) -> (Kernel)? {
    guard let kernel = valueKernel(for: node) else { return nil }
    return { invocation in
      try kernel(invocation).map { output in
        guard let output else { return nil }
        guard let tensor = output.tensor else {
          throw invocation.failure("makes \(output.kindDescription), not a tensor")
        }
        return tensor
      }
    }
  }

  /// Every registered op, as `domain::op` (or just `op` in the default domain), sorted.
  public var ops: [String] { kernels.keys.sorted() }

  private static func key(_ domain: String, _ opType: String) -> String {
    domain.isEmpty || domain == "ai.onnx" ? opType : "\(domain)::\(opType)"
  }

  /// The registry with every kernel family.
  public static let standard: KernelRegistry = {
    var registry = KernelRegistry()
    for family in KernelFamily.all { family.register(&registry) }
    return registry
  }()
}

/// A group of related kernels defined in one file (elementwise math, convolution, ...).
struct KernelFamily: Sendable {
  let register: @Sendable (inout KernelRegistry) -> Void

  /// Every family the runtime ships. Add a family here when adding its file.
  static let all: [KernelFamily] = [
    .identityAndConstants,
    .elementwise, .arithmetic, .comparisonAndLogic, .castAndExpand,
    .matrixMultiplication, .convolution, .normalization, .pooling,
    .reductions, .softmax, .topKAndCumSum, .controlFlow, .quantization,
    .shapes, .layout, .indexing, .padding, .resize,
    .losses, .matrices, .masks, .training, .sequences, .signal, .recurrent, .einsum, .scan,
    .detection, .sampling, .rearrangement, .unpooling, .localResponseNormalization, .unique,
  ]
}
