// Small Caffe models written to a temporary folder and read back through the frontend.

import CaffeProto
import Foundation
import KilnCaffe
import KilnIR
import KilnTestSupport
import SwiftProtobuf

/// A blob of `values` with `dims`.
func blob(_ values: [Float], dims: [Int64]) -> Caffe_BlobProto {
  var blob = Caffe_BlobProto()
  blob.shape.dim = dims
  blob.data = values
  return blob
}

/// A blob of `dims` filled with 0.5, 1.5, 2.5, ...
func blob(dims: [Int64]) -> Caffe_BlobProto {
  blob((0..<Int(dims.reduce(1, *))).map { Float($0) + 0.5 }, dims: dims)
}

/// The serialized .caffemodel holding `blobs` per layer name (in the current `layer` form, or
/// the V1 `layers` form).
func caffemodel(_ blobs: KeyValuePairs<String, [Caffe_BlobProto]>, v1: Bool = false) throws -> Data {
  var net = Caffe_NetParameter()
  for (name, layerBlobs) in blobs {
    if v1 {
      var layer = Caffe_V1LayerParameter()
      layer.name = name
      layer.blobs = layerBlobs
      net.layers.append(layer)
    } else {
      var layer = Caffe_LayerParameter()
      layer.name = name
      layer.blobs = layerBlobs
      net.layer.append(layer)
    }
  }
  return try net.serializedData()
}

/// Writes `prototxt` and `weights` into a temporary folder and reads them as a Caffe model.
func readCaffe(_ prototxt: String, weights: Data?) throws -> Model {
  try withTemporaryFolder { folder in
    let netPath = folder.file("net.prototxt")
    try Data(prototxt.utf8).write(to: URL(fileURLWithPath: netPath))
    let weightsPath = try weights.map { data -> String in
      let path = folder.file("net.caffemodel")
      try data.write(to: URL(fileURLWithPath: path))
      return path
    }
    return try CaffeModelReader.read(path: netPath, weights: weightsPath)
  }
}

/// The bad-input error that reading the model throws, or nil when it reads.
func caffeError(_ prototxt: String, weights: Data?) -> KilnError? {
  do {
    _ = try readCaffe(prototxt, weights: weights)
    return nil
  } catch {
    return error as? KilnError
  }
}

/// The graph printed without node names or elided constants' values.
func printed(_ model: Model) -> String {
  Printer.print(model.graph, options: PrintOptions(maxElements: 0, showNodeNames: false))
}
