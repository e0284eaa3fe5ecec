// fp16 conversion: golden graphs with keep-io-types and a blocked op, numbers, clipping report.

import Foundation
import KilnIR
import KilnPasses
import KilnQuant
import KilnRuntime
import Testing

@Suite("fp16 conversion")
struct Float16ConverterTests {
  static let opset13 = #"<ir_version: 8, opset_import: ["" : 13]>"#

  static let network = opset13 + """
    g (float[1, 4] X) => (float[1, 4] Y) <float[4, 4] W = {\(Int8QuantizerTests.numbers(16, seed: 1))},
      float[1, 4] B = {1.0, 100000.0, 0.00000001, -2.0}> {
      M = MatMul(X, W)
      S = CumSum(M, Ax)
      Ax = Constant<value = int64 {1}>()
      Y = Add(S, B)
    }
    """

  /// The network with the axis constant first (ONNX text needs definitions before uses).
  static let ordered = network.replacingOccurrences(of: "      S = CumSum(M, Ax)\n      Ax = Constant<value = int64 {1}>()\n", with: "      Ax = Constant<value = int64 {1}>()\n      S = CumSum(M, Ax)\n")

  /// `text` parsed, typed by infer-shapes, and converted with `options`.
  func converted(_ text: String, _ options: Float16ConversionOptions) throws -> (Model, Float16ConversionReport) {
    let subject = try model(text)
    let manager = PassManager(pipeline: try Pipeline.list("infer-shapes"))
    _ = try manager.run(on: subject)
    return (subject, try Float16Converter(options: options).convert(subject))
  }

  @Test("keep-io-types: Casts at the input and output; blocked CumSum computes in float32 between Casts")
  func keepIOTypes() throws {
    let (subject, report) = try converted(Self.ordered, .init(keepIOTypes: true))
    #expect(report.keptNodes.map(\.opType) == ["CumSum"])
    let expected = Self.opset13 + """
      g (float[1, 4] X) => (float[1, 4] Y) <float16[4, 4] W = {\(Int8QuantizerTests.numbers(16, seed: 1))},
        float16[1, 4] B = {1.0, 65504.0, 0.0, -2.0}> {
        X_float16 = Cast<to = 10>(X)
        M = MatMul(X_float16, W)
        Ax = Constant<value = int64 {1}>()
        M_float32 = Cast<to = 1>(M)
        S = CumSum(M_float32, Ax)
        S_float16 = Cast<to = 10>(S)
        Y_float16 = Add(S_float16, B)
        Y = Cast<to = 1>(Y_float16)
      }
      """
    // ONNX text has no float16 literals: the expected constants are converted after parsing.
    let want = try model(expected.replacingOccurrences(of: "float16[", with: "float["))
    for value in want.graph.initializers {
      let tensor = try #require(value.constant)
      let halves = try HostTensor(tensor).scalars(as: Float.self).map { Float16($0) }
      value.constant = try Tensor(HostTensor(shape: tensor.dims.map { Int($0) }, values: halves), name: tensor.name)
    }
    #expect(printed(subject) == printed(want))
    #expect(subject.graph.inputs[0].elementType == .float && subject.graph.outputs[0].elementType == .float)
    try expectValidONNX(subject)
  }

  @Test("without keep-io-types the graph's inputs and outputs become float16")
  func halfIO() throws {
    let (subject, report) = try converted(Self.ordered, .init())
    #expect(subject.graph.inputs[0].elementType == .float16 && subject.graph.outputs[0].elementType == .float16)
    #expect(report.casts == 2)
    try expectValidONNX(subject)
  }

  @Test("weights above 65504 are clipped and reported by name; tiny ones flushed and counted")
  func clipping() throws {
    let (_, report) = try converted(Self.ordered, .init(keepIOTypes: true))
    #expect(report.changedConstants == [.init(name: "B", clipped: 1, largestMagnitude: 100000, flushed: 1)])
    #expect(report.clippedValues == 1 && report.flushedValues == 1)
  }

  @Test("numbers: the fp16 CNN in KilnRuntime agrees with float32 to about 1e-3")
  func numbers() throws {
    let text = Int8QuantizerTests.cnn()
    let feeds = try randomFeeds(try model(text), seed: 3)
    let expected = try Executor(model: try model(text)).run(feeds)
    let (subject, report) = try converted(text, .init(keepIOTypes: true))
    #expect(report.weightBytesAfter * 2 == report.weightBytesBefore)
    try expectValidONNX(subject)
    let error = try worstRelativeError(expected, try Executor(model: subject).run(feeds))
    #expect(error < 3e-3, "relative error \(error)")
  }

  @Test("Resize keeps its scales float32; a model with subgraphs is refused")
  func float32InputsAndSubgraphs() throws {
    let (resized, _) = try converted(
      Self.opset13 + """
        g (float[1, 1, 2, 2] X) => (float[1, 1, 4, 4] Y) <float[4] S = {1.0, 1.0, 2.0, 2.0}> {
          Y = Resize(X, , S)
        }
        """, .init(keepIOTypes: true))
    #expect(resized.graph.initializers.first { $0.name == "S" }?.constant?.dataType == .float)
    try expectValidONNX(resized)
    let branching = try model(
      Self.opset13 + """
        g (bool C, float[2] X) => (float[2] Y) {
          Y = If(C) <then_branch = t () => (float[2] A) { A = Identity(X) }, else_branch = e () => (float[2] B) { B = Neg(X) }>
        }
        """)
    #expect(throws: KilnError.self) { try Float16Converter().convert(branching) }
  }
}
