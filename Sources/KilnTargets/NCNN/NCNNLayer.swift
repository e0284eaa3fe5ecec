// One ncnn layer: its type, its blobs, its numbered params and its weights.

import KilnIR

/// A layer of an ncnn network before blobs are named: inputs and outputs are IR values.
struct NCNNLayer {
  /// The ncnn layer type (`Convolution`, `ReLU`, ...).
  var type: String
  /// The layer's name; filled in from the node (made unique when the network is assembled).
  var name: String
  /// The values the layer reads as blobs, in order.
  var inputs: [Value]
  /// The values it produces.
  var outputs: [Value]
  /// Its params, written as `id=value` in this order.
  var params: [NCNNParam]
  /// Its weights, written to the .bin in this order.
  var weights: [NCNNWeight]

  init(
    _ type: String, name: String = "", inputs: [Value], outputs: [Value], params: [NCNNParam] = [],
    weights: [NCNNWeight] = []
  ) {
    self.type = type
    self.name = name
    self.inputs = inputs
    self.outputs = outputs
    self.params = params
    self.weights = weights
  }
}

/// One `id=value` of a layer line. Arrays are written `-(23300+id)=count,v1,v2,...`.
struct NCNNParam: Equatable {
  enum Value: Equatable {
    case int(Int)
    case float(Float)
    case ints([Int])
    case floats([Float])
  }

  var id: Int
  var value: Value

  init(_ id: Int, _ value: Value) {
    self.id = id
    self.value = value
  }

  static func int(_ id: Int, _ value: Int) -> NCNNParam { NCNNParam(id, .int(value)) }
  static func float(_ id: Int, _ value: Float) -> NCNNParam { NCNNParam(id, .float(value)) }
  static func ints(_ id: Int, _ values: [Int]) -> NCNNParam { NCNNParam(id, .ints(values)) }
  static func floats(_ id: Int, _ values: [Float]) -> NCNNParam { NCNNParam(id, .floats(values)) }
}

/// One weight blob of a layer's .bin data.
struct NCNNWeight {
  /// The elements, in ncnn's order.
  var values: [Float]
  /// Whether ncnn reads it with a 4-byte storage tag before the data (convolution and
  /// inner-product weights, which may be stored as float16), or as plain float32 (biases,
  /// BatchNorm statistics, MemoryData).
  var tagged: Bool

  /// A weight read with a storage tag.
  static func tagged(_ values: [Float]) -> NCNNWeight { NCNNWeight(values: values, tagged: true) }
  /// Plain float32 data.
  static func raw(_ values: [Float]) -> NCNNWeight { NCNNWeight(values: values, tagged: false) }
}
