// Small builders for test graphs: typed values from text, float constants, nodes wired by value.

import Foundation
import KilnIR

/// Builds a graph one statement at a time, the way the tests read best.
final class GraphBuilder {
  let graph: Graph

  init(_ name: String = "main") { graph = Graph(name: name) }

  /// Adds a graph input typed by `type` text such as `float32[N,3]`.
  @discardableResult
  func input(_ name: String, _ type: String? = nil) -> Value {
    let value = Value(name: name, type: type.map(tensorType))
    graph.inputs.append(value)
    return value
  }

  /// Adds a float32 initializer holding `values` (1-D unless `dims` is given).
  @discardableResult
  func constant(_ name: String, _ values: [Float], dims: [Int64]? = nil) -> Value {
    let value = Value(
      name: name, constant: floatTensor(values, dims: dims ?? [Int64(values.count)]))
    graph.initializers.append(value)
    return value
  }

  /// Appends a node and returns its new output values.
  @discardableResult
  func node(
    _ op: String, _ inputs: [Value?], outputs: [String], name: String = "", domain: String = "",
    attributes: [Attribute] = []
  ) -> [Value] {
    let values = outputs.map { Value(name: $0) }
    graph.append(
      Node(
        name: name, opType: op, domain: domain, inputs: inputs, outputs: values,
        attributes: attributes))
    return values
  }

  /// Appends a single-output node and returns its output.
  @discardableResult
  func op(_ op: String, _ inputs: Value?..., output: String, name: String = "") -> Value {
    node(op, inputs, outputs: [output], name: name)[0]
  }

  /// Appends `values` to the graph outputs.
  func output(_ values: Value...) { graph.outputs += values }
}

/// Parses `float32[N,3,?]` into a tensor type; `float32` alone has an unknown rank.
func tensorType(_ text: String) -> ValueType {
  guard let open = text.firstIndex(of: "[") else {
    return .tensor(DataType(name: text) ?? .undefined, nil)
  }
  let dataType = DataType(name: String(text[..<open])) ?? .undefined
  let inner = text[text.index(after: open)...].dropLast()
  let dims: [Dim] =
    inner.isEmpty
    ? []
    : inner.split(separator: ",").map { item in
      if item == "?" { return .unknown }
      return Int64(item).map(Dim.fixed) ?? .symbolic(String(item))
    }
  return .tensor(dataType, Shape(dims))
}

/// A float32 tensor holding `values` as little-endian bytes.
func floatTensor(_ values: [Float], dims: [Int64]) -> Tensor {
  Tensor(dataType: .float, dims: dims, bytes: littleEndianBytes(values.map(\.bitPattern)))
}

/// The little-endian bytes of `values`.
func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> Data {
  var data = Data()
  for value in values { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
  return data
}
