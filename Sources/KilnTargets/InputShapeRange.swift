// The shapes a graph input may take at run time: TensorRT's optimization profile for one input.

/// The smallest, the most common and the largest shape of one graph input (`--input-shape
/// NAME=1..4..8x3x224x224`), for targets that build for a range of shapes (TensorRT's
/// `--minShapes/--optShapes/--maxShapes`). All three have the input's rank.
public struct InputShapeRange: Sendable, Equatable {
  public var min: [Int64]
  public var opt: [Int64]
  public var max: [Int64]

  public init(min: [Int64], opt: [Int64], max: [Int64]) {
    self.min = min
    self.opt = opt
    self.max = max
  }

  /// Whether `size` is a size dim `axis` may take.
  public func allows(_ size: Int64, at axis: Int) -> Bool {
    axis < min.count && min[axis] <= size && size <= max[axis]
  }
}
