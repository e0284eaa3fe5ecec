// `kiln passes`, and `kiln convert` with the default pipeline, --pipeline PATH and --passes.

import Foundation
import KilnIR
import KilnONNX
import KilnTestSupport
import Testing

@Suite("Passes on the command line")
struct PassesCLITests {
  static let text = """
    <ir_version: 8, opset_import: ["" : 17]>
    g (float[2, 3] X) => (float[2, 3] Y) <float[3] U = {1.0, 2.0, 3.0}> {
      A = Identity(X)
      B = Relu(A)
      C = Relu(A)
      D = Add(B, C)
      E = Neg(D)
      Y = Identity(D)
    }
    """

  func writeModel(_ folder: TemporaryFolder) throws -> String {
    let path = folder.file("m.onnx")
    try LibONNX.parseText(Self.text).write(to: URL(fileURLWithPath: path))
    return path
  }

  @Test("kiln passes lists every pass with its summary")
  func listing() throws {
    let run = try kiln("passes")
    #expect(run.status == 0, "\(run)")
    for name in ["eliminate-dead-code", "eliminate-identity", "eliminate-common-subexpressions", "eliminate-unused-initializers"] {
      #expect(run.stdout.contains(name), "\(run)")
    }
  }

  @Test("convert runs the default pipeline; the result passes the checker and round-trips")
  func defaultPipeline() throws {
    try withTemporaryFolder { folder in
      let input = try writeModel(folder)
      let out = folder.file("out.onnx")
      let run = try kiln("convert", input, "-o", out, "--check", "--verbose")
      #expect(run.status == 0, "\(run)")
      #expect(run.stderr.isEmpty, "\(run)")
      #expect(run.stdout.contains(/\nnodes +6 +2\n/), "\(run)")
      #expect(run.stdout.contains("eliminate-identity"), "\(run)")
      let bytes = try Data(contentsOf: URL(fileURLWithPath: out))
      let result = try ONNXModelReader.read(bytes: bytes)
      let expected = try ONNXModelReader.read(
        bytes: LibONNX.parseText(
          #"<ir_version: 8, opset_import: ["" : 17]> g (float[2, 3] X) => (float[2, 3] Y) { B = Relu(X) Y = Add(B, B) }"#))
      #expect(Printer.print(result.graph) == Printer.print(expected.graph))
      #expect(try ONNXModelWriter.serialize(result) == bytes)
      #expect(try LibONNX.check(modelBytes: bytes).isEmpty)
    }
  }

  @Test("--passes runs just those passes; --pipeline takes a path")
  func passesAndPath() throws {
    try withTemporaryFolder { folder in
      let input = try writeModel(folder)
      var run = try kiln("convert", input, "-o", folder.file("a.onnx"), "--passes", "eliminate-identity")
      #expect(run.status == 0, "\(run)")
      let a = try ONNXModelReader.read(path: folder.file("a.onnx"))
      #expect(a.graph.nodes.map(\.opType) == ["Relu", "Relu", "Add", "Neg"])
      let pipeline = folder.file("mine.pipeline")
      try "# mine\neliminate-dead-code\n".write(toFile: pipeline, atomically: true, encoding: .utf8)
      run = try kiln("convert", input, "-o", folder.file("b.onnx"), "--pipeline", pipeline)
      #expect(run.status == 0, "\(run)")
      #expect(try ONNXModelReader.read(path: folder.file("b.onnx")).graph.nodes.count == 5)
    }
  }

  @Test("an unknown pass, in --passes or on a pipeline line, is exit 2 and writes nothing")
  func mistakes() throws {
    try withTemporaryFolder { folder in
      let input = try writeModel(folder)
      var run = try kiln("convert", input, "-o", folder.file("a.onnx"), "--passes", "eliminate-identity,fold-everything")
      #expect(run.status == 2, "\(run)")
      #expect(run.stderr.contains("fold-everything"), "\(run)")
      let pipeline = folder.file("bad.pipeline")
      try "eliminate-identity\neliminate-dead-code aggressive=true\n".write(toFile: pipeline, atomically: true, encoding: .utf8)
      run = try kiln("convert", input, "-o", folder.file("b.onnx"), "--pipeline", pipeline)
      #expect(run.status == 2, "\(run)")
      #expect(run.stderr.contains("line 2"), "\(run)")
      #expect(try folder.contents().sorted() == ["bad.pipeline", "m.onnx"])
    }
  }
}
