// Tensor shapes whose dimensions may be static, symbolic or unknown.

/// One dimension of a tensor shape.
public enum Dim: Hashable, Sendable, CustomStringConvertible {
  /// A known size.
  case fixed(Int64)
  /// A size known only by name (`N`, `batch`, `seq_len`); equal names mean equal sizes.
  case symbolic(String)
  /// A size nobody named.
  case unknown

  /// The size when it is static.
  public var value: Int64? {
    if case .fixed(let size) = self { return size }
    return nil
  }

  public var description: String {
    switch self {
    case .fixed(let size): String(size)
    case .symbolic(let name): name
    case .unknown: "?"
    }
  }
}

/// The shape of a tensor: a list of dimensions (empty for a scalar).
public struct Shape: Hashable, Sendable, CustomStringConvertible {
  public var dims: [Dim]

  public init(_ dims: [Dim]) { self.dims = dims }

  /// A shape whose every dimension is static.
  public init(static sizes: [Int64]) { self.dims = sizes.map(Dim.fixed) }

  public var rank: Int { dims.count }

  /// The sizes, when every dimension is static.
  public var staticSizes: [Int64]? {
    var sizes: [Int64] = []
    sizes.reserveCapacity(dims.count)
    for dim in dims {
      guard let size = dim.value else { return nil }
      sizes.append(size)
    }
    return sizes
  }

  /// The element count, when every dimension is static.
  public var elementCount: Int64? { staticSizes?.reduce(1, *) }

  public var description: String { "[" + dims.map(\.description).joined(separator: ",") + "]" }
}
