// Reading a Darknet model (.cfg + .weights) into the IR.

import Foundation
import KilnIR

/// Reads Darknet models: the cfg describes the layers, the weights file holds their parameters.
///
/// The result is plain ONNX at opset 17 with a `[1, channels, height, width]` float input named
/// `input`. Weights stay slices of the memory-mapped weights file. Each `[yolo]` layer becomes a
/// graph output holding its raw input, with its anchors, mask and classes in the model's
/// metadata (`darknet.yolo.<layer>.*`). Layers Kiln cannot convert are all listed in one error.
public enum DarknetModelReader {
  /// The producer name written into converted models.
  public static let producerName = "kiln-darknet"

  /// Reads the cfg at `path` with the weights at `weights`.
  public static func read(path: String, weights: String) throws -> Model {
    let config: DarknetConfig
    do {
      config = try DarknetConfig.parse(try text(of: path))
    } catch let error as KilnError {
      throw error.inFile(path)
    }
    let parameters: DarknetWeights
    do {
      parameters = try DarknetWeights(path: weights)
    } catch let error as KilnError {
      throw error.inFile(weights)
    }
    return try convert(config, parameters, name: URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent, cfgPath: path)
  }

  private static func convert(_ config: DarknetConfig, _ weights: DarknetWeights, name: String, cfgPath: String) throws -> Model {
    var converter = DarknetConverter(config: config, weights: weights, graphName: name)
    let graph: Graph
    do {
      graph = try converter.convert()
    } catch let error as KilnError {
      throw error.inFile(cfgPath)
    }
    let metadata =
      [
        MetadataEntry(key: "darknet.weights.version", value: weights.version),
        MetadataEntry(key: "darknet.weights.seen", value: String(weights.seen)),
      ] + converter.yoloLayers.flatMap(\.metadata)
    return Model(
      irVersion: 8, opsetImports: [OpsetImport(domain: "", version: 17)], producerName: producerName,
      producerVersion: "1", docString: "Converted from the Darknet model \(name).cfg", metadata: metadata, graph: graph)
  }

  private static func text(of path: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw KilnError.badInput("cannot read the cfg", hint: "check the path and its permissions")
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw KilnError.badInput("the cfg is not UTF-8 text")
    }
    return text
  }
}
