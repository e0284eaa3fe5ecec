// Seeded random calibration samples, for smoke tests and for models without data at hand.

import KilnIR
import KilnQuant
import KilnRuntime

/// `count` samples of seeded random values for a model's inputs (as `kiln run --random` makes
/// them). Sample `i` depends only on the seed and `i`, so every shard sees the samples a whole
/// run would.
public struct RandomCalibrationSource: CalibrationSource {
  public let count: Int
  public let seed: UInt64
  private let inputs: [Value]
  private let shapes: [String: [Int]]

  /// Samples for `model`'s required inputs; `shapes` gives the shape of inputs whose dims are
  /// not fixed. Throws when an input has no shape to make values for.
  public init(model: Model, count: Int, seed: UInt64 = 0, shapes: [String: [Int]] = [:]) throws {
    guard count >= 1 else { throw KilnError(.usage, "--random needs at least one sample, not \(count)") }
    self.count = count
    self.seed = seed
    self.shapes = shapes
    inputs = model.graph.inputs.filter { $0.constant == nil }
    _ = try sample(at: 0)
  }

  public func name(at index: Int) -> String { "random sample \(index)" }

  public func sample(at index: Int) throws -> CalibrationSample {
    var generator = SplitMix64(seed: seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
    var sample: CalibrationSample = [:]
    for value in inputs {
      sample[value.name] = try ModelRun.randomInput(value, shape: shapes[value.name], generator: &generator)
    }
    return sample
  }
}
