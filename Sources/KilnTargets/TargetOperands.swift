// What the op mappings of the ncnn and OpenVINO targets read from a node: inputs, constants and
// attributes, or the reason they cannot.

import KilnIR
import KilnRuntime

/// Why a node cannot become a target's layers; the message of a target problem.
struct TargetRefusal: Error {
  var reason: String
  init(_ reason: String) { self.reason = reason }
}

extension Node {
  /// Input `index`, which the node must have.
  func targetInput(_ index: Int) throws(TargetRefusal) -> Value {
    guard let value = optionalInput(index) else { throw TargetRefusal("input \(index) is missing") }
    return value
  }

  /// Input `index`, or nil when the node leaves it out.
  func optionalInput(_ index: Int) -> Value? {
    index < inputs.count ? inputs[index] : nil
  }

  /// Input `index` as a constant, which it must be.
  func requiredConstant(_ index: Int, _ what: String) throws(TargetRefusal) -> Tensor {
    guard let tensor = try targetInput(index).constant else {
      throw TargetRefusal("\(what) (input \(index)) must be a constant")
    }
    return tensor
  }

  /// Input `index` as a constant, which it must be; nil when the input is absent.
  func optionalConstant(_ index: Int, _ what: String) throws(TargetRefusal) -> Tensor? {
    guard optionalInput(index) != nil else { return nil }
    return try requiredConstant(index, what)
  }

  /// The values of constant input `index` as floats; nil when the input is absent.
  func optionalFloats(_ index: Int, _ what: String) throws(TargetRefusal) -> [Float]? {
    try optionalConstant(index, what).map { tensor throws(TargetRefusal) in try tensor.targetFloats(what) }
  }

  /// The values of constant input `index` as integers; nil when the input is absent.
  func optionalInts(_ index: Int, _ what: String) throws(TargetRefusal) -> [Int]? {
    try optionalConstant(index, what).map { tensor throws(TargetRefusal) in try tensor.targetInts(what) }
  }

  /// The node's one output; a refusal when another output is read.
  func singleOutput() throws(TargetRefusal) -> Value {
    guard let output = outputs.first ?? nil else { throw TargetRefusal("it has no output") }
    guard outputs.dropFirst().allSatisfy({ $0?.uses.isEmpty ?? true }) else {
      throw TargetRefusal("only its first output can be read")
    }
    return output
  }

  /// An ints attribute as Int, or `defaultValue` when absent.
  func ints(_ name: String, default defaultValue: [Int]) -> [Int] {
    ints(name)?.map { Int($0) } ?? defaultValue
  }
}

extension Tensor {
  /// The elements as Float; a refusal for data that is not floating point or cannot be read.
  func targetFloats(_ what: String) throws(TargetRefusal) -> [Float] {
    guard [.float, .float16, .double].contains(dataType), let values = try? HostTensor(self).doubleValues() else {
      throw TargetRefusal("\(what) must be floating-point data, not \(dataType.name)")
    }
    return values.map { Float($0) }
  }

  /// The elements as Int; a refusal for data that is not int64 or int32.
  func targetInts(_ what: String) throws(TargetRefusal) -> [Int] {
    guard let host = try? HostTensor(self) else { throw TargetRefusal("\(what) cannot be read") }
    switch dataType {
    case .int64: return host.elements(as: Int64.self).map { Int($0) }
    case .int32: return host.elements(as: Int32.self).map { Int($0) }
    default: throw TargetRefusal("\(what) must be int64 or int32 data, not \(dataType.name)")
    }
  }
}
