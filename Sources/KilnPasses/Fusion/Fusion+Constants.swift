// What the fusion passes share: the float types they rewrite, new initializers.

import KilnIR

/// Element types whose weights the fusions rewrite. Arithmetic runs in Double and each result is
/// rounded once to the original type; other types (bfloat16, float8, integers) are skipped.
let fusibleFloatTypes: Set<DataType> = [.float, .float16, .double]

extension Graph {
  /// Whether `value` is present and holds data no caller can change: a constant that is not
  /// also a graph input (an initializer listed as an input is only a default value).
  func isFixedConstant(_ value: Value?) -> Bool {
    guard let value, value.isKnownConstant else { return false }
    return !inputs.contains { $0 === value }
  }

  /// Adds an initializer holding `tensor`, named `base` + `_fused` (and a number if that is
  /// taken in the model). Existing initializers are never changed, since another node may read
  /// them.
  func addInitializer(_ tensor: Tensor, named base: String, _ context: PassContext) -> Value {
    addInitializer(tensor, unusedNameFrom: Self.fusedStem(base) + "_fused", context)
  }

  /// Adds an initializer holding `tensor`, named `base` (and a number if that is taken in the
  /// model).
  func addInitializer(_ tensor: Tensor, unusedNameFrom base: String, _ context: PassContext) -> Value {
    let name = context.unusedName(base, in: self)
    var data = tensor
    data.name = name
    let value = Value(name: name, type: .tensor(tensor.dataType, tensor.shape), constant: data)
    initializers.append(value)
    return value
  }

  /// `name` without a `_fused` suffix, so that fusing twice gives `W_fused_1`, not `W_fused_fused`.
  static func fusedStem(_ name: String) -> String {
    name.hasSuffix("_fused") ? String(name.dropLast("_fused".count)) : name
  }
}

extension [Attribute] {
  /// These attributes with `name` set to `value`, in its place or added at the end.
  func setting(_ name: String, to value: AttributeValue) -> [Attribute] {
    guard let index = firstIndex(where: { $0.name == name }) else { return self + [Attribute(name, value)] }
    var result = self
    result[index] = Attribute(name, value)
    return result
  }
}

extension Node {
  /// Whether every output after the first is omitted or unread, so that the node can be
  /// replaced by one that yields only its first output.
  func extraOutputsUnread(in graph: Graph, pinned: Set<ObjectIdentifier>) -> Bool {
    outputs.dropFirst().allSatisfy { $0.map { graph.isUnread($0, pinned: pinned) } ?? true }
  }
}
