// Scan through the executor: running sums with scan axes and directions, opset 8's batch form.

import KilnIR
import KilnRuntime
import Testing

/// A model whose Scan keeps a running sum of the slices of `x` from `initial`, and emits it
/// each step as well.
private func scanModel(opset: Int64, _ attributes: [Attribute]) -> Model {
  let graph = Graph(name: "main")
  let initial = Value(name: "initial", type: .tensor(.float, nil))
  let x = Value(name: "x", type: .tensor(.float, nil))
  let final = Value(name: "final"), scanned = Value(name: "scanned")
  graph.inputs = [initial, x]
  let body = Graph(name: "body")
  let sumIn = Value(name: "sum_in"), slice = Value(name: "slice")
  let sumOut = Value(name: "sum_out"), scanOut = Value(name: "scan_out")
  body.inputs = [sumIn, slice]
  body.append(Node(opType: "Add", inputs: [sumIn, slice], outputs: [sumOut]))
  body.append(Node(opType: "Identity", inputs: [sumOut], outputs: [scanOut]))
  body.outputs = [sumOut, scanOut]
  let inputs: [Value?] = opset < 9 ? [nil, initial, x] : [initial, x]
  graph.append(Node(
    opType: "Scan", inputs: inputs, outputs: [final, scanned],
    attributes: [Attribute("body", .graph(body)), Attribute("num_scan_inputs", .int(1))] + attributes))
  graph.outputs = [final, scanned]
  return Model(irVersion: 8, opsetImports: [OpsetImport(domain: "", version: opset)], graph: graph)
}

private func runScan(
  opset: Int64 = 11, _ attributes: [Attribute] = [], initial: HostTensor, x: HostTensor
) throws -> (final: [Float], scanned: [Float], shape: [Int]?) {
  let outputs = try Executor(model: scanModel(opset: opset, attributes)).run(["initial": initial, "x": x])
  return (
    outputs["final"]?.scalars(as: Float.self) ?? [], outputs["scanned"]?.scalars(as: Float.self) ?? [],
    outputs["scanned"]?.shape
  )
}

private var rows: HostTensor { get throws { try floats([1, 2, 3, 4, 5, 6], [3, 2]) } }

@Test func scanSumsAlongTheFirstAxis() throws {
  let result = try runScan(initial: floats([0, 0]), x: rows)
  #expect(result.final == [9, 12])
  #expect(result.scanned == [1, 2, 4, 6, 9, 12])
  #expect(result.shape == [3, 2])
}

@Test func scanFollowsAxesAndDirections() throws {
  // Columns 1 3 5 and 2 4 6, stacked as columns.
  let columns = try runScan(
    [Attribute("scan_input_axes", .ints([-1])), Attribute("scan_output_axes", .ints([1]))],
    initial: floats([0, 0, 0]), x: rows)
  #expect(columns.final == [3, 7, 11])
  #expect(columns.scanned == [1, 3, 3, 7, 5, 11])
  // Rows last to first, the outputs prepended.
  let reversed = try runScan(
    [Attribute("scan_input_directions", .ints([1])), Attribute("scan_output_directions", .ints([1]))],
    initial: floats([0, 0]), x: rows)
  #expect(reversed.final == [9, 12])
  #expect(reversed.scanned == [9, 12, 8, 10, 5, 6])
}

@Test func scanBeforeOpset9HasABatchAxis() throws {
  let result = try runScan(opset: 8, initial: floats([0, 0], [1, 2]), x: floats([1, 2, 3, 4, 5, 6], [1, 3, 2]))
  #expect(result.final == [9, 12])
  #expect(result.shape == [1, 3, 2])
}

@Test func scanRejectsMismatchedInputs() throws {
  #expect(throws: KilnError.self) {
    try runScan([Attribute("scan_input_axes", .ints([2]))], initial: floats([0, 0]), x: rows)
  }
  #expect(throws: KilnError.self) { try runScan(initial: floats([0, 0, 0]), x: rows) }
  #expect(throws: KilnError.self) {
    try runScan([Attribute("scan_output_directions", .ints([2]))], initial: floats([0, 0]), x: rows)
  }
}
