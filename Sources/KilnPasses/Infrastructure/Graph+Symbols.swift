// Giving symbolic dims sizes: every value type of a graph tree that names a symbol gets its size.

import KilnIR

extension Graph {
  /// Replaces every symbolic dim named in `symbols` by its size, in the types of the inputs,
  /// outputs, annotated values and node outputs of this graph and every graph nested in it (in
  /// ONNX one name means one size across the model).
  public func fixSymbols(_ symbols: [String: Int64]) {
    guard !symbols.isEmpty else { return }
    for graph in allGraphs() {
      let values = graph.inputs + graph.outputs + graph.annotatedValues + graph.nodes.flatMap { $0.outputs.compactMap { $0 } }
      for value in values { value.type = value.type.map { Self.substitute(symbols, in: $0) } }
    }
  }

  private static func substitute(_ symbols: [String: Int64], in type: ValueType) -> ValueType {
    func fixed(_ shape: Shape?) -> Shape? {
      shape.map { shape in
        Shape(shape.dims.map { dim in
          if case .symbolic(let name) = dim, let size = symbols[name] { return .fixed(size) }
          return dim
        })
      }
    }
    switch type {
    case .tensor(let dataType, let shape): return .tensor(dataType, fixed(shape))
    case .sparseTensor(let dataType, let shape): return .sparseTensor(dataType, fixed(shape))
    case .sequence(let element): return .sequence(element.map { substitute(symbols, in: $0) })
    case .optional(let element): return .optional(element.map { substitute(symbols, in: $0) })
    case .map(let key, let value): return .map(key: key, value: value.map { substitute(symbols, in: $0) })
    case .opaque, .unspecified: return type
    }
  }
}
