// fold-constants: evaluates nodes on constant inputs in KilnRuntime and keeps their results.

import KilnIR

/// Replaces each node whose inputs are all constants (initializers or `Constant` nodes) by
/// initializers holding its outputs, computed by KilnRuntime:
///
///     Y = Transpose(W)   with W an initializer   →   Y = constant Wᵀ
///
/// The outputs keep their values, so every reader, graph output name and position stay as
/// they were; a chain of such nodes folds in one run, and the `Constant` nodes and
/// initializers that fed only folded nodes go. `Identity` is not folded: its output already
/// is its input's data, so folding would only copy a weight under another name
/// (`eliminate-identity` removes it wherever the output's name allows).
///
/// Safe because the runtime computes what the node would compute at inference. It folds only
/// nodes that are deterministic, have no side effects (default or ai.onnx.ml domain), hold
/// no subgraph and have a kernel. It deliberately does not fire, with a note, when:
/// - the outputs would be larger than the inputs by more than `max-growth` bytes, so that a
///   small Tile, Expand, ConstantOfShape or Range never becomes a huge initializer; the size
///   is predicted from declared and propagated shapes before evaluating, and an op whose
///   output size only its values decide (Resize, Pad, OneHot, ...) is not evaluated when it
///   cannot be predicted;
/// - an output would be larger than `max-size` bytes;
/// - the node is a Dropout (random in training mode; `eliminate-identity` handles inference);
/// - the node is a DequantizeLinear: quantized models carry their weights that way, and
///   their consumers look for it;
/// - the runtime fails on the node (a kernel rejecting its input): the node stays as it is.
public struct FoldConstants: Pass {
  public static let name = "fold-constants"
  public static let summary =
    "Evaluate nodes whose inputs are all constants in KilnRuntime; their outputs become initializers."
  public static let options: [PassOption] = [
    .bytes("max-growth", default: 1 << 20, help: "never fold a node whose outputs exceed its inputs by more bytes"),
    .bytes("max-size", default: 1 << 30, help: "never make a constant of more bytes"),
  ]

  public let maxGrowth: Int64
  public let maxSize: Int64

  public init(options: PassOptions) throws {
    maxGrowth = try options.bytes("max-growth")
    maxSize = try options.bytes("max-size")
  }

  /// Ops whose output size depends on their input values in ways the shape rules do not
  /// follow; they are evaluated only when the size was predicted.
  private static let valueSized: Set<String> = [
    "ConstantOfShape", "Expand", "Tile", "Range", "Resize", "Upsample", "Pad", "OneHot", "Col2Im",
    "CenterCropPad", "ConvTranspose", "Einsum", "MaxUnpool", "RoiAlign", "GridSample",
    "AffineGrid",
  ]

  public func run(on graph: Graph, context: PassContext) throws -> Bool {
    let opset = context.opsetVersion("") ?? 0
    var read: [Value] = []
    var changed = false
    for node in graph.nodes where !node.isOnnx("Constant") && !node.isOnnx("Identity") {
      guard let inputs = Self.constantInputs(of: node) else { continue }
      if let reason = refusal(node, context: context) {
        context.note("kept: \(reason)", at: node)
        continue
      }
      let inputBytes = inputs.reduce(Int64(0)) { $0 + ($1?.byteCount ?? 0) }
      if let reason = sizeRefusal(predictedBytes(of: node, opset: opset), inputBytes: inputBytes, node: node) {
        context.note("kept: \(reason)", at: node)
        continue
      }
      let outputs: [Tensor?]
      do {
        outputs = try context.evaluate(node, inputs: inputs)
      } catch let error as KilnError {
        context.note("kept: the runtime could not evaluate it: \(error.message)", at: node)
        continue
      } catch {
        context.note("kept: the runtime could not evaluate it: \(error)", at: node)
        continue
      }
      guard let results = Self.pair(node.outputs, outputs) else {
        context.note("kept: the runtime gave fewer outputs than the node has", at: node)
        continue
      }
      let actual = results.reduce(Int64(0)) { $0 + $1.1.byteCount }
      if let reason = sizeRefusal(actual, inputBytes: inputBytes, node: node) {
        context.note("kept: \(reason)", at: node)
        continue
      }
      read += node.inputs.compactMap { $0 }
      Self.replace(node, by: results, in: graph)
      changed = true
    }
    graph.dropUnread(read)
    return changed
  }

  /// The node's inputs as constants (nil for omitted optional ones), or nil when one is not
  /// constant.
  static func constantInputs(of node: Node) -> [Tensor?]? {
    var tensors: [Tensor?] = []
    for input in node.inputs {
      guard let input else {
        tensors.append(nil)
        continue
      }
      guard let tensor = input.constantTensor else { return nil }
      tensors.append(tensor)
    }
    return tensors
  }

  /// Why `node` must not be folded whatever its size; nil when it may be.
  private func refusal(_ node: Node, context: PassContext) -> String? {
    if node.hasSideEffects { return "ops of domain '\(node.domain)' may have side effects" }
    if node.isNondeterministic { return "it is random" }
    if node.isOnnx("Dropout") { return "Dropout is random in training mode; eliminate-identity removes it otherwise" }
    if !node.subgraphs.isEmpty { return "it holds a subgraph" }
    if node.isOnnx("DequantizeLinear") { return "DequantizeLinear keeps quantized weights quantized" }
    if !context.canEvaluate(node) { return "the runtime has no kernel for it" }
    if node.outputs.allSatisfy({ $0 == nil }) { return "it has no outputs" }
    return nil
  }

  /// Why outputs of `outputBytes` (nil: not known before evaluating) may not replace `node`.
  private func sizeRefusal(_ outputBytes: Int64?, inputBytes: Int64, node: Node) -> String? {
    guard let outputBytes else {
      return Self.valueSized.contains(node.opType)
        ? "its output size cannot be known before evaluating it" : nil
    }
    if outputBytes > maxSize {
      return "its outputs would take \(outputBytes) bytes, over max-size=\(maxSize)"
    }
    if outputBytes - inputBytes > maxGrowth {
      return "folding would grow \(inputBytes) bytes of inputs into \(outputBytes) bytes, over max-growth=\(maxGrowth)"
    }
    return nil
  }

  /// The bytes the node's outputs will take, from their declared types or Kiln's shape
  /// rules; nil when an output's size is not known.
  private func predictedBytes(of node: Node, opset: Int64) -> Int64? {
    let proved = ShapePropagation.outputTypes(of: node, opset: opset)
    var total: Int64 = 0
    for (index, output) in node.outputs.enumerated() {
      guard let output else { continue }
      let candidates = [output.type, proved.indices.contains(index) ? proved[index] : nil]
      guard
        let bytes = candidates.lazy.compactMap({ $0.flatMap(Self.staticBytes) }).first
      else { return nil }
      let (sum, overflow) = total.addingReportingOverflow(bytes)
      if overflow { return Int64.max }
      total = sum
    }
    return total
  }

  /// The bytes a tensor of `type` takes when its shape is static.
  private static func staticBytes(_ type: ValueType) -> Int64? {
    guard let (dataType, shape) = type.tensor, let sizes = shape?.staticSizes,
      sizes.allSatisfy({ $0 >= 0 })
    else { return nil }
    var count: Int64 = 1
    for size in sizes {
      let (product, overflow) = count.multipliedReportingOverflow(by: size)
      if overflow || product > Int64.max / 16 { return Int64.max }
      count = product
    }
    return dataType.byteCount(elements: count)
  }

  /// Each present output with its computed tensor; nil when the runtime left one out.
  private static func pair(_ values: [Value?], _ tensors: [Tensor?]) -> [(Value, Tensor)]? {
    var pairs: [(Value, Tensor)] = []
    for (index, value) in values.enumerated() {
      guard let value else { continue }
      guard tensors.indices.contains(index), let tensor = tensors[index] else { return nil }
      pairs.append((value, tensor))
    }
    return pairs
  }

  /// Removes `node` and makes each of its output values an initializer holding its result,
  /// so readers and graph outputs keep the same value and name.
  static func replace(_ node: Node, by results: [(Value, Tensor)], in graph: Graph) {
    graph.remove(node)
    for (value, tensor) in results {
      var constant = tensor
      constant.name = value.name
      value.constant = constant
      value.type = .tensor(constant.dataType, constant.shape)
      graph.initializers.append(value)
      graph.annotatedValues.removeAll { $0 === value }
    }
  }
}
