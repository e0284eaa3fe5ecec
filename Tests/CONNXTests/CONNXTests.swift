// Tests of the C shim over libonnx: text parse/print, checker (newer models too), inference.
import CONNX
import Foundation
import Testing

/// A failure reported by the C API, with its message.
struct CONNXFailure: Error, CustomStringConvertible {
  var description: String
}

/// Takes ownership of a message from the C API: copies it and frees it.
private func take(_ pointer: UnsafeMutablePointer<CChar>?) -> String? {
  defer { connx_free(pointer) }
  return pointer.map { String(cString: $0) }
}

/// Calls a C function that returns bytes, and copies and frees them (or the error).
private func callBytes(
  _ body: (UnsafeMutablePointer<UnsafeMutableRawPointer?>, UnsafeMutablePointer<Int>,
    UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32
) throws -> [UInt8] {
  var out: UnsafeMutableRawPointer?
  var length = 0
  var error: UnsafeMutablePointer<CChar>?
  let status = body(&out, &length, &error)
  defer { connx_free(out) }
  let message = take(error)
  guard status == 0, let out else { throw CONNXFailure(description: message ?? "no message") }
  return Array(UnsafeRawBufferPointer(start: out, count: length))
}

private func parse(_ text: String) throws -> [UInt8] {
  try callBytes { out, length, error in connx_parse_model_text(text, out, length, error) }
}

private func infer(_ model: [UInt8], strict: Bool = false, dataProp: Bool = false) throws
  -> [UInt8]
{
  try callBytes { out, length, error in
    connx_infer_shapes(model, model.count, strict ? 1 : 0, dataProp ? 1 : 0, out, length, error)
  }
}

private func printText(_ model: [UInt8]) throws -> String {
  var text: UnsafeMutablePointer<CChar>?
  var error: UnsafeMutablePointer<CChar>?
  let status = connx_print_model_text(model, model.count, &text, &error)
  let message = take(error)
  guard status == 0, let printed = take(text) else {
    throw CONNXFailure(description: message ?? "no message")
  }
  return printed
}

/// Checks a model; returns its warnings or throws the checker's message.
private func check(_ model: [UInt8], full: Bool = false) throws -> [String] {
  var warnings: UnsafeMutablePointer<CChar>?
  var error: UnsafeMutablePointer<CChar>?
  let status = connx_check_model(model, model.count, full ? 1 : 0, &warnings, &error)
  let warningText = take(warnings)
  let message = take(error)
  guard status == 0 else { throw CONNXFailure(description: message ?? "no message") }
  return warningText.map { $0.split(separator: "\n").map(String.init) } ?? []
}

private func failureMessage(_ body: () throws -> Any) -> String? {
  do {
    _ = try body()
    return nil
  } catch {
    return "\(error)"
  }
}

private let small = """
  <ir_version: 8, opset_import: ["" : 15]>
  agraph (float[N, 128] X) => (float[N, 128] Y) {
    T = Relu(X)
    Y = Sigmoid(T)
  }
  """

@Test func parseCheckPrintInfer() throws {
  let model = try parse(small)
  #expect(try check(model).isEmpty)
  #expect(try check(model, full: true).isEmpty)
  let text = try printText(model)
  #expect(text.contains("Relu(X)"))
  #expect(text.contains("ir_version: 8"))
  let inferred = try infer(model, strict: true)
  #expect(inferred.count > model.count)  // value_info for T was added
  #expect(try check(inferred).isEmpty)
}

@Test func printedTextParsesBack() throws {
  let model = try parse(
    """
    <ir_version: 8, opset_import: ["" : 15, "com.example" : 1], producer_name: "kiln">
    agraph (float[N] X) => (float[N] Y) { T = com.example.Custom(X) Y = Relu(T) }
    """)
  let text = try printText(model)
  #expect(text.contains("com.example.Custom(X)"))
  #expect(text.contains("producer_name: \"kiln\""))
  let again = try parse(text)
  #expect(try printText(again) == text)
}

@Test func garbageIsAnErrorNotACrash() throws {
  var generator = SystemRandomNumberGenerator()
  for _ in 0..<20 {
    let noise = (0..<256).map { _ in UInt8.random(in: 0...255, using: &generator) }
    #expect(failureMessage { try check(noise) }?.isEmpty == false)
    _ = try? infer(noise)
    _ = try? printText(noise)
  }
  let model = try parse(small)
  for cut in stride(from: 1, to: model.count, by: 7) {
    let truncated = Array(model[..<cut])
    _ = try? check(truncated, full: true)
    _ = try? infer(truncated, strict: true)
    _ = try? printText(truncated)
  }
  #expect(failureMessage { try check([]) }?.contains("empty") == true)
  #expect(failureMessage { try check([0xFF, 0xFF, 0xFF]) }?.contains("not an ONNX model") == true)
}

@Test func mutatedModelsAreErrorsNotCrashes() throws {
  let seeds = try [
    parse(small),
    parse(
      """
      <ir_version: 10, opset_import: ["" : 21, "local" : 1]>
      agraph (float[N, 3] X, bool c) => (float[N] Y) {
        S = Shape(X)
        I = Constant<value = int64[1] {0}>()
        G = Gather(S, I)
        R = Reshape(X, G)
        Y = If(c) <then_branch = g1 () => (float[N] a) { a = Relu(R) },
                   else_branch = g2 () => (float[N] b) { b = local.f(R) }>
      }
      <domain: "local", opset_import: ["" : 20]> f (A) => (B) { B = Gelu(A) }
      """),
  ]
  var generator = SystemRandomNumberGenerator()
  for round in 0..<400 {
    var model = seeds[round % seeds.count]
    for _ in 0..<Int.random(in: 1...3, using: &generator) {
      let at = Int.random(in: 0..<model.count, using: &generator)
      switch Int.random(in: 0..<3, using: &generator) {
      case 0: model[at] = UInt8.random(in: 0...255, using: &generator)
      case 1: model.remove(at: at)
      default: model.insert(UInt8.random(in: 0...255, using: &generator), at: at)
      }
      if model.isEmpty { model = [0] }
    }
    _ = try? check(model, full: round % 2 == 0)
    _ = try? infer(model, strict: round % 3 == 0, dataProp: true)
    _ = try? printText(model)
  }
}

@Test func dataPropagationSurvivesUntypedShapeInputs() throws {
  // libonnx 1.12's Shape-15 data propagation crashes on an input of unknown type.
  let model = try parse(
    """
    <ir_version: 8, opset_import: ["" : 15, "com.example" : 1]>
    agraph (float[N, 3] X) => (int64[2] Y) { T = com.example.Custom(X) Y = Shape(T) }
    """)
  #expect(try infer(model, dataProp: true).count >= model.count)
  let undefined = try parse(
    """
    <ir_version: 8, opset_import: ["" : 17]>
    agraph (float[N, 3] X) => (int64[2] Y) { Y = Shape(Nowhere) }
    """)
  _ = try? infer(undefined, strict: true, dataProp: true)
  #expect(failureMessage { try check(undefined) } != nil)
}

@Test func malformedNodesThatCrashLibONNXAreInferenceErrors() throws {
  // Each of these segfaults inside libonnx 1.12's shape inference without CONNX's guards.
  let cases: [(opset: Int, graph: String)] = [
    (6, "g (float[N] A, float[N] B) => (float Z) { Y = Gemm(A, B) Z = x.Sink(Y) }"),
    (11, "g (float[2, 3] X, float[1, 3, 4, 4] W) => (float Z) { Y = Conv(X, W) Z = x.Sink(Y) }"),
    (
      17,
      "g (float X, float[3] S) => (float Z) { Y, M = LayerNormalization(X, S) Z = x.Sink(Y, M) }"
    ),
    (16, "g (float[3] X) => (float Z) { Y = Scan(X) Z = x.Sink(Y) }"),
    (
      15,
      """
      g (float[1, 3, 4, 4] X) => (float Z) {
        Y = AveragePool<kernel_shape = [2, 2], strides = [0, 1]>(X)
        Z = x.Sink(Y)
      }
      """
    ),
  ]
  let models = cases.map {
    #"<ir_version: 8, opset_import: ["x" : 1, "" : \#($0.opset)]> "# + $0.graph
  }
  for text in models {
    let model = try parse(text)
    #expect(try infer(model).count >= model.count)
    #expect(failureMessage { try infer(model, strict: true) } != nil)
  }
}

@Test func dataPropagationComputesShapes() throws {
  let model = try parse(
    """
    <ir_version: 8, opset_import: ["" : 15]>
    agraph (float[N, 3] X) => (float[M] Z) {
      S = Shape(X)
      I = Constant<value = int64[1] {0}>()
      G = Gather(S, I)
      Y = Reshape(X, G)
      Z = Relu(Y)
    }
    """)
  let plain = try infer(model)
  let propagated = try infer(model, dataProp: true)
  #expect(try check(propagated, full: true).isEmpty)
  #expect(propagated.count > plain.count)  // only data propagation knows that Y is [N]
}

@Test func parseErrorsCarryAMessage() {
  let message = failureMessage { try parse("<ir_version: 8 agraph") }
  #expect(message?.contains("ParseError") == true)
}

@Test func realErrorsAreStillErrors() throws {
  let undefinedInput = try parse(
    """
    <ir_version: 8, opset_import: ["" : 15]>
    agraph (float[N] X) => (float[N] Y) { Y = Add(X, Missing) }
    """)
  #expect(failureMessage { try check(undefinedInput) } != nil)
  let wrongArity = try parse(
    """
    <ir_version: 8, opset_import: ["" : 15]>
    agraph (float[N] X) => (float[N] Y) { Y = Relu(X, X) }
    """)
  #expect(failureMessage { try check(wrongArity) }?.contains("Relu") == true)
  let typeClash = try parse(
    """
    <ir_version: 8, opset_import: ["" : 15]>
    agraph (float[N] X, int64[N] Z) => (float[N] Y) { Y = Add(X, Z) }
    """)
  #expect(try check(typeClash).isEmpty)  // only the full check infers types
  #expect(failureMessage { try check(typeClash, full: true) } != nil)
  let newerButBroken = try parse(
    """
    <ir_version: 10, opset_import: ["" : 21]>
    agraph (float[N] X) => (float[N] Y) { Y = Relu(Missing) }
    """)
  let message = failureMessage { try check(newerButBroken) }
  #expect(message?.contains("note: IR version 10") == true)
}

@Test func newerIRAndOpsetCheckWithWarnings() throws {
  let model = try parse(
    """
    <ir_version: 10, opset_import: ["" : 21]>
    agraph (float[N, 128] X) => (float[N, 128] Y) {
      T = Relu(X)
      U = Gelu(T)
      Y = Gelu(U)
    }
    """)
  for full in [false, true] {
    let warnings = try check(model, full: full)
    #expect(warnings.contains { $0.contains("IR version 10") })
    #expect(warnings.contains { $0.contains("ai.onnx opset 21") && $0.contains("limited") })
    #expect(warnings.contains { $0.hasPrefix("Gelu (ai.onnx opset 21)") && $0.contains("2 nodes") })
    #expect(!warnings.contains { $0.hasPrefix("Relu") })
  }
}

@Test func opsChangedAfterOpset17AreNotRefused() throws {
  let model = try parse(
    """
    <ir_version: 8, opset_import: ["" : 18]>
    agraph (float[N, 128] X, int64[1] A) => (float[N] R, float[N, 64] P, float[N, 64] Q) {
      R = ReduceMean<keepdims = 0>(X, A)
      P, Q = Split<axis = 1, num_outputs = 2>(X)
    }
    """)
  let warnings = try check(model, full: true)
  #expect(warnings.contains { $0.hasPrefix("Split (ai.onnx opset 18)") })
  #expect(warnings.contains { $0.hasPrefix("ReduceMean (ai.onnx opset 18)") })
}

@Test func newerMLOpsetAndFunctions() throws {
  let model = try parse(
    """
    <ir_version: 8, opset_import: ["" : 17, "ai.onnx.ml" : 5, "local" : 1]>
    agraph (float[N] X) => (float[N] Y) { Y = local.twice(X) }
    <domain: "local", opset_import: ["" : 20]>
    twice (A) => (B) { T = Gelu(A) B = Gelu(T) }
    """)
  let warnings = try check(model)
  #expect(warnings.contains { $0.contains("ai.onnx.ml opset 5") })
  #expect(warnings.contains { $0.hasPrefix("Gelu (ai.onnx opset 20)") })
}

@Test func inferenceKeepsNodesLibONNXCannotDescribe() throws {
  let model = try parse(
    """
    <ir_version: 10, opset_import: ["" : 21]>
    agraph (float[N, 128] X) => (float[N, 128] Y) { T = Relu(X) U = Gelu(T) Y = Relu(U) }
    """)
  let inferred = try infer(model)
  let text = try printText(inferred)
  #expect(text.contains("U = Gelu(T)"))
  #expect(!text.contains("connx"))
  #expect(inferred.count > model.count)  // T's value_info
}

@Test func aiOnnxIsTheDefaultDomain() throws {
  // libonnx 1.12 alone refuses nodes in "ai.onnx", which ONNX defines as the default domain.
  let model = try parse(
    """
    <ir_version: 8, opset_import: ["ai.onnx" : 15]>
    agraph (float[N] X) => (float[N] Y) { T = ai.onnx.Relu(X) Y = ai.onnx.Sigmoid(T) }
    """)
  #expect(try check(model, full: true).isEmpty)
  let inferred = try infer(model, strict: true)
  #expect(inferred.count > model.count)
  let text = try printText(inferred)
  #expect(text.contains("T = ai.onnx.Relu(X)"))
  #expect(text.contains(#"opset_import: ["ai.onnx" : 15]"#))
}

@Test func checkByPath() throws {
  let folder = FileManager.default.temporaryDirectory
    .appendingPathComponent("connx-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: folder) }
  let file = folder.appendingPathComponent("small.onnx")
  try Data(try parse(small)).write(to: file)
  var warnings: UnsafeMutablePointer<CChar>?
  var error: UnsafeMutablePointer<CChar>?
  #expect(connx_check_model_path(file.path, 1, &warnings, &error) == 0)
  #expect(take(warnings) == nil)
  #expect(take(error) == nil)
  let missing = folder.appendingPathComponent("missing.onnx").path
  #expect(connx_check_model_path(missing, 0, &warnings, &error) != 0)
  #expect(take(error)?.contains("cannot open") == true)
  #expect(take(warnings) == nil)
}

@Test func knownOpsets() {
  #expect(connx_max_known_opset("") == 17)
  #expect(connx_max_known_opset("ai.onnx") == 17)
  #expect(connx_max_known_opset(nil) == 17)
  #expect(connx_max_known_opset("ai.onnx.ml") == 3)
  #expect(connx_max_known_opset("com.example") == -1)
}
