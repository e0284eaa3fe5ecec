// Reading a Caffe model (.prototxt network + .caffemodel weights) into the IR.

import CaffeProto
import Foundation
import KilnIR

/// Reads Caffe models into the IR: plain ONNX ops at opset 17.
///
/// The network comes from a `.prototxt` (protobuf text format; the current `layer` form or
/// the V1 `layers` form), the weights from a `.caffemodel` (binary), matched to the network's
/// layers by name. Value names keep Caffe's blob names; a blob written again in place takes
/// the writing layer's name. Any problem is a `KilnError` of kind `.badInput` naming the file.
public enum CaffeModelReader {
  /// Reads the network at `path` with the weights at `weights` (nil: a net without weights,
  /// which converts only if no layer needs any).
  public static func read(path: String, weights: String?) throws -> Model {
    let net = try parseNet(path: path)
    let store = try weights.map(CaffeWeights.init(path:)) ?? CaffeWeights()
    var converter = CaffeNetConverter(weights: store)
    let graph: Graph
    do {
      graph = try converter.convert(net)
    } catch let error as KilnError {
      throw error.inFile(path)
    }
    return Model(
      irVersion: 8, opsetImports: [OpsetImport(domain: "", version: 17)], producerName: "kiln-caffe",
      producerVersion: "1", graph: graph)
  }

  private static func parseNet(path: String) throws -> Caffe_NetParameter {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw KilnError.badInput("cannot read the network description", file: path, hint: "check the path")
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw KilnError.badInput("the network description is not UTF-8 text", file: path)
    }
    do {
      return try CaffeNetText.parse(text)
    } catch let error as KilnError {
      throw error.inFile(path)
    }
  }
}
