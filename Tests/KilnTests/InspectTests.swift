// `kiln inspect`: the text summary and the JSON schema.

import Foundation
import Kiln
import KilnONNX
import KilnTestSupport
import Testing

@Suite("Inspect")
struct InspectTests {
  @Test("--json prints an object with the documented fields")
  func json() throws {
    try withTemporaryFolder { folder in
      let model = try writeSmallModel(folder.file("m.onnx"))
      let run = try kiln("inspect", "--json", model)
      #expect(run.status == 0, "\(run)")
      #expect(run.stderr.isEmpty)
      let object = try #require(
        try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
      for key in [
        "file", "fileBytes", "producerName", "producerVersion", "irVersion", "modelVersion", "domain",
        "opsets", "graphName", "inputs", "outputs", "nodeCount", "ops", "initializerCount",
        "parameterCount", "parameterBytes", "externalDataFiles", "metadata",
      ] {
        #expect(object[key] != nil, "missing key \(key)")
      }

      let summary = try JSONDecoder().decode(ModelSummary.self, from: Data(run.stdout.utf8))
      #expect(summary.file == model)
      #expect(summary.fileBytes == (try fileBytes(model)).count)
      #expect(summary.producerName == "kiln-tests")
      #expect(summary.producerVersion == "1.0")
      #expect(summary.irVersion == 8)
      #expect(summary.opsets.map(\.version) == [17])
      #expect(summary.graphName == "small")
      let input = try #require(summary.inputs.first)
      #expect(summary.inputs.count == 1)
      #expect(input.name == "X")
      #expect(input.elementType == "float32")
      #expect(input.shape == ["N", "3"])
      #expect(input.type == "float32[N,3]")
      #expect(summary.outputs.map(\.name) == ["Z"])
      #expect(summary.outputs.first?.shape == ["N", "2"])
      #expect(summary.nodeCount == 2)
      #expect(Set(summary.ops.map(\.op)) == ["MatMul", "Relu"])
      #expect(summary.ops.allSatisfy { $0.count == 1 })
      #expect(summary.initializerCount == 1)
      #expect(summary.parameterCount == 6)
      #expect(summary.parameterBytes == 24)
      #expect(summary.externalDataFiles == [])
      #expect(summary.metadata == ["author": "kiln-tests"])
    }
  }

  @Test("--json names the external-data files")
  func jsonExternal() throws {
    try withTemporaryFolder { folder in
      let model = try writeSmallModel(
        folder.file("m.onnx"), extraWeightElements: 1000, options: ONNXWriteOptions(externalData: .always))
      let run = try kiln("inspect", "--json", model)
      #expect(run.status == 0, "\(run)")
      let summary = try JSONDecoder().decode(ModelSummary.self, from: Data(run.stdout.utf8))
      #expect(summary.externalDataFiles == ["m.onnx.data"])
      #expect(summary.initializerCount == 2)
      #expect(summary.parameterCount == 1006)
      #expect(summary.parameterBytes == 4024)
    }
  }

  @Test("the text summary shows types with symbolic dims, ops and parameters")
  func text() throws {
    try withTemporaryFolder { folder in
      let model = try writeSmallModel(folder.file("m.onnx"))
      let run = try kiln("inspect", model)
      #expect(run.status == 0, "\(run)")
      for text in [model, "kiln-tests 1.0", "X: float32[N,3]", "Z: float32[N,2]", "MatMul", "Relu", "author = kiln-tests"] {
        #expect(run.stdout.contains(text), "'\(text)' missing from: \(run.stdout)")
      }
    }
  }
}
