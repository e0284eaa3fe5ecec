// The learned blobs of a .caffemodel, by layer name, decoded once and handed out layer by layer.

import CaffeProto
import Foundation
import KilnIR
import SwiftProtobuf

/// The blobs of every layer of a `.caffemodel` (a binary `NetParameter`), keyed by layer name.
///
/// The file is memory-mapped and decoded once; the decoded message is then taken apart layer
/// by layer, and `take(layer:)` hands each layer's blobs over exactly once, so a large model's
/// floats are held in one copy while its tensors are built. Layers that the deploy net does
/// not have (training-only layers) are simply never taken.
struct CaffeWeights {
  private var blobsByLayer: [String: [Caffe_BlobProto]] = [:]

  /// No weights: every layer's blobs come from the network description itself.
  init() {}

  /// Reads the `.caffemodel` at `path`.
  init(path: String) throws {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
    } catch {
      throw KilnError.badInput("cannot read the weights file", file: path, hint: "check the --weights path")
    }
    guard !data.isEmpty else { throw KilnError.badInput("the weights file is empty, not a .caffemodel", file: path) }
    var net: Caffe_NetParameter
    do {
      net = try Caffe_NetParameter(serializedBytes: data)
    } catch {
      throw KilnError.badInput(
        "not a .caffemodel (binary Caffe NetParameter): \(error)", file: path,
        hint: "the file may be truncated or of another format")
    }
    guard !net.layer.isEmpty || !net.layers.isEmpty else {
      throw KilnError.badInput("the .caffemodel holds no layers", file: path, hint: "is it the weights of this net?")
    }
    for layer in net.layer where !layer.blobs.isEmpty { blobsByLayer[layer.name] = layer.blobs }
    for layer in net.layers where !layer.blobs.isEmpty { blobsByLayer[layer.name] = layer.blobs }
    net = Caffe_NetParameter()
  }

  /// The blobs of the layer named `name`, removed from this store; nil when it has none.
  mutating func take(layer name: String) -> [Caffe_BlobProto]? {
    blobsByLayer.removeValue(forKey: name)
  }
}

extension Caffe_BlobProto {
  /// The blob's dims: its `BlobShape`, else the legacy num/channels/height/width.
  var dims: [Int] {
    if hasShape { return shape.dim.map { Int($0) } }
    return [num, channels, height, width].map { Int($0) }
  }

  /// The blob's values as float32 (double blobs are narrowed).
  var floats: [Float] { data.isEmpty ? doubleData.map { Float($0) } : data }
}
