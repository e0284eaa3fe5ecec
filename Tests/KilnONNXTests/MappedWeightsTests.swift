// Weights are not copied on import: they stay slices of the memory-mapped model file.

import Foundation
import KilnIR
import KilnONNX
import KilnTestSupport
import Testing

@Suite("Mapped weights")
struct MappedWeightsTests {
  @Test("initializers read from a file are slices of one mapping of that file")
  func initializersAreMapped() throws {
    try withTemporaryFolder { folder in
      let weights = [
        patternTensor("a", count: 1000), patternTensor("b", count: 250_000, seed: 3),
        Tensor(name: "c", dataType: .int8, dims: [3], bytes: Data([1, 2, 3])),
      ]
      let path = folder.file("m.onnx")
      try ONNXModelWriter.write(modelWithWeights(weights), to: path)
      let model = try ONNXModelReader.read(path: path)
      let file = try fileBytes(path)
      var mappings: [MappedFile] = []
      for original in weights {
        let tensor = try initializer(model, original.name)
        guard case .mapped(let mapping, let range) = tensor.storage else {
          Issue.record("'\(original.name)' was copied: storage is \(tensor.storage)")
          continue
        }
        #expect(mapping.path == path)
        #expect(mapping.count == file.count)
        #expect(range.upperBound <= file.count)
        #expect(try file[range] == original.rawData(), "the slice is where the bytes are in the file")
        mappings.append(mapping)
      }
      #expect(mappings.allSatisfy { $0 === mappings.first }, "one mapping is shared")
    }
  }

  @Test("weights read from a file stay readable after the file is replaced")
  func mappingOutlivesReplacement() throws {
    try withTemporaryFolder { folder in
      let weight = patternTensor("w", count: 5000)
      let path = folder.file("m.onnx")
      try ONNXModelWriter.write(modelWithWeights([weight]), to: path)
      let model = try ONNXModelReader.read(path: path)
      // Writing over the model replaces the file by rename; the old mapping stays valid.
      try ONNXModelWriter.write(modelWithWeights([patternTensor("w", count: 5000, seed: 9)]), to: path)
      #expect(try initializer(model, "w").rawData() == weight.rawData())
    }
  }
}
