// Printer: golden text for small graphs, elision of large constants, and determinism.

import Foundation
import KilnIR
import KilnTestSupport
import Testing

/// A small Conv model with a contrib op, absent optionals, an odd value name and a large weight.
private func convModel() -> Model {
  let b = GraphBuilder("main_graph")
  let input = b.input("input", "float32[N,3,8,8]")
  let weight = b.constant("conv1.weight", [Float](repeating: 0.5, count: 108), dims: [4, 3, 3, 3])
  let bias = b.constant("bias", [0.1, 0.2, 0.3, 0.4])
  let conv = b.node(
    "Conv", [input, weight, bias], outputs: ["1"], name: "conv1",
    attributes: [
      Attribute("strides", .ints([1, 1])), Attribute("pads", .ints([1, 1, 1, 1])),
      Attribute("kernel_shape", .ints([3, 3])), Attribute("group", .int(1)),
      Attribute("dilations", .ints([1, 1])),
    ])
  let foo = b.node(
    "Foo", [conv[0], nil], outputs: ["2"], domain: "com.microsoft",
    attributes: [
      Attribute("mode", .string(Data("fast \"x\"\n".utf8))), Attribute("alpha", .float(0.5)),
    ])
  b.graph.nodes.last?.outputs.append(nil)
  let pooled = b.op("GlobalAveragePool", foo[0], output: "a b")
  let output = b.node(
    "Flatten", [pooled], outputs: ["output"], attributes: [Attribute("axis", .int(1))])
  output[0].type = tensorType("float32[N,4]")
  b.output(output[0])
  return Model(
    irVersion: 8,
    opsetImports: [.init(domain: "com.microsoft", version: 1), .init(domain: "", version: 13)],
    producerName: "pytorch", producerVersion: "2.1", graph: b.graph)
}

@Test func modelGolden() {
  let expected = """
    model ir_version=8 opset=[ai.onnx:13, com.microsoft:1] producer="pytorch 2.1"
    graph main_graph(%input: float32[N,3,8,8]) -> (%output: float32[N,4]) {
      %conv1.weight = constant float32[4,3,3,3] <elided 108 elements>
      %bias = constant float32[4] [0.1, 0.2, 0.3, 0.4]
      %1 = Conv(%input, %conv1.weight, %bias) {dilations=[1, 1], group=1, kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]}  # conv1
      %2, _ = com.microsoft::Foo(%1, _) {alpha=0.5, mode="fast \\"x\\"\\n"}
      %"a b" = GlobalAveragePool(%2)
      %output = Flatten(%"a b") {axis=1}
      return %output
    }

    """
  #expect(Printer.print(convModel()) == expected)
}

@Test func subgraphsAreIndentedInline() {
  let b = GraphBuilder("g")
  let x = b.input("x", "float32[2]")
  let cond = b.input("cond", "bool[]")
  let thenBranch = GraphBuilder("then")
  thenBranch.output(thenBranch.op("Relu", x, output: "t"))
  let elseBranch = GraphBuilder("else")
  elseBranch.output(elseBranch.op("Neg", x, output: "e"))
  b.output(b.ifNode(cond, then: thenBranch, else: elseBranch, output: "y", name: "if0"))
  let expected = """
    graph g(%x: float32[2], %cond: bool[]) -> (%y) {
      %y = If(%cond) {else_branch=graph else() -> (%e) {
        %e = Neg(%x)
        return %e
      }, then_branch=graph then() -> (%t) {
        %t = Relu(%x)
        return %t
      }}  # if0
      return %y
    }

    """
  #expect(Printer.print(b.graph) == expected)
}

@Test func largeConstantsAreElidedBySize() {
  let b = GraphBuilder()
  b.constant("small", [1, 2, 3])
  b.constant("big", [Float](repeating: 1, count: 9))
  let text = Printer.print(b.graph)
  #expect(text.contains("%small = constant float32[3] [1.0, 2.0, 3.0]"))
  #expect(text.contains("%big = constant float32[9] <elided 9 elements>"))
  let shown = Printer.print(b.graph, options: PrintOptions(maxElements: 9))
  #expect(
    shown.contains("%big = constant float32[9] [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]"))
}

@Test func printingIsDeterministic() {
  #expect(Printer.print(convModel()) == Printer.print(convModel()))
  let model = convModel()
  #expect(Printer.print(model) == Printer.print(model))
}

@Test func attributeOrderDoesNotChangeTheText() {
  let x = Value(name: "x")
  let forward = Node(
    opType: "Op", inputs: [x], attributes: [Attribute("a", .int(1)), Attribute("b", .float(2))])
  let backward = Node(
    opType: "Op", inputs: [x], attributes: [Attribute("b", .float(2)), Attribute("a", .int(1))])
  #expect(Printer.print(forward) == "Op(%x) {a=1, b=2.0}")
  #expect(Printer.print(forward) == Printer.print(backward))
}

@Test func optionsHideNamesAndShowTypes() {
  let x = Value(name: "x")
  let y = Value(name: "y", type: tensorType("float32[N,?]"))
  let node = Node(name: "relu", opType: "Relu", inputs: [x], outputs: [y])
  #expect(Printer.print(node) == "%y = Relu(%x)  # relu")
  let options = PrintOptions(showNodeNames: false, showValueTypes: true)
  #expect(Printer.print(node, options: options) == "%y: float32[N,?] = Relu(%x)")
}

@Test func elementTypesPrintTheirValues() {
  func tensor(_ type: DataType, _ dims: [Int64], _ bytes: Data) -> String {
    Printer.print(Tensor(dataType: type, dims: dims, bytes: bytes))
  }
  #expect(
    tensor(.int64, [2], littleEndianBytes([Int64(-1), 1 << 40])) == "int64[2] [-1, 1099511627776]")
  #expect(tensor(.int32, [1], littleEndianBytes([Int32(7)])) == "int32[1] [7]")
  #expect(tensor(.int8, [2], Data([0xff, 0x7f])) == "int8[2] [-1, 127]")
  #expect(tensor(.uint8, [2], Data([0xff, 0x00])) == "uint8[2] [255, 0]")
  #expect(tensor(.bool, [3], Data([1, 0, 2])) == "bool[3] [true, false, true]")
  #expect(
    tensor(.float16, [4], littleEndianBytes([UInt16(0x3c00), 0xc000, 0x0001, 0x7c00]))
      == "float16[4] [1.0, -2.0, 5.9604645e-08, inf]")
  #expect(
    tensor(.double, [1], littleEndianBytes([(0.25 as Double).bitPattern])) == "float64[1] [0.25]")
  #expect(tensor(.float, [], littleEndianBytes([Float(1.5).bitPattern])) == "float32[] [1.5]")
  #expect(tensor(.int4, [2], Data([0x21])) == "int4[2] <elided 2 elements>")
  #expect(tensor(.float, [4], Data([0, 0])) == "float32[4] <invalid: 2 bytes for 4 elements>")
}

@Test func stringTensorsAndNamesAreEscaped() {
  let strings = Tensor(
    dataType: .string, dims: [2], storage: .strings([Data("a\tb".utf8), Data([0xff])]))
  #expect(Printer.print(strings) == #"string[2] ["a\tb", "\xff"]"#)
  #expect(
    Printer.print(
      Node(opType: "Id", attributes: [Attribute("s", .string(Data("a\u{2028}b\u{7f}".utf8)))]))
      == #"Id() {s="a\u{2028}b\x7f"}"#)
  let odd = Value(name: "résumé")
  let empty = Value(name: "")
  #expect(Printer.print(Node(opType: "Id", inputs: [odd, empty])) == #"Id(%"résumé", %"")"#)
}

@Test func externalTensorsAreDescribedNotRead() {
  let reference = ExternalData(
    location: "weights.bin", path: "/nonexistent/weights.bin", offset: 64, length: 16)
  let tensor = Tensor(dataType: .float, dims: [4], storage: .external(reference))
  #expect(Printer.print(tensor) == #"float32[4] <external "weights.bin" offset=64 length=16>"#)
}

@Test func mappedTensorsPrintTheirValues() throws {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent(
    "kiln-printer-\(UUID()).bin")
  try littleEndianBytes([Int32(5), 6, 7]).write(to: url)
  defer { try? FileManager.default.removeItem(at: url) }
  let file = try MappedFile(path: url.path)
  let tensor = Tensor(dataType: .int32, dims: [2], storage: .mapped(file, 4..<12))
  #expect(Printer.print(tensor) == "int32[2] [6, 7]")
}

@Test func otherAttributeKindsHaveAForm() {
  let node = Node(
    opType: "Op",
    attributes: [
      Attribute("f", .floats([1, 0.5])), Attribute("s", .strings([Data("x".utf8)])),
      Attribute("t", .type(tensorType("int64[3]"))), Attribute("r", .reference("alpha", .float)),
      Attribute("p", .sparseTensor(OpaqueMessage(Data([1, 2, 3])))),
    ])
  #expect(
    Printer.print(node)
      == #"Op() {f=[1.0, 0.5], p=<sparse tensor 3 bytes>, r=@alpha, s=["x"], t=type(int64[3])}"#)
}
