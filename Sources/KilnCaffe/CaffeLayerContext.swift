// What a layer converter works with: the layer, its input values, its blobs and the builder.

import CaffeProto
import KilnIR

/// One layer being converted: converters read inputs and weights through it and emit nodes.
struct CaffeLayerContext {
  let layer: CaffeLayer
  let inputs: [Value]
  let blobs: [CaffeBlob]
  let builder: CaffeGraphBuilder

  /// The layer's parameters.
  var parameter: Caffe_LayerParameter { layer.parameter }

  /// The static shape of input `index`.
  func shape(_ index: Int = 0) -> [Int] { CaffeGraphBuilder.shape(of: inputs[index]) }

  /// Checks the layer reads `count` blobs.
  func requireInputs(_ count: Int) throws {
    guard inputs.count == count else {
      throw KilnCaffeProblem("has \(inputs.count) bottom blobs, expected \(count)")
    }
  }

  /// The layer's learned blobs as initializers named `layer/role`, checked by `checkBlobs`;
  /// mapped weights stay mapped.
  func weights(_ expected: [(role: String, dims: [Int])]) throws -> [Value] {
    try checkBlobs(expected)
    return zip(blobs, expected).map { blob, want in
      builder.constant("\(layer.name)/\(want.role)", blob.tensor(dims: want.dims))
    }
  }

  /// The values of the layer's learned blobs, checked by `checkBlobs`.
  func blobValues(_ expected: [(role: String, dims: [Int])]) throws -> [[Float]] {
    try checkBlobs(expected)
    return blobs.map { $0.floats() }
  }

  /// Checks the layer's blobs against the shapes its parameters imply (`expected`, in order).
  /// An element count that matches is enough, since old models store e.g. InnerProduct
  /// weights as 1×1×N×K.
  private func checkBlobs(_ expected: [(role: String, dims: [Int])]) throws {
    let roles = expected.map(\.role).joined(separator: ", ")
    guard !blobs.isEmpty else { throw KilnCaffeProblem("the weights have no blobs for this layer (it needs \(roles))") }
    guard blobs.count == expected.count else {
      throw KilnCaffeProblem("has \(blobs.count) blobs in the weights, expected \(expected.count) (\(roles))")
    }
    for (index, (blob, want)) in zip(blobs, expected).enumerated() {
      guard blob.count == blob.dims.reduce(1, *) else {
        throw KilnCaffeProblem("blob \(index) (\(want.role)) holds \(blob.count) values but its shape is \(blob.dims)")
      }
      guard blob.count == want.dims.reduce(1, *) else {
        throw KilnCaffeProblem("blob \(index) (\(want.role)) has shape \(blob.dims), expected \(want.dims)")
      }
    }
  }

  /// A float32 constant named `layer/role`.
  func constant(_ role: String, _ values: [Float], dims: [Int]) -> Value {
    builder.constant("\(layer.name)/\(role)", Tensor(floats: values, dims: dims))
  }

  /// An int64 vector constant named `layer/role` (shapes, split sizes).
  func constant(_ role: String, int64s values: [Int]) -> Value {
    builder.constant("\(layer.name)/\(role)", Tensor(int64s: values))
  }

  /// Appends a node of this layer with one output of `shape`.
  func emit(_ op: String, _ inputs: [Value?], _ attributes: [Attribute] = [], shape: [Int]) -> Value {
    builder.node(
      op, name: layer.name, inputs: inputs, attributes: attributes, outputName: "\(layer.name)/\(op)", shape: shape)
  }

  /// The axis `axis` (negative counts from the end) of a rank-`rank` blob, checked.
  func axis(_ axis: Int, rank: Int, field: String = "axis") throws -> Int {
    let resolved = axis < 0 ? axis + rank : axis
    guard (0..<rank).contains(resolved) else {
      throw KilnCaffeProblem("\(field) \(axis) is out of range for an input of rank \(rank)")
    }
    return resolved
  }
}

extension Attribute {
  /// An int attribute.
  static func int(_ name: String, _ value: Int) -> Attribute { Attribute(name, .int(Int64(value))) }
  /// An ints attribute.
  static func ints(_ name: String, _ values: [Int]) -> Attribute { Attribute(name, .ints(values.map(Int64.init))) }
  /// A float attribute.
  static func float(_ name: String, _ value: Float) -> Attribute { Attribute(name, .float(value)) }
}
