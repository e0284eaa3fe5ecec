// `kiln inspect --graph`: the model's IR as text.

import Foundation
import KilnTestSupport
import Testing

@Suite("Inspect --graph")
struct InspectGraphTests {
  @Test("--graph prints one line per node, the same text every time")
  func graphText() throws {
    try withTemporaryFolder { folder in
      let model = try writeSmallModel(folder.file("m.onnx"))
      let run = try kiln("inspect", model, "--graph")
      #expect(run.status == 0, "\(run)")
      let expected = """
        model ir_version=8 opset=[ai.onnx:17] producer="kiln-tests 1.0" metadata=["author"="kiln-tests"]
        graph small(%X: float32[N,3]) -> (%Z: float32[N,2]) {
          %W = constant float32[3,2] [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
          %Y = MatMul(%X, %W)  # matmul
          %Z = Relu(%Y)  # relu
          return %Z
        }

        """
      #expect(run.stdout == expected)
      #expect(try kiln("inspect", model, "--graph").stdout == run.stdout)
    }
  }

  @Test("--graph with --json, or --types without --graph, is a usage error")
  func exclusiveFlags() throws {
    try withTemporaryFolder { folder in
      let model = try writeSmallModel(folder.file("m.onnx"))
      #expect(try kiln("inspect", model, "--graph", "--json").status == 2)
      #expect(try kiln("inspect", model, "--types").status == 2)
    }
  }
}
