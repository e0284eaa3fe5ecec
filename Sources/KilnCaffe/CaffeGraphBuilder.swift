// Builds the IR graph of a Caffe net: blob names to SSA values, unique names, static shapes.

import KilnIR

/// Grows the graph while the net's layers are converted in order.
///
/// Caffe blobs are names that layers may write again (in-place ReLU, BatchNorm, Scale); the
/// builder maps each blob name to its latest value, so every write gets a value of its own:
/// the first keeps the blob's name, an in-place rewrite takes the writing layer's name (made
/// unique). Every value carries its static float32 shape, which converters need for Caffe's
/// shape rules (flattening axes, pooling rounding, broadcasting per-channel parameters).
final class CaffeGraphBuilder {
  let graph = Graph()
  private var valueNames: Set<String> = []
  private var nodeNames: Set<String> = []
  private var latest: [String: Value] = [:]
  /// Blobs written and not read since, in the order they were last written.
  private var unread: [String] = []

  /// Adds a graph input for the blob `name` with `shape`.
  func addInput(_ name: String, shape: [Int]) {
    let value = Value(name: uniqueValueName(name), type: Self.type(shape))
    graph.inputs.append(value)
    bind(name, to: value)
  }

  /// The latest value of blob `name`, marking the blob as read.
  func read(_ name: String) throws -> Value {
    guard let value = latest[name] else {
      throw KilnCaffeProblem("reads blob '\(name)', which no earlier layer or input writes")
    }
    unread.removeAll { $0 == name }
    return value
  }

  /// Makes `value` the latest value of blob `name`.
  func bind(_ name: String, to value: Value) {
    latest[name] = value
    unread.removeAll { $0 == name }
    unread.append(name)
  }

  /// Adds a float32 initializer.
  func constant(_ name: String, _ tensor: Tensor) -> Value {
    let value = Value(name: uniqueValueName(name), type: .tensor(tensor.dataType, tensor.shape), constant: tensor)
    graph.initializers.append(value)
    return value
  }

  /// Appends a node with one float32 output of `shape`, named `outputName` (made unique).
  func node(
    _ op: String, name: String, inputs: [Value?], attributes: [Attribute] = [], outputName: String, shape: [Int]
  ) -> Value {
    let output = Value(name: uniqueValueName(outputName), type: Self.type(shape))
    appendNode(op, name: name, inputs: inputs, attributes: attributes, outputs: [output])
    return output
  }

  /// Appends a node with several outputs of the given shapes, named after `outputNames`.
  func node(
    _ op: String, name: String, inputs: [Value?], attributes: [Attribute] = [], outputNames: [String],
    shapes: [[Int]]
  ) -> [Value] {
    let outputs = zip(outputNames, shapes).map { Value(name: uniqueValueName($0), type: Self.type($1)) }
    appendNode(op, name: name, inputs: inputs, attributes: attributes, outputs: outputs)
    return outputs
  }

  /// Names a value that layer `layer` made for blob `top` (values are named before they are
  /// known to be a layer's result): the blob's name on its first write, else the layer's.
  func nameWrite(_ value: Value, top: String, layer: String) {
    valueNames.remove(value.name)
    value.name = uniqueValueName(valueNames.contains(top) ? layer : top)
  }

  /// Sets the graph outputs: the blobs that no layer reads after their last write.
  func finish() {
    graph.outputs = unread.compactMap { latest[$0] }
  }

  /// The static shape of a value made by this builder.
  static func shape(of value: Value) -> [Int] {
    value.type?.tensor?.shape?.staticSizes?.map { Int($0) } ?? []
  }

  private func appendNode(_ op: String, name: String, inputs: [Value?], attributes: [Attribute], outputs: [Value]) {
    let node = Node(name: uniqueNodeName(name), opType: op, inputs: inputs, outputs: outputs, attributes: attributes)
    graph.append(node)
  }

  private static func type(_ shape: [Int]) -> ValueType {
    .tensor(.float, Shape(static: shape.map(Int64.init)))
  }

  private func uniqueValueName(_ base: String) -> String {
    let name = Self.unique(base, in: valueNames)
    valueNames.insert(name)
    return name
  }

  private func uniqueNodeName(_ base: String) -> String {
    let name = Self.unique(base, in: nodeNames)
    nodeNames.insert(name)
    return name
  }

  private static func unique(_ base: String, in taken: Set<String>) -> String {
    guard taken.contains(base) else { return base }
    var index = 1
    while taken.contains("\(base)_\(index)") { index += 1 }
    return "\(base)_\(index)"
  }
}
