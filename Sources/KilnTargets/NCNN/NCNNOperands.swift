// What the ncnn layer mappings read from a node: constants, attributes and static shapes, or
// the reason they cannot.

import KilnIR
import KilnRuntime

/// Why a node cannot become an ncnn layer; the message of a target problem.
struct NCNNRefusal: Error {
  var reason: String
  init(_ reason: String) { self.reason = reason }
}

extension Node {
  /// Input `index`, which the node must have.
  func ncnnInput(_ index: Int) throws(NCNNRefusal) -> Value {
    guard index < inputs.count, let value = inputs[index] else { throw NCNNRefusal("input \(index) is missing") }
    return value
  }

  /// Input `index` as a constant, which it must be.
  func ncnnConstant(_ index: Int, _ what: String) throws(NCNNRefusal) -> Tensor {
    guard let tensor = try ncnnInput(index).constant else {
      throw NCNNRefusal("\(what) (input \(index)) must be a constant")
    }
    return tensor
  }

  /// Input `index` as a constant of float values, which it must be; nil when it is absent.
  func ncnnOptionalFloats(_ index: Int, _ what: String) throws(NCNNRefusal) -> [Float]? {
    guard index < inputs.count, inputs[index] != nil else { return nil }
    return try ncnnConstant(index, what).ncnnFloats(what)
  }

  /// Input `index` as a constant of integers; nil when it is absent.
  func ncnnOptionalInts(_ index: Int, _ what: String) throws(NCNNRefusal) -> [Int]? {
    guard index < inputs.count, inputs[index] != nil else { return nil }
    return try ncnnConstant(index, what).ncnnInts(what)
  }

  /// The inputs that are not constants: the blobs an ncnn layer reads.
  var ncnnBlobInputs: [Value] { inputs.compactMap { $0 }.filter { $0.constant == nil } }

  /// Output 0, and a refusal when any other output is used.
  func ncnnSingleOutput() throws(NCNNRefusal) -> Value {
    guard let first = outputs.first ?? nil else { throw NCNNRefusal("it has no output") }
    guard outputs.dropFirst().allSatisfy({ $0.map { $0.uses.isEmpty } ?? true }) else {
      throw NCNNRefusal("only its first output can be used")
    }
    return first
  }

  /// An ints attribute, or `defaultValue` when absent.
  func ints(_ name: String, default defaultValue: [Int]) -> [Int] {
    ints(name)?.map { Int($0) } ?? defaultValue
  }
}

extension Tensor {
  /// The elements as Float; a refusal for non-numeric data or data that cannot be read.
  func ncnnFloats(_ what: String) throws(NCNNRefusal) -> [Float] {
    guard [.float, .float16, .double].contains(dataType) else {
      throw NCNNRefusal("\(what) is \(dataType.name), not a float type")
    }
    guard let values = try? HostTensor(self).doubleValues() else { throw NCNNRefusal("\(what) cannot be read") }
    return values.map { Float($0) }
  }

  /// The elements as Int; a refusal for non-integer data.
  func ncnnInts(_ what: String) throws(NCNNRefusal) -> [Int] {
    guard let host = try? HostTensor(self) else { throw NCNNRefusal("\(what) cannot be read") }
    switch dataType {
    case .int64: return host.elements(as: Int64.self).map { Int($0) }
    case .int32: return host.elements(as: Int32.self).map { Int($0) }
    default: throw NCNNRefusal("\(what) must be int64 or int32 constants")
    }
  }
}

extension Value {
  /// The static shape, when every dim is known.
  var staticDims: [Int]? { type?.tensor?.shape?.staticSizes?.map { Int($0) } }

  /// The static shape; a refusal naming the value when it is unknown.
  func ncnnDims() throws(NCNNRefusal) -> [Int] {
    guard let dims = staticDims else {
      throw NCNNRefusal("the shape of '\(name)' is not known (give static input shapes with --input-shape)")
    }
    return dims
  }

  /// The rank, when known.
  var rank: Int? { type?.tensor?.shape?.rank }

  /// ONNX axis `axis` of this value (negative counts from the end) as an ncnn axis: ncnn
  /// blobs have no batch dim, so axis 1 of NCHW is ncnn's axis 0.
  func ncnnAxis(_ axis: Int) throws(NCNNRefusal) -> Int {
    guard let rank else { throw NCNNRefusal("the rank of '\(name)' is not known") }
    let normalized = axis < 0 ? axis + rank : axis
    guard (1..<rank).contains(normalized) else {
      throw NCNNRefusal("axis \(axis) is the batch axis or out of range; ncnn blobs have no batch axis")
    }
    return normalized - 1
  }
}
