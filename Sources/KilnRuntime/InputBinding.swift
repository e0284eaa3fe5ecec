// Checking feeds against a graph's declared inputs and binding symbolic dims.

import KilnIR

/// Matches the values a caller feeds to a graph's inputs: every required input present, no
/// unknown names, tensors, sequences and optionals where declared, tensor element types and
/// ranks as declared, static dims equal, and each symbolic dim bound to one size across all
/// tensor inputs.
struct InputBinding {
  let graph: Graph

  func bind(_ feeds: [String: RuntimeValue]) throws -> [RuntimeValue?] {
    let known = Set(graph.inputs.map(\.name))
    if let stray = feeds.keys.sorted().first(where: { !known.contains($0) }) {
      throw KilnError.badInput(
        "the model has no input named '\(stray)'",
        hint: "inputs: \(graph.inputs.filter { $0.constant == nil }.map(\.name).joined(separator: ", "))")
    }
    var symbols: [String: Int] = [:]
    return try graph.inputs.map { value in
      guard let fed = feeds[value.name] else {
        if value.constant != nil { return nil }
        throw KilnError.badInput("input '\(value.name)' was not given")
      }
      try checkKind(fed, against: value)
      if case .tensor(let tensor) = fed { try check(tensor, against: value, symbols: &symbols) }
      return fed
    }
  }

  /// Throws unless a tensor feeds a tensor input, a sequence a sequence input and an optional
  /// an optional input (inputs without a declared type take any value).
  private func checkKind(_ fed: RuntimeValue, against value: Value) throws {
    switch (fed, value.type) {
    case (.tensor, .tensor?), (.sequence, .sequence?), (.optional, .optional?), (_, nil), (_, .unspecified?):
      return
    case (_, let declared?):
      throw KilnError.badInput("input '\(value.name)' is a \(declared) but \(fed.kindDescription) was given")
    }
  }

  private func check(_ tensor: HostTensor, against value: Value, symbols: inout [String: Int]) throws {
    guard case .tensor(let dataType, let shape)? = value.type else { return }
    guard tensor.dataType == dataType || dataType == .undefined else {
      throw KilnError.badInput(
        "input '\(value.name)' is \(dataType.name) but \(tensor.dataType.name) was given")
    }
    guard let shape else { return }
    guard shape.rank == tensor.rank else {
      throw KilnError.badInput(
        "input '\(value.name)' has shape \(shape) but a tensor of shape \(tensor.shape) was given")
    }
    for (dim, size) in zip(shape.dims, tensor.shape) {
      switch dim {
      case .fixed(let expected) where Int(expected) != size:
        throw KilnError.badInput(
          "input '\(value.name)' has shape \(shape) but a tensor of shape \(tensor.shape) was given")
      case .symbolic(let name):
        if let bound = symbols[name], bound != size {
          throw KilnError.badInput(
            "dimension '\(name)' is \(bound) in one input but \(size) in input '\(value.name)'")
        }
        symbols[name] = size
      default:
        continue
      }
    }
  }
}
