// What only the ncnn layer mappings read: blob inputs, static shapes without the batch axis,
// or the reason they cannot (the readers both targets share are in TargetOperands.swift).

import KilnIR
import KilnRuntime

extension Node {
  /// The inputs that are not constants: the blobs an ncnn layer reads.
  var ncnnBlobInputs: [Value] { inputs.compactMap { $0 }.filter { $0.constant == nil } }
}

extension Value {
  /// The static shape, when every dim is known.
  var staticDims: [Int]? { type?.tensor?.shape?.staticSizes?.map { Int($0) } }

  /// The static shape; a refusal naming the value when it is unknown.
  func ncnnDims() throws(TargetRefusal) -> [Int] {
    guard let dims = staticDims else {
      throw TargetRefusal("the shape of '\(name)' is not known (give static input shapes with --input-shape)")
    }
    return dims
  }

  /// The rank, when known.
  var rank: Int? { type?.tensor?.shape?.rank }

  /// ONNX axis `axis` of this value (negative counts from the end) as an ncnn axis: ncnn
  /// blobs have no batch dim, so axis 1 of NCHW is ncnn's axis 0.
  func ncnnAxis(_ axis: Int) throws(TargetRefusal) -> Int {
    guard let rank else { throw TargetRefusal("the rank of '\(name)' is not known") }
    let normalized = axis < 0 ? axis + rank : axis
    guard (1..<rank).contains(normalized) else {
      throw TargetRefusal("axis \(axis) is the batch axis or out of range; ncnn blobs have no batch axis")
    }
    return normalized - 1
  }
}
