// eliminate-identity: removes ops that pass their input through unchanged.

import Foundation
import KilnIR

/// Removes nodes whose output provably equals their first input, making readers read the
/// input directly:
///
///     Identity(x)                                   → x
///     Dropout(x) in inference, mask unread          → x
///     Cast(x, to=type of x)                         → x
///     Reshape(x, shape) where shape keeps x's dims  → x   (0 copies a dim, one -1, the rest equal)
///     Transpose(x, perm=[0,1,…,n-1])                → x
///     Pad(x, pads=[0,…,0])                          → x
///     Slice(x, …) that starts at 0, steps 1 and ends past every sliced dim → x
///     Expand(x, shape) whose shape broadcasts to x's own shape → x
///     Concat(x)                                     → x
///
/// Only what static shapes and constants prove is removed; anything unknown keeps the node.
/// When the output is a graph output, the input takes over its name if it is an intermediate
/// value of the same graph; otherwise (a graph input, an initializer, an outer value) the node
/// is kept, with a note, so graph outputs never change names.
public struct EliminateIdentity: Pass {
  public static let name = "eliminate-identity"
  public static let summary =
    "Remove Identity, inference Dropout and no-op Cast/Reshape/Transpose/Pad/Slice/Expand/Concat."

  public init(options: PassOptions) {}

  public func run(on graph: Graph, context: PassContext) throws -> Bool {
    let opset = context.opsetVersion("") ?? 0
    var changed = false
    for node in graph.nodes where node.domain.isEmpty || node.domain == "ai.onnx" {
      guard let verdict = Self.verdict(node, opset: opset) else { continue }
      guard case .identity = verdict else {
        if case .kept(let reason) = verdict { context.note("kept: \(reason)", at: node) }
        continue
      }
      guard let input = node.inputs.first ?? nil else { continue }
      if graph.bypass(node, with: input) {
        changed = true
      } else {
        context.note("kept: its output is a graph output or is read otherwise, and '\(input.name)' cannot take its place", at: node)
      }
    }
    return changed
  }

  enum Verdict {
    case identity
    case kept(String)
  }

  /// Whether `node` is a no-op; nil when its op is not one this pass knows.
  static func verdict(_ node: Node, opset: Int64) -> Verdict? {
    let input = node.inputs.first ?? nil
    func check(_ proved: Bool, _ reason: @autoclosure () -> String) -> Verdict {
      proved ? .identity : .kept(reason())
    }
    switch node.opType {
    case "Identity":
      return .identity
    case "Concat":
      return node.inputs.count == 1 && input != nil ? .identity : nil
    case "Dropout":
      return dropout(node, opset: opset)
    case "Cast":
      guard let from = input?.elementType else { return .kept("the input's element type is unknown") }
      return check(node.int("to", default: -1) == Int64(from.rawValue), "it changes the element type")
    case "Reshape":
      return reshape(node, input)
    case "Transpose":
      if let perm = node.ints("perm") {
        return check(perm == (0..<Int64(perm.count)).map { $0 }, "the permutation moves axes")
      }
      guard let rank = input?.tensorShape?.rank else { return .kept("the input's rank is unknown") }
      return check(rank <= 1, "the default permutation reverses axes")
    case "Pad":
      guard let pads = node.integers(input: 1, attribute: opset < 11 ? "pads" : nil) else {
        return .kept("the pads are not constant")
      }
      return check(pads.allSatisfy { $0 == 0 }, "it pads")
    case "Slice":
      return slice(node, input, opset: opset)
    case "Expand":
      return expand(node, input)
    default:
      return nil
    }
  }

  private static func dropout(_ node: Node, opset: Int64) -> Verdict {
    if node.outputs.count > 1, let mask = node.outputs[1], !mask.uses.isEmpty {
      return .kept("its mask output is read")
    }
    if opset < 7 {
      return node.int("is_test", default: 0) == 1 ? .identity : .kept("is_test is not set (training mode)")
    }
    guard opset >= 12, node.inputs.count > 2, let training = node.inputs[2] else { return .identity }
    if let flag = training.constantTensor, flag.dataType == .bool, (try? flag.rawData()) == Data([0]) {
      return .identity
    }
    if let ratio = node.inputs[1]?.constantTensor?.floatingPointValues(), ratio == [0] {
      return .identity
    }
    return .kept("training_mode is not a constant false")
  }

  private static func reshape(_ node: Node, _ input: Value?) -> Verdict {
    guard let dims = input?.tensorShape?.dims else { return .kept("the input's shape is unknown") }
    guard let target = node.integers(input: 1, attribute: "shape") else {
      return .kept("the target shape is not constant")
    }
    guard target.count == dims.count else { return .kept("it changes the rank") }
    let copiesZeros = node.int("allowzero", default: 0) == 0
    var inferred = 0
    for (size, dim) in zip(target, dims) {
      if size == 0 && copiesZeros { continue }
      if size == -1 {
        inferred += 1
        continue
      }
      guard dim.value == size else { return .kept("it changes the shape, or the shape is not static") }
    }
    // Every other dim is unchanged, so a single -1 must stand for the dim it replaces.
    return inferred <= 1 ? .identity : .kept("the target shape is invalid")
  }

  private static func slice(_ node: Node, _ input: Value?, opset: Int64) -> Verdict {
    let old = opset < 10
    guard let starts = node.integers(input: 1, attribute: old ? "starts" : nil),
      let ends = node.integers(input: 2, attribute: old ? "ends" : nil), starts.count == ends.count
    else { return .kept("starts and ends are not constant") }
    let dims = input?.tensorShape?.dims
    var axes = (0..<Int64(starts.count)).map { $0 }
    let hasAxes = old ? node.ints("axes") != nil : node.inputs.count > 3 && node.inputs[3] != nil
    if hasAxes {
      guard let given = node.integers(input: 3, attribute: old ? "axes" : nil), given.count == starts.count else {
        return .kept("the axes are not constant")
      }
      axes = given
    }
    var steps = [Int64](repeating: 1, count: starts.count)
    if !old, node.inputs.count > 4, node.inputs[4] != nil {
      guard let given = node.integers(input: 4, attribute: nil), given.count == starts.count else {
        return .kept("the steps are not constant")
      }
      steps = given
    }
    for index in starts.indices {
      guard steps[index] == 1 else { return .kept("it steps by \(steps[index])") }
      var axis = axes[index]
      if axis < 0 {
        guard let rank = dims?.count else { return .kept("the input's rank is unknown") }
        axis += Int64(rank)
      }
      let size = dims.flatMap { axis >= 0 && axis < $0.count ? $0[Int(axis)].value : nil }
      if let size {
        let start = starts[index] < 0 ? starts[index] + size : starts[index]
        let end = ends[index] < 0 ? ends[index] + size : ends[index]
        guard start <= 0, end >= size else { return .kept("it cuts axis \(axis)") }
      } else {
        // Any size fits between 0 and "to the end" (INT_MAX-style ends).
        guard starts[index] == 0, ends[index] >= Int64(Int32.max) else {
          return .kept("axis \(axis) has no static size")
        }
      }
    }
    return .identity
  }

  private static func expand(_ node: Node, _ input: Value?) -> Verdict {
    guard let dims = input?.tensorShape?.dims else { return .kept("the input's shape is unknown") }
    guard let shape = node.integers(input: 1, attribute: nil) else { return .kept("the shape is not constant") }
    guard shape.count <= dims.count else { return .kept("it adds axes") }
    for (size, dim) in zip(shape.reversed(), dims.reversed()) where size != 1 && dim.value != size {
      return .kept("it broadcasts, or the shape is not static")
    }
    return .identity
  }
}
