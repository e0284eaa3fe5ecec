// What the layout fusions (transposes, reshapes, squeezes, casts, slices) share: reading
// axis normalization and adding small integer constants.

import Foundation
import KilnIR

/// Helpers of the layout fusion passes.
enum LayoutFusion {
  /// Adds a `Constant` node holding `values` as a 1-D int64 tensor just before `anchor` and
  /// returns its output, named after `base` and unique in the model.
  ///
  /// A Constant node rather than an initializer: it exists in every opset and is valid in any
  /// IR version (before IR 4 an initializer also had to be a graph input).
  static func addConstant(
    _ values: [Int64], named base: String, before anchor: Node, in graph: Graph, _ context: PassContext
  ) -> Value {
    let name = context.unusedName(base, in: graph)
    let tensor = Tensor(dataType: .int64, dims: [Int64(values.count)], bytes: .littleEndian(values))
    let output = Value(name: name, type: .tensor(.int64, Shape(static: [Int64(values.count)])))
    let node = Node(opType: "Constant", outputs: [output], attributes: [Attribute("value", .tensor(tensor))])
    graph.insert(node, before: anchor)
    return output
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
