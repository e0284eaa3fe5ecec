// Builds test graphs one statement at a time: typed inputs, constants, nodes wired by value.

import KilnIR

/// Builds a graph one statement at a time, the way the tests read best.
public final class GraphBuilder {
  public let graph: Graph

  public init(_ name: String = "main") { graph = Graph(name: name) }

  /// Adds a graph input of type `type`, or of no known type.
  @discardableResult
  public func input(_ name: String, _ type: ValueType? = nil) -> Value {
    let value = Value(name: name, type: type)
    graph.inputs.append(value)
    return value
  }

  /// Adds a graph input typed by `type` text such as `float32[N,3]`.
  @discardableResult
  public func input(_ name: String, _ type: String) -> Value {
    input(name, tensorType(type))
  }

  /// Adds an initializer holding `tensor`, named `name` or else as the tensor is.
  @discardableResult
  public func initializer(_ tensor: Tensor, name: String? = nil) -> Value {
    let value = Value(name: name ?? tensor.name, constant: tensor)
    graph.initializers.append(value)
    return value
  }

  /// Adds a float32 initializer holding `values` (1-D unless `dims` is given).
  @discardableResult
  public func constant(_ name: String, _ values: [Float], dims: [Int64]? = nil) -> Value {
    initializer(floatTensor(values, dims: dims), name: name)
  }

  /// Appends a node and returns its new output values.
  @discardableResult
  public func node(
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
  public func op(_ op: String, _ inputs: Value?..., output: String, name: String = "") -> Value {
    node(op, inputs, outputs: [output], name: name)[0]
  }

  /// Appends an If node on `condition` with the graphs of `thenBranch` and `elseBranch`, and
  /// returns its output.
  @discardableResult
  public func ifNode(
    _ condition: Value, then thenBranch: GraphBuilder, else elseBranch: GraphBuilder, output: String,
    name: String = ""
  ) -> Value {
    node(
      "If", [condition], outputs: [output], name: name,
      attributes: [
        Attribute("then_branch", .graph(thenBranch.graph)),
        Attribute("else_branch", .graph(elseBranch.graph)),
      ])[0]
  }

  /// Appends `values` to the graph outputs.
  public func output(_ values: Value...) { graph.outputs += values }
}
