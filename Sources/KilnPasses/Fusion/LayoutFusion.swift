// What the layout fusions (transposes, reshapes, squeezes, casts, slices) share: reading
// integer parameters from inputs or attributes, and adding small integer constants.

import Foundation
import KilnIR

/// Helpers of the layout fusion passes.
enum LayoutFusion {
  /// Integer values of constant input `input` when the node has that input, else of attribute
  /// `attribute` (the pre-opset form of the same parameter); nil when neither is known.
  static func integers(_ node: Node, input: Int, attribute: String? = nil) -> [Int64]? {
    if node.inputs.count > input, let value = node.inputs[input] {
      return value.constantTensor?.integers()
    }
    return attribute.flatMap(node.ints)
  }

  /// Whether `node` has input `index` (present, not omitted).
  static func hasInput(_ node: Node, _ index: Int) -> Bool {
    node.inputs.count > index && node.inputs[index] != nil
  }

  /// Adds a `Constant` node holding `values` as a 1-D int64 tensor just before `anchor` and
  /// returns its output, named after `base` and unique in `graph` and its subgraphs.
  ///
  /// A Constant node rather than an initializer: it exists in every opset and is valid in any
  /// IR version (before IR 4 an initializer also had to be a graph input).
  static func addConstant(_ values: [Int64], named base: String, before anchor: Node, in graph: Graph) -> Value {
    let name = uniqueName(base, in: graph)
    let tensor = Tensor(dataType: .int64, dims: [Int64(values.count)], bytes: .littleEndian(values))
    let output = Value(name: name, type: .tensor(.int64, Shape(static: [Int64(values.count)])))
    let node = Node(opType: "Constant", outputs: [output], attributes: [Attribute("value", .tensor(tensor))])
    graph.insert(node, before: anchor)
    return output
  }

  /// `base`, or `base_1`, `base_2`, ... : the first name no value of `graph` (or of a graph
  /// nested in it) has.
  static func uniqueName(_ base: String, in graph: Graph) -> String {
    var taken = Set<String>()
    for nested in graph.allGraphs() {
      for value in nested.inputs + nested.outputs + nested.initializers { taken.insert(value.name) }
      for node in nested.nodes {
        for case let value? in node.outputs { taken.insert(value.name) }
        for case let value? in node.inputs { taken.insert(value.name) }
      }
    }
    guard taken.contains(base) else { return base }
    var suffix = 1
    while taken.contains("\(base)_\(suffix)") { suffix += 1 }
    return "\(base)_\(suffix)"
  }

  /// `axes` with negative entries counted from the end of a tensor of rank `rank`; nil when an
  /// axis is negative and the rank is unknown, or an axis falls outside the rank (or, with
  /// the rank unknown, is beyond any real rank).
  static func normalized(_ axes: [Int64], rank: Int?) -> [Int64]? {
    var result: [Int64] = []
    for axis in axes {
      if axis >= 0 {
        guard axis < Int64(rank ?? Int(Int32.max)) else { return nil }
        result.append(axis)
      } else {
        guard let rank, axis + Int64(rank) >= 0 else { return nil }
        result.append(axis + Int64(rank))
      }
    }
    return result
  }

  /// The rank of `value` when its declared shape gives it.
  static func rank(_ value: Value?) -> Int? { value?.tensorShape?.rank }
}
