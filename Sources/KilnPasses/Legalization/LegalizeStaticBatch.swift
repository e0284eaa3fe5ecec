// legalize-static-batch: gives the symbolic batch dim of graph inputs a size.

import KilnIR

/// Fixes the batch of graph inputs for targets that need static shapes (RKNN):
///
///     x: float[N, 3, 224, 224]   →   x: float[1, 3, 224, 224]   (and N = 1 everywhere)
///
/// Every graph input (not an initializer) whose first dim is symbolic or unknown gets `size`;
/// a symbolic dim gets it across the whole model, since one name is one size in ONNX. Each
/// input changed gets a note, so that the user sees the batch was chosen for them (give
/// `--input-shape` to choose it). Other dims are left alone: only the user knows them.
public struct LegalizeStaticBatch: Pass {
  public static let name = "legalize-static-batch"
  public static let summary = "Give graph inputs whose first (batch) dim is symbolic or unknown a static batch size."
  public static let options: [PassOption] = [.int("size", default: 1, help: "The batch size inputs get.")]
  public static let scope = PassScope.mainGraph

  let size: Int64

  public init(options: PassOptions) throws {
    size = try options.int("size")
    guard size >= 1 else { throw KilnError(.usage, "legalize-static-batch: size must be 1 or more, not \(size)") }
  }

  public func run(on graph: Graph, context: PassContext) throws -> Bool {
    var symbols: [String: Int64] = [:]
    var changed = false
    for input in graph.inputs where input.constant == nil {
      guard case .tensor(let type, let shape?)? = input.type, let batch = shape.dims.first, batch.value == nil else { continue }
      if case .symbolic(let symbol) = batch { symbols[symbol] = size }
      input.type = .tensor(type, Shape([.fixed(size)] + shape.dims.dropFirst()))
      context.note("input '\(input.name)': batch dim \(batch) set to \(size) (choose it with --input-shape)")
      changed = true
    }
    graph.fixSymbols(symbols)
    return changed
  }
}
