// How far a quantized model's outputs are from the float model's: relative L2 error and cosine.

import KilnIR
import KilnRuntime

/// The distance between a model's outputs `q` and the float model's outputs `f`, with every
/// float output element of every sample taken as one vector:
///
///     relativeL2 = ‖q − f‖ / ‖f‖        (‖q − f‖ when ‖f‖ = 0; the metric that ranks)
///     cosine     = q·f / (‖q‖ ‖f‖)      (1 when both are 0, 0 when one is)
///
/// A non-finite quantized output makes `relativeL2` infinite.
public struct OutputError: Sendable, Codable, Equatable {
  public var relativeL2: Double
  public var cosine: Double

  public init(relativeL2: Double, cosine: Double) {
    self.relativeL2 = relativeL2
    self.cosine = cosine
  }

  /// The outputs of a model that equals the float model.
  public static let none = OutputError(relativeL2: 0, cosine: 1)
}

/// Sums over output elements from which `OutputError` follows; samples are added one at a time.
struct OutputErrorAccumulator {
  private var squaredDifference = 0.0
  private var squaredReference = 0.0
  private var squaredActual = 0.0
  private var dot = 0.0

  /// Adds one sample's outputs: `actual` must hold every output name of `reference`.
  mutating func add(reference: [String: [Double]], actual: [String: HostTensor]) throws {
    for (name, expected) in reference {
      guard let values = actual[name]?.doubleValues(), values.count == expected.count else {
        throw KilnError.internalError("the quantized model's output '\(name)' differs in type or size from the float model's")
      }
      for (q, f) in zip(values, expected) {
        squaredDifference += (q - f) * (q - f)
        squaredReference += f * f
        squaredActual += q * q
        dot += q * f
      }
    }
  }

  var result: OutputError {
    guard squaredDifference.isFinite else { return OutputError(relativeL2: .infinity, cosine: 0) }
    let relative = squaredReference > 0 ? (squaredDifference / squaredReference).squareRoot() : squaredDifference.squareRoot()
    let norms = (squaredReference * squaredActual).squareRoot()
    let cosine = norms > 0 ? dot / norms : (squaredReference == squaredActual ? 1 : 0)
    return OutputError(relativeL2: relative, cosine: cosine)
  }
}
