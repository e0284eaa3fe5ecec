// Keeping IR-version-3 models valid: there, every initializer is also a graph input.

import KilnIR

/// Before IR version 4 an initializer had to be listed among the graph inputs as well (as a
/// default value). Passes add and remove initializers without knowing that rule; the
/// `PassManager` calls `synchronize` after every pass of such a model, so that new initializers
/// become inputs and folded-away ones stop being inputs (an input left behind would turn into
/// one the caller must feed). Models of IR version 4 and later are left alone.
struct InitializerInputs {
  private var backed: Set<ObjectIdentifier>

  /// The bookkeeping for `model`, or nil when its IR version does not need it.
  init?(_ model: Model) {
    guard model.irVersion < 4 else { return nil }
    let initializers = Set(model.graph.initializers.map(ObjectIdentifier.init))
    backed = Set(model.graph.inputs.map(ObjectIdentifier.init).filter(initializers.contains))
  }

  /// Makes the main graph's inputs list exactly its initializers plus the inputs that never
  /// were initializers.
  mutating func synchronize(_ graph: Graph) {
    let initializers = Set(graph.initializers.map(ObjectIdentifier.init))
    graph.inputs.removeAll { backed.contains(ObjectIdentifier($0)) && !initializers.contains(ObjectIdentifier($0)) }
    let listed = Set(graph.inputs.map(ObjectIdentifier.init))
    for value in graph.initializers where !listed.contains(ObjectIdentifier(value)) {
      graph.inputs.append(value)
      backed.insert(ObjectIdentifier(value))
    }
  }
}
