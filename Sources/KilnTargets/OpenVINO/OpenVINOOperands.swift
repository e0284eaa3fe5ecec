// What only the OpenVINO op mappings read: the element type and dims of a port, or the reason
// they cannot (the readers both targets share are in TargetOperands.swift).

import KilnIR
import KilnRuntime

extension Value {
  /// The tensor an OpenVINO port carries for this value: element type and dims (-1 where not
  /// static); a refusal when the type or the rank is not known.
  func openVINOTensor() throws(TargetRefusal) -> OpenVINOTensor {
    let hint = "give static input shapes with --input-shape"
    guard let (dataType, shape) = type?.tensor ?? constant.map({ ($0.dataType, $0.shape) }) else {
      throw TargetRefusal("the type of '\(name)' is not known (\(hint))")
    }
    guard let elementType = OpenVINOElementType(dataType) else {
      throw TargetRefusal("'\(name)' is \(dataType.name), which the OpenVINO target does not write")
    }
    guard let shape else { throw TargetRefusal("the rank of '\(name)' is not known (\(hint))") }
    return OpenVINOTensor(type: elementType, dims: shape.dims.map { $0.value ?? -1 }, names: [name])
  }
}
