// fold-shapes: shape computations whose dims are static become constants, symbolic dims kept.

import Foundation
import KilnIR

/// Follows the integers that `Shape` and `Size` produce through the ops that move them
/// around (Gather and Slice with constant indices, Unsqueeze, Squeeze, Concat, Cast to an
/// integer type, Reshape to one dimension, Identity) and replaces every value whose elements
/// are then all static dims with a constant:
///
///     x: float[N, 3, 224, 224]
///     s = Shape(x)   c = Gather(s, 1)   u = Unsqueeze(c, [0])   →   u = constant [3]
///     t = Gather(s, 0)                                           →   unchanged: N is symbolic
///
/// Dims come from the declared shapes (the model's, or `infer-shapes`'); a symbolic or
/// unknown dim is never guessed, so computations that read it stay and see the real size
/// at run time. Values computed from constants alone are left to `fold-constants`. Shape
/// producers that fed only folded values go.
public struct FoldShapes: Pass {
  public static let name = "fold-shapes"
  public static let summary =
    "Fold Shape/Size computations (Gather, Slice, Unsqueeze, Concat, Cast, ...) over static dims into constants."

  public init(options: PassOptions) {}

  /// The elements of a small integer tensor as dims, and whether a `Shape`/`Size` fed it.
  struct ShapeData {
    var elements: [Dim]
    var isScalar: Bool
    var dataType: DataType
    var fromShape: Bool

    var staticValues: [Int64]? { Shape(elements).staticSizes }
  }

  public func run(on graph: Graph, context: PassContext) throws -> Bool {
    let opset = context.opsetVersion("") ?? 0
    var known: [ObjectIdentifier: ShapeData] = [:]
    func data(_ value: Value?) -> ShapeData? {
      guard let value else { return nil }
      return known[ObjectIdentifier(value)] ?? Self.constantData(value)
    }
    var read: [Value] = []
    var changed = false
    for node in graph.nodes where node.domain.isEmpty || node.domain == "ai.onnx" {
      guard node.outputs.count == 1, let output = node.outputs[0],
        let result = Self.evaluate(node, node.inputs.map(data), opset: opset)
      else { continue }
      known[ObjectIdentifier(output)] = result
      guard result.fromShape, let values = result.staticValues else {
        if node.opType == "Shape", let dims = result.elements.first(where: { $0.value == nil }) {
          context.note("kept: dim \(dims) of its input is not static; only static dims downstream fold", at: node)
        }
        continue
      }
      read += node.inputs.compactMap { $0 }
      FoldConstants.replace(node, by: [(output, Self.tensor(values, like: result))], in: graph)
      changed = true
    }
    graph.dropUnread(read)
    return changed
  }

  /// A constant integer tensor of rank 0 or 1, as data.
  static func constantData(_ value: Value) -> ShapeData? {
    guard let tensor = value.constantTensor, tensor.dims.count <= 1, tensor.elementCount <= 64,
      let values = tensor.integers()
    else { return nil }
    return ShapeData(
      elements: values.map(Dim.fixed), isScalar: tensor.dims.isEmpty, dataType: tensor.dataType, fromShape: false)
  }

  static func tensor(_ values: [Int64], like data: ShapeData) -> Tensor {
    let dims: [Int64] = data.isScalar ? [] : [Int64(values.count)]
    let bytes: Data =
      data.dataType == .int32 ? .littleEndian(values.map { Int32(truncatingIfNeeded: $0) }) : .littleEndian(values)
    return Tensor(dataType: data.dataType == .int32 ? .int32 : .int64, dims: dims, bytes: bytes)
  }

  /// What `node` computes from its inputs' data; nil when it is not an op followed here or
  /// an input is not known.
  static func evaluate(_ node: Node, _ inputs: [ShapeData?], opset: Int64) -> ShapeData? {
    let first = inputs.first ?? nil
    switch node.opType {
    case "Shape":
      guard let dims = node.inputs.first??.tensorShape?.dims else { return nil }
      let range = ShapePropagation.shapeRange(node, rank: dims.count)
      return ShapeData(elements: Array(dims[range]), isScalar: false, dataType: .int64, fromShape: true)
    case "Size":
      guard let dims = node.inputs.first??.tensorShape?.dims else { return nil }
      let count = ShapePropagation.product(dims)
      return ShapeData(elements: [count.value == nil ? .unknown : count], isScalar: true, dataType: .int64, fromShape: true)
    case "Identity":
      return first
    case "Gather":
      guard let first, !first.isScalar, inputs.count == 2, let indices = inputs[1],
        let positions = indices.staticValues, node.int("axis", default: 0) == 0 || node.int("axis", default: 0) == -1
      else { return nil }
      let count = Int64(first.elements.count)
      var picked: [Dim] = []
      for position in positions {
        let index = position < 0 ? position + count : position
        guard (0..<count).contains(index) else { return nil }
        picked.append(first.elements[Int(index)])
      }
      return ShapeData(elements: picked, isScalar: indices.isScalar, dataType: first.dataType, fromShape: first.fromShape)
    case "Slice":
      return slice(node, inputs, opset: opset)
    case "Unsqueeze":
      guard let first, first.isScalar, axes(node, inputs, opset: opset) == [0] || axes(node, inputs, opset: opset) == [-1]
      else { return nil }
      return ShapeData(elements: first.elements, isScalar: false, dataType: first.dataType, fromShape: first.fromShape)
    case "Squeeze":
      guard let first, !first.isScalar, first.elements.count == 1 else { return nil }
      let axes = axes(node, inputs, opset: opset)
      guard axes == nil || axes == [0] || axes == [-1] else { return nil }
      return ShapeData(elements: first.elements, isScalar: true, dataType: first.dataType, fromShape: first.fromShape)
    case "Concat":
      let parts = inputs.compactMap { $0 }
      guard parts.count == inputs.count, let head = parts.first, parts.allSatisfy({ !$0.isScalar }),
        node.int("axis", default: 0) == 0 || node.int("axis", default: 0) == -1,
        parts.allSatisfy({ $0.dataType == head.dataType })
      else { return nil }
      return ShapeData(
        elements: parts.flatMap(\.elements), isScalar: false, dataType: head.dataType,
        fromShape: parts.contains { $0.fromShape })
    case "Cast":
      let target = DataType(rawValue: Int32(truncatingIfNeeded: node.int("to", default: 0)))
      guard var first, target == .int64 || target == .int32 else { return nil }
      if target == .int32, first.elements.contains(where: { ($0.value.map { Int32(exactly: $0) == nil }) ?? false }) {
        return nil
      }
      first.dataType = target
      return first
    case "Reshape":
      guard var first, inputs.count == 2, let target = inputs[1]?.staticValues else { return nil }
      let count = Int64(first.elements.count)
      switch target {
      case [-1], [count]: first.isScalar = false
      case [] where count == 1: first.isScalar = true
      default: return nil
      }
      return first
    default:
      return nil
    }
  }

  /// The constant axes of an Unsqueeze or Squeeze (an input from opset 13, an attribute before).
  private static func axes(_ node: Node, _ inputs: [ShapeData?], opset: Int64) -> [Int64]? {
    if opset < 13 { return node.ints("axes") }
    guard inputs.count > 1 else { return nil }
    return inputs[1]?.staticValues
  }

  /// Slice along axis 0 of a vector, with constant starts, ends and steps.
  private static func slice(_ node: Node, _ inputs: [ShapeData?], opset: Int64) -> ShapeData? {
    guard let vector = inputs.first ?? nil, !vector.isScalar else { return nil }
    let starts, ends: [Int64]?
    var axes: [Int64]? = nil
    var steps: [Int64]? = nil
    if opset < 10 {
      (starts, ends, axes) = (node.ints("starts"), node.ints("ends"), node.ints("axes"))
    } else {
      var known = true
      func operand(_ index: Int) -> [Int64]? {
        guard node.inputs.count > index, node.inputs[index] != nil else { return nil }
        guard let values = inputs[index]?.staticValues else {
          known = false
          return nil
        }
        return values
      }
      (starts, ends, axes, steps) = (operand(1), operand(2), operand(3), operand(4))
      guard known else { return nil }
    }
    guard let start = starts, let end = ends, start.count == 1, end.count == 1,
      (axes ?? [0]) == [0] || (axes ?? [0]) == [-1]
    else { return nil }
    let step = steps?.first ?? 1
    guard step != 0, (steps?.count ?? 1) == 1 else { return nil }
    let count = Int64(vector.elements.count)
    func resolve(_ value: Int64) -> Int64 {
      let shifted = value < 0 ? value + count : value
      return step > 0 ? min(max(shifted, 0), count) : min(max(shifted, -1), count - 1)
    }
    var picked: [Dim] = []
    var index = resolve(start[0])
    let stop = resolve(end[0])
    while step > 0 ? (index < stop) : (index > stop) {
      picked.append(vector.elements[Int(index)])
      index += step
    }
    return ShapeData(elements: picked, isScalar: false, dataType: vector.dataType, fromShape: vector.fromShape)
  }
}
