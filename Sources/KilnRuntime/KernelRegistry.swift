// The one table of kernels, keyed by domain and op type.

import KilnIR

/// Every kernel the runtime has, by `domain::op`. Kernels are registered by op family, one
/// file per family; each family adds itself in `standard`.
public struct KernelRegistry: Sendable {
  private var kernels: [String: Kernel] = [:]

  /// An empty registry.
  public init() {}

  /// Registers `kernel` for `opType` in `domain` ("" is the default ONNX domain).
  public mutating func register(
    _ opType: String, domain: String = "",
    _ kernel: @escaping Kernel
  ) {
    kernels[Self.key(domain, opType)] = kernel
  }

  /// The kernel for `node`, or nil when the runtime has none.
  public func kernel(for node: Node) -> (Kernel)? {
    kernels[Self.key(node.domain, node.opType)]
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
    .detection, .sampling, .rearrangement, .unpooling, .localResponseNormalization, .unique,
  ]
}
