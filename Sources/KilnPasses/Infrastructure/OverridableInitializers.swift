// Initializers that are also graph inputs: defaults the caller may replace, never constants.

import KilnIR

/// From IR version 4 on, an initializer that is also listed as a graph input is only a default
/// value: whoever runs the model may feed another. No pass may fold or fuse through it. The
/// `PassManager` hides such initializers from the passes (their data is detached, so they look
/// like the plain inputs they are) and restores them, in their original order, afterwards.
/// Before IR version 4 every initializer had to be an input, so there they are constants.
struct OverridableInitializers {
  private let hidden: [(value: Value, tensor: Tensor)]
  private let originalOrder: [ObjectIdentifier: Int]

  /// The overridable initializers of `model`'s main graph; nil when there are none.
  init?(_ model: Model) {
    guard model.irVersion >= 4 else { return nil }
    let graph = model.graph
    let inputs = Set(graph.inputs.map(ObjectIdentifier.init))
    hidden = graph.initializers.compactMap { value in
      guard inputs.contains(ObjectIdentifier(value)), let tensor = value.constant else { return nil }
      return (value, tensor)
    }
    guard !hidden.isEmpty else { return nil }
    originalOrder = Dictionary(
      graph.initializers.enumerated().map { (ObjectIdentifier($0.element), $0.offset) }, uniquingKeysWith: { a, _ in a })
  }

  /// Detaches the data of every overridable initializer and takes it off the initializer list.
  func hide(in graph: Graph) {
    let values = Set(hidden.map { ObjectIdentifier($0.value) })
    for entry in hidden { entry.value.constant = nil }
    graph.initializers.removeAll { values.contains(ObjectIdentifier($0)) }
  }

  /// Puts the data and the initializers back; initializers keep their original order, new ones
  /// follow.
  func restore(in graph: Graph) {
    for entry in hidden { entry.value.constant = entry.tensor }
    let all = graph.initializers + hidden.map(\.value)
    graph.initializers = all.enumerated().sorted { first, second in
      let a = originalOrder[ObjectIdentifier(first.element)] ?? originalOrder.count + first.offset
      let b = originalOrder[ObjectIdentifier(second.element)] ?? originalOrder.count + second.offset
      return a < b
    }.map(\.element)
  }
}
