// Checking feeds against a graph's declared inputs and binding symbolic dims.

import KilnIR

/// Matches the tensors a caller feeds to a graph's inputs: every required input present, no
/// unknown names, element types and ranks as declared, static dims equal, and each symbolic
/// dim bound to one size across all inputs.
struct InputBinding {
  let graph: Graph

  func bind(_ feeds: [String: HostTensor]) throws -> [HostTensor?] {
    let known = Set(graph.inputs.map(\.name))
    if let stray = feeds.keys.sorted().first(where: { !known.contains($0) }) {
      throw KilnError.badInput(
        "the model has no input named '\(stray)'",
        hint: "inputs: \(graph.inputs.filter { $0.constant == nil }.map(\.name).joined(separator: ", "))")
    }
    var symbols: [String: Int] = [:]
    return try graph.inputs.map { value in
      guard let tensor = feeds[value.name] else {
        if value.constant != nil { return nil }
        throw KilnError.badInput("input '\(value.name)' was not given")
      }
      try check(tensor, against: value, symbols: &symbols)
      return tensor
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
