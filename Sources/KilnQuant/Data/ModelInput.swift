// What calibration data must match: a model input's name, element type and declared shape.

import KilnIR

/// A graph input that samples must feed (initializers excluded): its name, element type and
/// declared shape, when the model gives them.
public struct ModelInput: Equatable, Sendable {
  public var name: String
  public var dataType: DataType?
  public var shape: Shape?

  public init(name: String, dataType: DataType?, shape: Shape?) {
    self.name = name
    self.dataType = dataType
    self.shape = shape
  }

  /// The inputs of `model` that need a value, in graph order.
  public static func required(by model: Model) -> [ModelInput] {
    model.graph.inputs.filter { $0.constant == nil }.map { value in
      ModelInput(name: value.name, dataType: value.type?.tensor?.dataType, shape: value.type?.tensor?.shape)
    }
  }

  /// The fixed size of dim `axis`, if the shape is known and that dim is fixed.
  public func fixedSize(_ axis: Int) -> Int? {
    guard let shape, axis < shape.rank, let size = shape.dims[axis].value else { return nil }
    return Int(size)
  }
}
