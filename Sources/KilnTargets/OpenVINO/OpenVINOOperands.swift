// What the OpenVINO op mappings read from a node: inputs, constants and attributes, or the
// reason they cannot.

import KilnIR
import KilnRuntime

/// Why a node cannot become OpenVINO layers; the message of a target problem.
struct OpenVINORefusal: Error {
  var reason: String
  init(_ reason: String) { self.reason = reason }
}

extension Node {
  /// Input `index`, which the node must have.
  func openVINOInput(_ index: Int) throws(OpenVINORefusal) -> Value {
    guard let value = openVINOOptionalInput(index) else { throw OpenVINORefusal("input \(index) is missing") }
    return value
  }

  /// Input `index`, or nil when the node leaves it out.
  func openVINOOptionalInput(_ index: Int) -> Value? {
    index < inputs.count ? inputs[index] : nil
  }

  /// Input `index` as a constant tensor, which it must be; nil when the input is absent.
  func openVINOConstant(_ index: Int, _ what: String) throws(OpenVINORefusal) -> Tensor? {
    guard let value = openVINOOptionalInput(index) else { return nil }
    guard let tensor = value.constant else { throw OpenVINORefusal("\(what) (input \(index)) must be a constant") }
    return tensor
  }

  /// The values of constant input `index` as integers; nil when the input is absent.
  func openVINOInts(_ index: Int, _ what: String) throws(OpenVINORefusal) -> [Int]? {
    try openVINOConstant(index, what).map { tensor throws(OpenVINORefusal) in try tensor.openVINOInts(what) }
  }

  /// The values of constant input `index` as floats; nil when the input is absent.
  func openVINOFloats(_ index: Int, _ what: String) throws(OpenVINORefusal) -> [Float]? {
    try openVINOConstant(index, what).map { tensor throws(OpenVINORefusal) in try tensor.openVINOFloats(what) }
  }

  /// The node's one output; a refusal when another output is read.
  func openVINOSingleOutput() throws(OpenVINORefusal) -> Value {
    guard let output = outputs.first ?? nil else { throw OpenVINORefusal("it has no output") }
    guard outputs.dropFirst().allSatisfy({ ($0?.uses.isEmpty ?? true) }) else {
      throw OpenVINORefusal("only its first output can be read")
    }
    return output
  }

  /// An ints attribute as Int, or `defaultValue` when absent.
  func openVINOInts(_ name: String, default defaultValue: [Int]) -> [Int] {
    ints(name)?.map { Int($0) } ?? defaultValue
  }
}

extension Tensor {
  /// The elements as Float; a refusal for data that is not floating point.
  func openVINOFloats(_ what: String) throws(OpenVINORefusal) -> [Float] {
    guard [.float, .float16, .double].contains(dataType), let values = try? HostTensor(self).doubleValues() else {
      throw OpenVINORefusal("\(what) must be floating-point data, not \(dataType.name)")
    }
    return values.map { Float($0) }
  }

  /// The elements as Int; a refusal for data that is not int64 or int32.
  func openVINOInts(_ what: String) throws(OpenVINORefusal) -> [Int] {
    guard let host = try? HostTensor(self) else { throw OpenVINORefusal("\(what) cannot be read") }
    switch dataType {
    case .int64: return host.elements(as: Int64.self).map { Int($0) }
    case .int32: return host.elements(as: Int32.self).map { Int($0) }
    default: throw OpenVINORefusal("\(what) must be int64 or int32 data, not \(dataType.name)")
    }
  }
}

extension Value {
  /// The tensor an OpenVINO port carries for this value: element type and dims (-1 where not
  /// static); a refusal when the type or the rank is not known.
  func openVINOTensor() throws(OpenVINORefusal) -> OpenVINOTensor {
    let hint = "give static input shapes with --input-shape"
    guard let (dataType, shape) = type?.tensor ?? constant.map({ ($0.dataType, $0.shape) }) else {
      throw OpenVINORefusal("the type of '\(name)' is not known (\(hint))")
    }
    guard let elementType = OpenVINOElementType(dataType) else {
      throw OpenVINORefusal("'\(name)' is \(dataType.name), which the OpenVINO target does not write")
    }
    guard let shape else { throw OpenVINORefusal("the rank of '\(name)' is not known (\(hint))") }
    return OpenVINOTensor(type: elementType, dims: shape.dims.map { $0.value ?? -1 }, names: [name])
  }
}
