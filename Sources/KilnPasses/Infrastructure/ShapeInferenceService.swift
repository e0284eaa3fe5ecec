// The shape-inference service a pass may be given: types inferred by a library outside KilnPasses.

import KilnIR

/// Infers the types of a model's values with a library that KilnPasses may not depend on
/// (libonnx's shape inference, reached from the Kiln module through CONNX).
///
/// `infer-shapes` uses the service given to its `PassContext` and merges what it finds with
/// Kiln's own propagation; without one, it does Kiln's propagation only.
public protocol ShapeInferenceService {
  /// The types the service proves for values of `graph`, the main graph of a model that
  /// imports `opsetImports`, by value name. Values it knows nothing about are left out.
  /// Throws when the service cannot run on this graph; the pass then goes on without it.
  func inferTypes(of graph: Graph, opsetImports: [OpsetImport]) throws -> [String: ValueType]
}
