// ModelFile hands Caffe models (.prototxt + --weights) to the Caffe frontend.

import Foundation
import Kiln
import KilnIR
import KilnTestSupport
import Testing

@Suite struct CaffeModelFileTests {
  @Test("a .prototxt with its .caffemodel reads through the Caffe frontend")
  func readsCaffe() throws {
    try withTemporaryFolder { folder in
      let net = folder.file("net.prototxt")
      let weights = folder.file("net.caffemodel")
      try Data(#"input: "x" input_shape { dim: 1 dim: 3 } layer { name: "r" type: "ReLU" bottom: "x" top: "y" }"#.utf8)
        .write(to: URL(fileURLWithPath: net))
      // NetParameter { layer (field 100) { name: "r" } }
      try Data([0xA2, 0x06, 0x03, 0x0A, 0x01, 0x72]).write(to: URL(fileURLWithPath: weights))
      let model = try ModelFile(path: net, weights: weights).read()
      #expect(model.producerName == "kiln-caffe")
      #expect(model.graph.nodes.map(\.opType) == ["Relu"])
      #expect(model.graph.outputs.map(\.name) == ["y"])
    }
  }
}
