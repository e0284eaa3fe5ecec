// Round trips: IR → ONNX file → IR → ONNX file gives the same bytes and keeps every detail.

import Foundation
import KilnIR
import KilnONNX
import KilnTestSupport
import ONNXProto
import ONNXTestSupport
import SwiftProtobuf
import Testing

@Suite("Round trip")
struct RoundTripTests {
  /// Tensors of many element types, shapes and sizes.
  static func variedTensors() -> [Tensor] {
    [
      floatTensor("f32", [1.5, -2, 3.25, 0], dims: [2, 2]),
      Tensor(
        name: "f16", dataType: .float16, dims: [3],
        bytes: littleEndianBytes([UInt16(0x3C00), 0xC000, 0x7BFF])),
      Tensor(
        name: "bf16", dataType: .bfloat16, dims: [2],
        bytes: littleEndianBytes([UInt16(0x3F80), 0xBF80])),
      Tensor(name: "f64", dataType: .double, dims: [2], bytes: littleEndianBytes([Double.pi, -0.0])),
      Tensor(
        name: "i64", dataType: .int64, dims: [4],
        bytes: littleEndianBytes([Int64.min, -1, 0, Int64.max])),
      Tensor(name: "i8", dataType: .int8, dims: [4], bytes: littleEndianBytes([Int8(-128), -1, 0, 127])),
      Tensor(name: "u8", dataType: .uint8, dims: [2, 1], bytes: Data([0, 255])),
      Tensor(name: "flags", dataType: .bool, dims: [3], bytes: Data([1, 0, 1])),
      Tensor(
        name: "words", dataType: .string, dims: [3],
        storage: .strings([Data("hello".utf8), Data(), Data("wörld".utf8)])),
      // Five int4 elements pack into three bytes, low nibble first.
      Tensor(name: "nibbles", dataType: .int4, dims: [5], bytes: Data([0x21, 0xF3, 0x07])),
      Tensor(name: "u4", dataType: .uint4, dims: [2], bytes: Data([0xAB])),
      Tensor(name: "scalar", dataType: .int32, dims: [], bytes: littleEndianBytes([Int32(42)])),
      Tensor(name: "empty", dataType: .float, dims: [0, 3], bytes: Data()),
      patternTensor("large", count: 70_000),
    ]
  }

  /// Writes `model` to `again.onnx` in `folder` and expects the same bytes as the file at `path`.
  static func expectWrittenAgainAs(
    _ path: String, _ model: Model, in folder: TemporaryFolder,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let again = folder.file("again.onnx")
    try ONNXModelWriter.write(model, to: again)
    #expect(try fileBytes(path) == fileBytes(again), sourceLocation: sourceLocation)
  }

  @Test("write, read, write again gives identical bytes")
  func identicalBytes() throws {
    try withTemporaryFolder { folder in
      let model = modelWithWeights(Self.variedTensors())
      let first = folder.file("first.onnx")
      let second = folder.file("second.onnx")
      let (read, _) = try writeAndRead(model, to: first)
      try ONNXModelWriter.write(read, to: second)
      #expect(try fileBytes(first) == fileBytes(second))
      // And in memory: the serialized form is the file's content.
      #expect(try ONNXModelWriter.serialize(read) == fileBytes(first))
      #expect(try folder.contents() == ["first.onnx", "second.onnx"])
    }
  }

  @Test("tensors of every common element type keep type, dims and bytes")
  func elementTypes() throws {
    try withTemporaryFolder { folder in
      let tensors = Self.variedTensors()
      let (read, _) = try writeAndRead(modelWithWeights(tensors), to: folder.file("m.onnx"))
      #expect(read.graph.initializers.map(\.name) == tensors.map(\.name))
      for original in tensors {
        let copy = try initializer(read, original.name)
        #expect(copy.dataType == original.dataType, "\(original.name)")
        #expect(copy.dims == original.dims, "\(original.name)")
        if case .strings(let expected) = original.storage {
          guard case .strings(let items) = copy.storage else {
            Issue.record("string tensor came back as \(copy.storage)")
            continue
          }
          #expect(items == expected)
        } else {
          #expect(try copy.rawData() == original.rawData(), "\(original.name)")
        }
      }
    }
  }

  @Test("an element type Kiln does not know is kept by number with its bytes")
  func unknownElementType() throws {
    try withTemporaryFolder { folder in
      let odd = Tensor(name: "odd", dataType: DataType(rawValue: 99), dims: [3], bytes: Data([1, 2, 3]))
      let path = folder.file("m.onnx")
      let (read, _) = try writeAndRead(modelWithWeights([odd]), to: path)
      let copy = try initializer(read, "odd")
      #expect(copy.dataType.rawValue == 99)
      #expect(try copy.rawData() == Data([1, 2, 3]))
      try Self.expectWrittenAgainAs(path, read, in: folder)
    }
  }

  @Test("tensors stored in typed fields come back with the same values and go out typed")
  func typedFields() throws {
    var f = Onnx_TensorProto(name: "f", dataType: .float, dims: [3])
    f.floatData = [1, 2.5, -3]
    var i64 = Onnx_TensorProto(name: "i64", dataType: .int64, dims: [2])
    i64.int64Data = [7, -8]
    var i32 = Onnx_TensorProto(name: "i32", dataType: .int32, dims: [2])
    i32.int32Data = [1, -2]
    var half = Onnx_TensorProto(name: "half", dataType: .float16, dims: [2])
    half.int32Data = [0x3C00, 0xC000]
    var i8 = Onnx_TensorProto(name: "i8", dataType: .int8, dims: [2])
    i8.int32Data = [-5, 100]
    var d = Onnx_TensorProto(name: "d", dataType: .double, dims: [1])
    d.doubleData = [1.25]
    var u64 = Onnx_TensorProto(name: "u64", dataType: .uint64, dims: [1])
    u64.uint64Data = [UInt64.max]
    var flags = Onnx_TensorProto(name: "flags", dataType: .bool, dims: [2])
    flags.int32Data = [1, 0]

    let original = modelProto(initializers: [f, i64, i32, half, i8, d, u64, flags])
    let expected: [String: Data] = [
      "f": littleEndianBytes([Float(1), 2.5, -3]),
      "i64": littleEndianBytes([Int64(7), -8]),
      "i32": littleEndianBytes([Int32(1), -2]),
      "half": littleEndianBytes([UInt16(0x3C00), 0xC000]),
      "i8": littleEndianBytes([Int8(-5), 100]),
      "d": littleEndianBytes([1.25]),
      "u64": littleEndianBytes([UInt64.max]),
      "flags": Data([1, 0]),
    ]
    try withTemporaryFolder { folder in
      let input = folder.file("typed.onnx")
      try writeMessage(original, to: input)
      let model = try ONNXModelReader.read(path: input)
      for (name, bytes) in expected {
        #expect(try initializer(model, name).rawData() == bytes, "\(name)")
      }
      let output = folder.file("out.onnx")
      try ONNXModelWriter.write(model, to: output)
      let written = try Onnx_ModelProto(serializedBytes: fileBytes(output))
      #expect(written.graph.initializer == original.graph.initializer)
      #expect(written.graph.initializer.allSatisfy { !$0.hasRawData })
      #expect(written == original)
    }
  }

  /// A model with an op from an unknown domain, attributes no schema defines, metadata and
  /// doc strings everywhere.
  static func annotatedModel() -> Model {
    let builder = GraphBuilder("annotated")
    builder.graph.docString = "graph doc"
    builder.graph.metadata = [MetadataEntry(key: "graph-key", value: "graph-value")]
    let x = builder.input("X", .tensor(.float, Shape([.symbolic("batch"), .unknown, .fixed(8)])))
    x.docString = "the input"
    x.metadata = [MetadataEntry(key: "input-key", value: "input-value")]
    var weight = floatTensor("W", [1, 2, 3, 4])
    weight.docString = "weight doc"
    let w = builder.initializer(weight)
    let outputs = builder.node(
      "FancyOp", [x, nil, w], outputs: ["Y", "", "Z"], name: "fancy", domain: "com.example.custom",
      attributes: [
        Attribute("weird_attr", .int(7), docString: "attribute doc"),
        Attribute("mystery", .string(Data([0xFF, 0x00, 0x41]))),
        Attribute("coeffs", .floats([0.5, -1, .infinity])),
        Attribute("names", .strings([Data("a".utf8), Data("b".utf8)])),
        Attribute("kind", .type(.sequence(.tensor(.int64, nil)))),
        Attribute("table", .tensor(Tensor(name: "t", dataType: .int64, dims: [2], bytes: littleEndianBytes([Int64(3), 4])))),
      ])
    let node = builder.graph.nodes[0]
    node.docString = "node doc"
    node.metadata = [MetadataEntry(key: "node-key", value: "node-value")]
    builder.output(outputs[0], outputs[2])
    outputs[2].type = .tensor(.float16, nil)
    let model = makeModel(
      builder.graph,
      opsets: [OpsetImport(domain: "", version: 21), OpsetImport(domain: "com.example.custom", version: 3)])
    model.docString = "model doc"
    model.domain = "org.example"
    model.modelVersion = 12
    model.metadata = [
      MetadataEntry(key: "author", value: "kiln"), MetadataEntry(key: "license", value: "none"),
    ]
    return model
  }

  @Test("unknown domains and attributes, metadata and doc strings survive")
  func unknownThingsSurvive() throws {
    try withTemporaryFolder { folder in
      let path = folder.file("m.onnx")
      let (read, _) = try writeAndRead(Self.annotatedModel(), to: path)
      #expect(read.docString == "model doc")
      #expect(read.domain == "org.example")
      #expect(read.modelVersion == 12)
      #expect(read.metadata.map(\.key) == ["author", "license"])
      #expect(read.opsetVersion("com.example.custom") == 3)
      #expect(read.graph.docString == "graph doc")
      #expect(read.graph.metadata == [MetadataEntry(key: "graph-key", value: "graph-value")])
      let x = try #require(read.graph.inputs.first)
      #expect(x.docString == "the input")
      #expect(x.metadata == [MetadataEntry(key: "input-key", value: "input-value")])
      #expect(x.type == .tensor(.float, Shape([.symbolic("batch"), .unknown, .fixed(8)])))
      #expect(try initializer(read, "W").docString == "weight doc")

      let node = try #require(read.graph.nodes.first)
      #expect(node.qualifiedOpType == "com.example.custom::FancyOp")
      #expect(node.docString == "node doc")
      #expect(node.metadata == [MetadataEntry(key: "node-key", value: "node-value")])
      #expect(node.inputs.map { $0?.name } == ["X", nil, "W"])
      #expect(node.outputs.map { $0?.name } == ["Y", nil, "Z"])
      #expect(node.attributes.map(\.name) == ["weird_attr", "mystery", "coeffs", "names", "kind", "table"])
      #expect(node.int("weird_attr", default: 0) == 7)
      #expect(node.attributes[0].docString == "attribute doc")
      guard case .string(let mystery)? = node.attribute("mystery") else {
        Issue.record("mystery is not a string attribute")
        return
      }
      #expect(mystery == Data([0xFF, 0x00, 0x41]))
      guard case .floats(let coeffs)? = node.attribute("coeffs") else {
        Issue.record("coeffs is not a floats attribute")
        return
      }
      #expect(coeffs == [0.5, -1, .infinity])
      guard case .type(let kind)? = node.attribute("kind") else {
        Issue.record("kind is not a type attribute")
        return
      }
      #expect(kind == .sequence(.tensor(.int64, nil)))
      guard case .tensor(let table)? = node.attribute("table") else {
        Issue.record("table is not a tensor attribute")
        return
      }
      #expect(try table.rawData() == littleEndianBytes([Int64(3), 4]))
      #expect(read.graph.outputs.map(\.name) == ["Y", "Z"])
      #expect(read.graph.outputs[1].type == .tensor(.float16, nil))

      try Self.expectWrittenAgainAs(path, read, in: folder)
    }
  }

  @Test("unknown protobuf fields in model, graph, node, tensor and value info survive")
  func unknownFieldsSurvive() throws {
    try withTemporaryFolder { folder in
      let clean = folder.file("clean.onnx")
      try ONNXModelWriter.write(Self.annotatedModel(), to: clean)
      var proto = try Onnx_ModelProto(serializedBytes: fileBytes(clean))

      // Unknown fields can only be set by decoding bytes that carry them.
      func inject<M: SwiftProtobuf.Message>(_ message: M, _ extra: Data) throws -> M {
        let injected = try M(serializedBytes: message.serializedData() + extra)
        #expect(!injected.unknownFields.data.isEmpty)
        return injected
      }
      proto.graph.node[0] = try inject(
        proto.graph.node[0], varintField(999, 42) + bytesField(1000, Data("node secret".utf8)))
      proto.graph.node[0].attribute[0] = try inject(
        proto.graph.node[0].attribute[0], bytesField(77, Data("attribute secret".utf8)))
      proto.graph.initializer[0] = try inject(proto.graph.initializer[0], varintField(500, 1))
      proto.graph.input[0] = try inject(proto.graph.input[0], bytesField(600, Data("vi".utf8)))
      proto.graph = try inject(proto.graph, varintField(700, 7))
      proto = try inject(proto, bytesField(800, Data("model secret".utf8)))
      let input = folder.file("unknown.onnx")
      try writeMessage(proto, to: input)

      let model = try ONNXModelReader.read(path: input)
      let output = folder.file("out.onnx")
      try ONNXModelWriter.write(model, to: output)
      let written = try Onnx_ModelProto(serializedBytes: fileBytes(output))
      #expect(written == proto)
      #expect(written.graph.node[0].unknownFields == proto.graph.node[0].unknownFields)
      #expect(written.unknownFields.data == bytesField(800, Data("model secret".utf8)))

      // A second pass through Kiln's own output is byte-identical.
      try Self.expectWrittenAgainAs(output, ONNXModelReader.read(path: output), in: folder)
    }
  }

  @Test("If branches that capture outer values survive, captures resolved to the outer value")
  func subgraphs() throws {
    let builder = GraphBuilder("outer")
    let cond = builder.input("cond", .tensor(.bool, Shape([])))
    let x = builder.input("x", .tensor(.float, Shape(static: [3])))

    let thenBranch = GraphBuilder("then")
    let bias = thenBranch.initializer(floatTensor("bias", [1, 2, 3]))
    let sum = thenBranch.node("Add", [x, bias], outputs: ["then_out"])[0]
    thenBranch.output(sum)

    // The else branch nests another If that captures `x` two levels up.
    let elseBranch = GraphBuilder("else")
    let inner = GraphBuilder("inner_then")
    inner.output(inner.node("Neg", [x], outputs: ["inner_out"])[0])
    let innerElse = GraphBuilder("inner_else")
    innerElse.output(innerElse.node("Identity", [x], outputs: ["inner_else_out"])[0])
    elseBranch.output(elseBranch.ifNode(cond, then: inner, else: innerElse, output: "else_out"))

    builder.output(builder.ifNode(cond, then: thenBranch, else: elseBranch, output: "y", name: "choose"))

    try withTemporaryFolder { folder in
      let path = folder.file("if.onnx")
      let (read, _) = try writeAndRead(makeModel(builder.graph), to: path)
      let outerX = read.graph.inputs[1]
      let ifNode = try #require(read.graph.nodes.first)
      guard case .graph(let readThen)? = ifNode.attribute("then_branch"),
        case .graph(let readElse)? = ifNode.attribute("else_branch")
      else {
        Issue.record("If lost its branches")
        return
      }
      #expect(readThen.name == "then")
      #expect(readThen.nodes.first?.inputs.first??.name == "x")
      #expect(readThen.nodes.first?.inputs.first! === outerX)
      #expect(try readThen.initializers.first?.constant?.rawData() == littleEndianBytes([Float(1), 2, 3]))
      let nestedIf = try #require(readElse.nodes.first)
      guard case .graph(let readInner)? = nestedIf.attribute("then_branch") else {
        Issue.record("nested If lost its branch")
        return
      }
      #expect(readInner.nodes.first?.inputs.first! === outerX)
      #expect(nestedIf.inputs.first! === read.graph.inputs[0])
      #expect(read.graph.allNodes().count == 5)
      try Verifier.verify(read)

      try Self.expectWrittenAgainAs(path, read, in: folder)
    }
  }

  @Test("an initializer that is also a graph input (IR version 3) stays both")
  func initializerAsInput() throws {
    let builder = GraphBuilder("v3")
    let x = builder.input("X", .tensor(.float, Shape(static: [2])))
    let w = builder.input("W", .tensor(.float, Shape(static: [2])))
    w.constant = floatTensor("W", [0.25, 4])
    builder.graph.initializers.append(w)
    builder.output(builder.node("Add", [x, w], outputs: ["Y"])[0])
    let model = makeModel(builder.graph, irVersion: 3, opsets: [OpsetImport(domain: "", version: 8)])

    try withTemporaryFolder { folder in
      let path = folder.file("v3.onnx")
      let (read, _) = try writeAndRead(model, to: path)
      #expect(read.irVersion == 3)
      #expect(read.graph.inputs.map(\.name) == ["X", "W"])
      let readW = read.graph.inputs[1]
      #expect(read.graph.initializers.count == 1)
      #expect(read.graph.initializers[0] === readW)
      #expect(try readW.constant?.rawData() == littleEndianBytes([Float(0.25), 4]))
      #expect(read.graph.nodes[0].inputs[1]! === readW)
      try Verifier.verify(read)

      let proto = try Onnx_ModelProto(serializedBytes: fileBytes(path))
      #expect(proto.graph.input.map(\.name) == ["X", "W"])
      #expect(proto.graph.initializer.map(\.name) == ["W"])

      try Self.expectWrittenAgainAs(path, read, in: folder)
    }
  }

  @Test("read(bytes:) gives the same model as read(path:)")
  func readFromBytes() throws {
    try withTemporaryFolder { folder in
      let path = folder.file("m.onnx")
      try ONNXModelWriter.write(modelWithWeights(Self.variedTensors()), to: path)
      let fromBytes = try ONNXModelReader.read(bytes: fileBytes(path))
      #expect(try ONNXModelWriter.serialize(fromBytes) == fileBytes(path))
    }
  }
}
