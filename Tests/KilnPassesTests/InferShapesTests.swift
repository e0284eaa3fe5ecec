// infer-shapes: Kiln's propagation keeps symbolic dims; a service's types are merged, never trusted over declarations.

import KilnIR
import KilnPasses
import Testing

@Suite("infer-shapes")
struct InferShapesTests {
  static let network = opset17 + """
    g (float[N, 3, 32, 32] X, float[8, 3, 3, 3] W, float[8] B) => (float[N, 512] Y, float[N, 24, 8, 8] Z) {
      C = Conv<pads = [1, 1, 1, 1], strides = [2, 2]>(X, W)
      R = Relu(C)
      P = MaxPool<kernel_shape = [2, 2], strides = [2, 2]>(R)
      T = Transpose<perm = [0, 2, 3, 1]>(P)
      Q = Add(T, B)
      S = Constant<value = int64[2] {0, -1}>()
      F = Reshape(Q, S)
      S2 = Constant<value = int64[2] {-1, 512}>()
      G = Reshape(Q, S2)
      S3 = Constant<value = int64[2] {-1, 256}>()
      H = Reshape(Q, S3)
      Y = Identity(F)
      Z = Concat<axis = 1>(P, P, P)
    }
    """

  /// The graph as the printer shows it with every value's type.
  static func typed(_ graph: Graph) -> String {
    Printer.print(graph, options: PrintOptions(showNodeNames: false, showValueTypes: true))
  }

  @Test("elementwise ops, Conv and pooling with a symbolic batch, Transpose, Reshape (-1 taking N or 2N) and Concat")
  func golden() throws {
    let subject = try model(Self.network)
    let report = try runPasses([pass("infer-shapes")], on: subject)
    #expect(report.statistics.first?.changed == true)
    #expect(
      Self.typed(subject.graph) == """
        graph g(%X: float32[N,3,32,32], %W: float32[8,3,3,3], %B: float32[8]) -> (%Y: float32[N,512], %Z: float32[N,24,8,8]) {
          %C: float32[N,8,16,16] = Conv(%X, %W) {pads=[1, 1, 1, 1], strides=[2, 2]}
          %R: float32[N,8,16,16] = Relu(%C)
          %P: float32[N,8,8,8] = MaxPool(%R) {kernel_shape=[2, 2], strides=[2, 2]}
          %T: float32[N,8,8,8] = Transpose(%P) {perm=[0, 2, 3, 1]}
          %Q: float32[N,8,8,8] = Add(%T, %B)
          %S: int64[2] = Constant() {value=int64[2] [0, -1]}
          %F: float32[N,512] = Reshape(%Q, %S)
          %S2: int64[2] = Constant() {value=int64[2] [-1, 512]}
          %G: float32[N,512] = Reshape(%Q, %S2)
          %S3: int64[2] = Constant() {value=int64[2] [-1, 256]}
          %H: float32[?,256] = Reshape(%Q, %S3)
          %Y: float32[N,512] = Identity(%F)
          %Z: float32[N,24,8,8] = Concat(%P, %P, %P) {axis=1}
          return %Y, %Z
        }

        """)
    let again = try runPasses([pass("infer-shapes")], on: subject)
    #expect(again.statistics.first?.changed == false)
    #expect(report.notes.contains { $0.message.contains("no shape-inference service") })
  }

  @Test("value-info=true lists what it typed, so the written model carries it; by default nothing written changes")
  func valueInfo() throws {
    let text = opset17 + "g (float[N, 3] X) => (float[N, 3] Y) { R = Relu(X) Y = Sigmoid(R) }"
    let listed = try model(text)
    try runPasses([pass("infer-shapes", [("value-info", "true")])], on: listed)
    #expect(listed.graph.annotatedValues.map(\.name) == ["R"])
    let plain = try model(text)
    try runPasses([pass("infer-shapes")], on: plain)
    #expect(plain.graph.annotatedValues.isEmpty)
    #expect(plain.graph.nodes[0].outputs[0]?.type == .tensor(.float, Shape([.symbolic("N"), .fixed(3)])))
  }

  @Test("annotations change no numbers")
  func numbers() throws {
    try expectSameNumbers([pass("infer-shapes")], input: Self.network, shapes: ["X": [2, 3, 32, 32]])
  }

  @Test("a symbolic graph output and typed values stay as declared; unknown ops get nothing")
  func negative() throws {
    try expectUnchanged(
      pass("infer-shapes"),
      input: opset17 + """
        g (float[N, 3] X) => (float[N, 3] Y, float[M, 3] V) {
          Y = Relu(X)
          V = Relu(X)
        }
        """)
    let custom = try model(
      #"<ir_version: 8, opset_import: ["" : 17, "custom" : 1]>"#
        + "g (float[N, 3] X) => (float[N, 3] Y) { U = custom.Thing(X) Y = Relu(U) }")
    try runPasses([pass("infer-shapes")], on: custom)
    #expect(custom.graph.nodes[0].outputs[0]?.type == nil)
  }

  /// A service that answers from a fixed table.
  struct TableService: ShapeInferenceService {
    var types: [String: ValueType]
    func inferTypes(of graph: Graph, opsetImports: [OpsetImport]) throws -> [String: ValueType] { types }
  }

  /// A service that fails whenever it is asked, which the pass notes.
  struct FailingService: ShapeInferenceService {
    struct Asked: Error {}
    func inferTypes(of graph: Graph, opsetImports: [OpsetImport]) throws -> [String: ValueType] { throw Asked() }
  }

  @Test("the service is asked only when Kiln's rules leave a value without a complete type")
  func serviceOnlyWhenNeeded() throws {
    func asksService(_ text: String) throws -> Bool {
      let subject = try model(opset17 + text)
      let context = PassContext(model: subject, shapeInference: FailingService())
      let report = try PassManager(pipeline: Pipeline(name: "test", passes: [pass("infer-shapes")]))
        .run(on: subject, context: context)
      return report.notes.contains { $0.message.contains("shape inference failed") }
    }
    #expect(try !asksService("g (float[N, 3] X) => (float[N, 3] Y) { R = Relu(X) Y = Sigmoid(R) }"))
    #expect(try asksService("g (float[N, 3] X) => (float[N] Y) { M = ReduceMean<axes = [1], keepdims = 0>(X) Y = Relu(M) }"))
    #expect(try asksService("g (float[N, ?] X) => (float[N, ?] Y) { R = Relu(X) Y = Sigmoid(R) }"))
  }

  @Test("a service fills what Kiln's rules cannot; a disagreeing answer is noted and not taken")
  func service() throws {
    let subject = try model(
      opset17 + """
        g (float[N, 3] X) => (float[N] Y) {
          M = ReduceMean<axes = [1], keepdims = 0>(X)
          R = Relu(X)
          Y = Relu(M)
        }
        """)
    let service = TableService(types: [
      "M": .tensor(.float, Shape([.symbolic("N")])),
      "R": .tensor(.int64, Shape([.symbolic("N"), .fixed(3)])),
    ])
    let context = PassContext(model: subject, shapeInference: service)
    let report = try PassManager(pipeline: Pipeline(name: "test", passes: [pass("infer-shapes")]))
      .run(on: subject, context: context)
    let values = Dictionary(uniqueKeysWithValues: subject.graph.nodes.map { ($0.outputs[0]!.name, $0.outputs[0]!) })
    #expect(values["M"]?.type == .tensor(.float, Shape([.symbolic("N")])))
    #expect(values["R"]?.type == .tensor(.float, Shape([.symbolic("N"), .fixed(3)])))
    #expect(report.notes.contains { $0.message.contains("kept the type already known for 'R'") })
  }
}
