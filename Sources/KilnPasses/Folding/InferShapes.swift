// infer-shapes: annotates values with the types and shapes their producers prove.

import KilnIR

/// Annotates node outputs with element types and shapes, so that passes which need shapes
/// (`fold-shapes`, `eliminate-identity`, fusions) can prove more.
///
/// Two sources, merged in this order:
/// 1. Kiln's own rules (`ShapePropagation`), on every graph, which keep symbolic dims where
///    libonnx leaves them unknown: elementwise ops, Conv and pooling with a symbolic batch,
///    Reshape with a constant shape, Transpose, Concat, MatMul, Gemm and others;
/// 2. the `ShapeInferenceService` of the `PassContext`, when one is given (`kiln convert`
///    gives libonnx's shape inference), on the main graph, for the ops Kiln's rules do not
///    cover; then Kiln's rules once more over what it added. When Kiln's rules typed every
///    value completely, the service is not asked.
///
/// Types live on the values, where passes read them. By default the pass changes nothing
/// that is written out: it types only intermediate values that the graph's value_info does
/// not list, and leaves graph outputs and listed values as declared. With `value-info=true`
/// it also refines those, and lists every typed value as value_info so that the written
/// model carries the types.
///
/// A merge only adds knowledge: a missing type or an unknown dim is filled, a symbolic dim of
/// an intermediate value becomes static when proved so; a declared static dim or element type
/// is never changed (a disagreement is noted and the declaration kept), and the graph's
/// inputs and outputs keep their declared names and symbolic dims. Without a service the pass
/// does only Kiln's propagation and notes that it did.
public struct InferShapes: Pass {
  public static let name = "infer-shapes"
  public static let summary =
    "Annotate values with types and shapes (libonnx shape inference where available, Kiln's symbolic propagation)."

  public static let options: [PassOption] = [
    .bool("value-info", default: false, help: "also list every typed value as value_info, so its type is written out")
  ]

  /// Whether typed values are added to the graph's `value_info` (`annotatedValues`).
  public let recordsValueInfo: Bool

  public init(options: PassOptions) throws {
    recordsValueInfo = try options.bool("value-info")
  }

  public func run(on graph: Graph, context: PassContext) throws -> Bool {
    var written = Written(graph)
    var changed = propagate(in: graph, &written, context: context)
    if context.isMainGraph, !leavesNothingToInfer(graph, written), applyService(to: graph, &written, context: context) {
      // What the service adds may let Kiln's rules prove more downstream.
      _ = propagate(in: graph, &written, context: context)
      changed = true
    }
    return changed
  }

  /// Kiln's own rules, node by node in topological order.
  private func propagate(in graph: Graph, _ written: inout Written, context: PassContext) -> Bool {
    let opset = context.opsetVersion("") ?? 0
    var changed = false
    for node in graph.nodes {
      let types = ShapePropagation.outputTypes(of: node, opset: opset)
      for (output, type) in zip(node.outputs, types) {
        guard let output, let type else { continue }
        changed = refine(output, with: type, in: graph, &written, node: node, context: context) || changed
      }
    }
    return changed
  }

  /// Whether Kiln's rules left every value the pass may refine with an element type and a
  /// shape without unknown dims. The service is not asked then: it could add nothing (Kiln's
  /// rules never invent a symbolic dim, they pass on the graph inputs' names, whose sizes no
  /// inference can know), and libonnx's inference costs more than the rest of a small model's
  /// pipeline.
  private func leavesNothingToInfer(_ graph: Graph, _ written: Written) -> Bool {
    graph.nodes.allSatisfy { node in
      node.outputs.allSatisfy { output in
        guard let output else { return true }
        let isWritten = written.outputs.contains(ObjectIdentifier(output)) || written.listed.contains(ObjectIdentifier(output))
        guard recordsValueInfo || !isWritten else { return true }
        guard case .tensor(let dataType, let shape?) = output.type, dataType != .undefined else { return false }
        return !shape.dims.contains(.unknown)
      }
    }
  }

  /// Merges the service's types into the main graph's node outputs.
  private func applyService(to graph: Graph, _ written: inout Written, context: PassContext) -> Bool {
    guard let service = context.shapeInference else {
      context.note("no shape-inference service was given: Kiln's own propagation only")
      return false
    }
    let inferred: [String: ValueType]
    do {
      inferred = try service.inferTypes(of: graph, opsetImports: context.opsetImports)
    } catch {
      context.note("shape inference failed, Kiln's own propagation only: \(error)")
      return false
    }
    var changed = false
    for node in graph.nodes {
      for case let output? in node.outputs {
        guard let type = inferred[output.name] else { continue }
        changed = refine(output, with: type, in: graph, &written, node: node, context: context) || changed
      }
    }
    return changed
  }

  /// The values whose types are written out: graph outputs and those listed as value_info.
  private struct Written {
    var outputs: Set<ObjectIdentifier>
    var listed: Set<ObjectIdentifier>

    init(_ graph: Graph) {
      outputs = Set(graph.outputs.map(ObjectIdentifier.init))
      listed = Set(graph.annotatedValues.map(ObjectIdentifier.init))
    }
  }

  /// Refines `value`'s type with `type` (and, with `value-info`, lists the value as
  /// annotated so that its type is written out). Returns whether the type changed.
  private func refine(
    _ value: Value, with type: ValueType, in graph: Graph, _ written: inout Written, node: Node,
    context: PassContext
  ) -> Bool {
    let isGraphOutput = written.outputs.contains(ObjectIdentifier(value))
    let isListed = written.listed.contains(ObjectIdentifier(value))
    // What is written out changes only when asked.
    guard recordsValueInfo || (!isGraphOutput && !isListed) else { return false }
    let merge = Self.merge(value.type, type, symbolicToStatic: !isGraphOutput)
    if let conflict = merge.conflict {
      context.note("kept the type already known for '\(value.name)': \(conflict)", at: node)
    }
    guard let refined = merge.type, refined != value.type else { return false }
    value.type = refined
    if recordsValueInfo, !isGraphOutput, !isListed {
      graph.annotatedValues.append(value)
      written.listed.insert(ObjectIdentifier(value))
    }
    return true
  }

  /// The type that knows what both `old` and `new` know, and a description of any
  /// disagreement (where `old` wins).
  static func merge(_ old: ValueType?, _ new: ValueType, symbolicToStatic: Bool)
    -> (type: ValueType?, conflict: String?)
  {
    guard case .tensor(let newType, let newShape) = new else { return (old ?? new, nil) }
    guard let old, old != .unspecified else { return (new, nil) }
    guard case .tensor(let oldType, let oldShape) = old else { return (old, nil) }
    if oldType != newType, oldType != .undefined, newType != .undefined {
      return (old, "it is declared \(oldType), inference says \(newType)")
    }
    let dataType = oldType == .undefined ? newType : oldType
    guard let oldShape else { return (.tensor(dataType, newShape), nil) }
    guard let newShape else { return (.tensor(dataType, oldShape), nil) }
    guard oldShape.rank == newShape.rank else {
      return (old, "it is declared \(oldShape), inference says \(newShape)")
    }
    var conflict: String?
    let dims = zip(oldShape.dims, newShape.dims).map { declared, proved -> Dim in
      switch (declared, proved) {
      case (.unknown, _): return proved
      case (.symbolic, .fixed) where symbolicToStatic: return proved
      case (.fixed(let a), .fixed(let b)) where a != b:
        conflict = "it is declared \(oldShape), inference says \(newShape)"
        return declared
      default: return declared
      }
    }
    return (.tensor(dataType, Shape(dims)), conflict)
  }
}
