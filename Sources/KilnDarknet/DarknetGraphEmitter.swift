// Appends ONNX nodes and constants to the graph a Darknet cfg becomes, with unique names.

import Foundation
import KilnIR

/// A layer's result as the layers after it see it: the value and its channels and spatial size.
/// A flat result (from `[connected]`, or a softmax over a whole map) is `[1, channels]`.
struct LayerOutput {
  var value: Value
  var channels: Int
  var height: Int
  var width: Int
  var isFlat: Bool

  /// The dims of the value: `[1, C, H, W]`, or `[1, C]` when flat.
  var dims: [Int64] { isFlat ? [1, Int64(channels)] : [1, Int64(channels), Int64(height), Int64(width)] }
  /// How many floats one batch item holds.
  var elementCount: Int { channels * height * width }
}

/// Builds the graph: every value and node it adds gets a name no other one has.
final class DarknetGraphEmitter {
  let graph: Graph
  private var usedNames: Set<String> = []

  init(name: String) { graph = Graph(name: name) }

  /// `base`, or `base_2`, `base_3`, ... when taken.
  func uniqueName(_ base: String) -> String {
    var name = base
    var suffix = 2
    while usedNames.contains(name) {
      name = "\(base)_\(suffix)"
      suffix += 1
    }
    usedNames.insert(name)
    return name
  }

  /// Adds the float32 graph input `name` of shape `dims`.
  func input(_ name: String, dims: [Int64]) -> Value {
    let value = Value(name: uniqueName(name), type: .tensor(.float, Shape(static: dims)))
    graph.inputs.append(value)
    return value
  }

  /// Appends node `op` named `name`; its one output has the same name and a float32 `dims` type.
  func node(
    _ op: String, _ name: String, _ inputs: [Value?], dims: [Int64], attributes: [Attribute] = []
  ) -> Value {
    let unique = uniqueName(name)
    let output = Value(name: unique, type: .tensor(.float, Shape(static: dims)))
    graph.append(Node(name: unique, opType: op, inputs: inputs, outputs: [output], attributes: attributes))
    return output
  }

  /// Adds a float32 initializer whose bytes are `storage` (a slice of the weights file).
  func weight(_ name: String, dims: [Int64], _ storage: TensorStorage) -> Value {
    constant(Tensor(name: uniqueName(name), dataType: .float, dims: dims, storage: storage))
  }

  /// Adds an int64 initializer holding `values`, 1-D.
  func int64s(_ name: String, _ values: [Int64]) -> Value {
    constant(Tensor(name: uniqueName(name), dataType: .int64, dims: [Int64(values.count)], bytes: .littleEndian(values)))
  }

  /// Adds a float32 initializer holding `values`, 1-D.
  func floats(_ name: String, _ values: [Float]) -> Value {
    constant(Tensor(name: uniqueName(name), floats: values, dims: [values.count]))
  }

  private func constant(_ tensor: Tensor) -> Value {
    let value = Value(name: tensor.name, type: .tensor(tensor.dataType, tensor.shape), constant: tensor)
    graph.initializers.append(value)
    return value
  }
}
