// Unary elementwise kernels: math functions and activations over float, double and float16.

import KilnIR

#if canImport(Glibc)
  import Glibc
#else
  import Darwin
#endif

extension KernelFamily {
  /// Unary math and activations (Relu, LeakyRelu, Sigmoid, HardSigmoid, HardSwish, Clip, Elu,
  /// Selu, Celu, ThresholdedRelu, Softplus, Softsign, Mish, Gelu, Tanh, Erf, Exp, Log, Sqrt,
  /// Reciprocal, Neg, Abs, Floor, Ceil, Round, Sign, Shrink, trigonometric and hyperbolic
  /// functions), and the tests IsNaN and IsInf (detect_positive, detect_negative) with a bool
  /// result. Float16 is computed in Float; Neg, Abs, Sign, Relu, Clip and Shrink also take
  /// integers.
  static let elementwise = KernelFamily { registry in
    for op in unaryOps {
      registry.register(op) { invocation in
        let x = try invocation.input(0)
        let extras = (1..<max(invocation.inputs.count, 1)).map { invocation.optionalInput($0) }
        return [
          try computingHalfInFloat(x, extras, for: invocation) { x, extras in
            try x.dataType.acceptArithmetic(
              UnaryVisitor(x: x, extras: extras, invocation: invocation), for: invocation)
          }
        ]
      }
    }
    registry.register("IsNaN") { try floatTest($0) { $0.isNaN } }
    registry.register("IsInf") { invocation in
      let positive = invocation.int("detect_positive", default: 1) != 0
      let negative = invocation.int("detect_negative", default: 1) != 0
      return try floatTest(invocation) { $0.isInfinite && ($0 > 0 ? positive : negative) }
    }
  }

  /// A bool tensor holding `test` of each element of a floating-point input.
  private static func floatTest(
    _ invocation: KernelInvocation, _ test: (Double) -> Bool
  ) throws -> [HostTensor?] {
    let x = try invocation.input(0)
    guard x.isFloatingPoint else {
      throw invocation.failure("needs a floating-point input, not \(x.dataType.name)")
    }
    return [try HostTensor(shape: x.shape, values: try invocation.doubleValues(of: x).map(test))]
  }

  private static let unaryOps = [
    "Relu", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Clip", "Elu", "Selu", "Celu",
    "ThresholdedRelu", "Softplus", "Softsign", "Mish", "Gelu", "Tanh", "Erf", "Exp", "Log",
    "Sqrt", "Reciprocal", "Neg", "Abs", "Floor", "Ceil", "Round", "Sign", "Sin", "Cos", "Tan",
    "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Shrink",
  ]
}

/// The libm functions kernels use, by name.
enum RealFunction {
  case exp, log, log1p, tanh, erf, sin, cos, tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh
}

/// Floating-point element types computed natively (Float16 is computed as Float).
protocol RealElement: NumericElement, BinaryFloatingPoint, CastableElement {
  static func apply(_ function: RealFunction, _ x: Self) -> Self
  static func power(_ x: Self, _ y: Self) -> Self
}

extension Float: RealElement {
  static func apply(_ function: RealFunction, _ x: Float) -> Float {
    switch function {
    case .exp: expf(x)
    case .log: logf(x)
    case .log1p: log1pf(x)
    case .tanh: tanhf(x)
    case .erf: erff(x)
    case .sin: sinf(x)
    case .cos: cosf(x)
    case .tan: tanf(x)
    case .asin: asinf(x)
    case .acos: acosf(x)
    case .atan: atanf(x)
    case .sinh: sinhf(x)
    case .cosh: coshf(x)
    case .asinh: asinhf(x)
    case .acosh: acoshf(x)
    case .atanh: atanhf(x)
    }
  }
  static func power(_ x: Float, _ y: Float) -> Float { powf(x, y) }
}

extension Double: RealElement {
  static func apply(_ function: RealFunction, _ x: Double) -> Double {
    switch function {
    case .exp: exp(x)
    case .log: log(x)
    case .log1p: log1p(x)
    case .tanh: tanh(x)
    case .erf: erf(x)
    case .sin: sin(x)
    case .cos: cos(x)
    case .tan: tan(x)
    case .asin: asin(x)
    case .acos: acos(x)
    case .atan: atan(x)
    case .sinh: sinh(x)
    case .cosh: cosh(x)
    case .asinh: asinh(x)
    case .acosh: acosh(x)
    case .atanh: atanh(x)
    }
  }
  static func power(_ x: Double, _ y: Double) -> Double { pow(x, y) }
}

/// Integer element types, computed with wrapping arithmetic.
protocol IntegerElement: NumericElement, FixedWidthInteger, CastableElement {}
extension Int8: IntegerElement {}
extension Int16: IntegerElement {}
extension Int32: IntegerElement {}
extension Int64: IntegerElement {}
extension UInt8: IntegerElement {}
extension UInt16: IntegerElement {}
extension UInt32: IntegerElement {}
extension UInt64: IntegerElement {}

/// Calls a generic function with the Swift type of a float/double or integer tensor.
protocol ArithmeticVisitor {
  associatedtype Result
  func real<T: RealElement>(_ type: T.Type) throws -> Result
  func integer<T: IntegerElement>(_ type: T.Type) throws -> Result
}

extension DataType {
  /// Runs `visitor` for float, double and integer types; throws for any other.
  func acceptArithmetic<V: ArithmeticVisitor>(
    _ visitor: V, for invocation: KernelInvocation
  ) throws -> V.Result {
    switch self {
    case .float: try visitor.real(Float.self)
    case .double: try visitor.real(Double.self)
    case .int8: try visitor.integer(Int8.self)
    case .int16: try visitor.integer(Int16.self)
    case .int32: try visitor.integer(Int32.self)
    case .int64: try visitor.integer(Int64.self)
    case .uint8: try visitor.integer(UInt8.self)
    case .uint16: try visitor.integer(UInt16.self)
    case .uint32: try visitor.integer(UInt32.self)
    case .uint64: try visitor.integer(UInt64.self)
    default: throw invocation.failure("element type \(name) is not supported here")
    }
  }
}

/// Runs `body` with float16 operands converted to float, converting a float result back to
/// float16 when the first operand was float16.
func computingHalfInFloat(
  _ first: HostTensor, _ rest: [HostTensor?], for invocation: KernelInvocation,
  _ body: (HostTensor, [HostTensor?]) throws -> HostTensor
) throws -> HostTensor {
  let widen = { (tensor: HostTensor) in
    tensor.dataType == .float16 ? try castTensor(tensor, to: .float, for: invocation) : tensor
  }
  let result = try body(try widen(first), try rest.map { try $0.map(widen) })
  guard first.dataType == .float16, result.dataType == .float else { return result }
  return try castTensor(result, to: .float16, for: invocation)
}

/// `op` applied to each element of `x`, into a new tensor of the same shape.
func unaryMap<A: TensorElement, R: TensorElement>(
  _ x: HostTensor, as type: A.Type, threads: Int = 1, _ op: (A) -> R
) throws -> HostTensor {
  let result = try HostTensor(uninitialized: R.dataType, shape: x.shape)
  let source = x.elements(as: A.self)
  let out = result.mutableElements(as: R.self)
  elementChunks(out.count, threads) { for i in $0 { out[i] = op(source[i]) } }
  return result
}

private struct UnaryVisitor: ArithmeticVisitor {
  let x: HostTensor
  let extras: [HostTensor?]
  let invocation: KernelInvocation

  func real<T: RealElement>(_ type: T.Type) throws -> HostTensor {
    if let (low, high) = try clampBounds(-T.infinity, T.infinity, fromAttribute: { T($0) }) {
      return try clamped(low, high)
    }
    return try unaryMap(x, as: T.self, threads: invocation.threads, try realFunction(T.self))
  }

  func integer<T: IntegerElement>(_ type: T.Type) throws -> HostTensor {
    if let (low, high) = try clampBounds(T.min, T.max, fromAttribute: { _ in nil }) {
      return try clamped(low, high)
    }
    return try unaryMap(x, as: T.self, threads: invocation.threads, try integerFunction(T.self))
  }

  /// Relu and Clip as the bounds they clamp to; nil for every other op.
  private func clampBounds<T: NumericElement>(
    _ low: T, _ high: T, fromAttribute: (Float) -> T?
  ) throws -> (T, T)? {
    switch invocation.node.opType {
    case "Relu": (T.zero, high)
    case "Clip": try clipBounds(low, high, fromAttribute: fromAttribute)
    default: nil
    }
  }

  /// `x` clamped into [low, high] (NaN stays NaN): Relu and Clip follow nearly every
  /// convolution, so they run as one loop the compiler vectorizes, not a call per element.
  private func clamped<T: NumericElement>(_ low: T, _ high: T) throws -> HostTensor {
    let result = try HostTensor(uninitialized: T.dataType, shape: x.shape)
    let source = x.elements(as: T.self), out = result.mutableElements(as: T.self)
    elementChunks(out.count, invocation.threads) { range in
      for i in range { out[i] = Swift.min(Swift.max(source[i], low), high) }
    }
    return result
  }

  private func attribute<T: RealElement>(_ name: String, _ defaultValue: Float) -> T {
    T(invocation.float(name, default: defaultValue))
  }

  private func realFunction<T: RealElement>(_ type: T.Type) throws -> (T) -> T {
    if let function = try activation(T.self) { return function }
    if let function = mathFunction(T.self) { return function }
    throw invocation.failure("does not support element type \(T.dataType.name)")
  }

  private func activation<T: RealElement>(_ type: T.Type) throws -> ((T) -> T)? {
    switch invocation.node.opType {
    case "LeakyRelu":
      let alpha: T = attribute("alpha", 0.01)
      return { $0 < 0 ? alpha * $0 : $0 }
    case "ThresholdedRelu":
      let alpha: T = attribute("alpha", 1)
      return { $0 > alpha ? $0 : 0 }
    case "Sigmoid": return sigmoid
    case "HardSigmoid":
      let (alpha, beta): (T, T) = (attribute("alpha", 0.2), attribute("beta", 0.5))
      return { clamp01(alpha * $0 + beta) }
    case "HardSwish": return { $0 * clamp01($0 / 6 + 0.5) }
    case "Elu":
      let alpha: T = attribute("alpha", 1)
      return { $0 < 0 ? alpha * (T.apply(.exp, $0) - 1) : $0 }
    case "Celu":
      let alpha: T = attribute("alpha", 1)
      return { $0 < 0 ? alpha * (T.apply(.exp, $0 / alpha) - 1) : $0 }
    case "Selu":
      let alpha: T = attribute("alpha", 1.67326319217681884765625)
      let gamma: T = attribute("gamma", 1.05070102214813232421875)
      return { $0 <= 0 ? gamma * (alpha * T.apply(.exp, $0) - alpha) : gamma * $0 }
    case "Softplus": return softplus
    case "Softsign": return { $0 / (1 + Swift.abs($0)) }
    case "Mish": return { $0 * T.apply(.tanh, softplus($0)) }
    case "Gelu": return try gelu(T.self)
    case "Shrink":
      let (lambda, bias): (T, T) = (attribute("lambd", 0.5), attribute("bias", 0))
      return { $0 < -lambda ? $0 + bias : $0 > lambda ? $0 - bias : 0 }
    default: return nil
    }
  }

  private func gelu<T: RealElement>(_ type: T.Type) throws -> (T) -> T {
    switch invocation.string("approximate", default: "none") {
    case "none":
      let scale = 1 / T(2).squareRoot()
      return { 0.5 * $0 * (1 + T.apply(.erf, $0 * scale)) }
    case "tanh":
      let scale = T(2 / Double.pi).squareRoot()
      return { 0.5 * $0 * (1 + T.apply(.tanh, scale * ($0 + 0.044715 * $0 * $0 * $0))) }
    case let other: throw invocation.failure("has unknown approximate '\(other)'")
    }
  }

  private func mathFunction<T: RealElement>(_ type: T.Type) -> ((T) -> T)? {
    let named: [String: RealFunction] = [
      "Tanh": .tanh, "Erf": .erf, "Exp": .exp, "Log": .log, "Sin": .sin, "Cos": .cos,
      "Tan": .tan, "Asin": .asin, "Acos": .acos, "Atan": .atan, "Sinh": .sinh, "Cosh": .cosh,
      "Asinh": .asinh, "Acosh": .acosh, "Atanh": .atanh,
    ]
    if let function = named[invocation.node.opType] { return { T.apply(function, $0) } }
    switch invocation.node.opType {
    case "Sqrt": return { $0.squareRoot() }
    case "Reciprocal": return { 1 / $0 }
    case "Neg": return { -$0 }
    case "Abs": return { Swift.abs($0) }
    case "Floor": return { $0.rounded(.down) }
    case "Ceil": return { $0.rounded(.up) }
    case "Round": return { $0.rounded(.toNearestOrEven) }
    case "Sign": return { $0 > 0 ? 1 : $0 < 0 ? -1 : $0 }
    default: return nil
    }
  }

  private func integerFunction<T: IntegerElement>(_ type: T.Type) throws -> (T) -> T {
    switch invocation.node.opType {
    case "Neg": return { 0 &- $0 }
    case "Abs": return { $0 < 0 ? 0 &- $0 : $0 }
    case "Sign": return { $0 > 0 ? 1 : $0 < 0 ? 0 &- 1 : 0 }
    case "Shrink":
      let lambda = Double(invocation.float("lambd", default: 0.5))
      let bias = Double(invocation.float("bias", default: 0))
      return { x in
        let value = Double(x)
        return value < -lambda ? HostTensor.element(value + bias) : value > lambda ? HostTensor.element(value - bias) : 0
      }
    default: throw invocation.failure("does not support element type \(T.dataType.name)")
    }
  }

  /// Clip's bounds: the min/max attributes before opset 11, optional scalar inputs after.
  private func clipBounds<T: NumericElement>(
    _ low: T, _ high: T, fromAttribute: (Float) -> T?
  ) throws -> (T, T) {
    guard invocation.opset >= 11 else {
      let attributeLow = fromAttribute(invocation.float("min", default: -Float.infinity))
      let attributeHigh = fromAttribute(invocation.float("max", default: Float.infinity))
      return (attributeLow ?? low, attributeHigh ?? high)
    }
    return (try bound(0, low), try bound(1, high))
  }

  private func bound<T: NumericElement>(_ index: Int, _ defaultValue: T) throws -> T {
    guard index < extras.count, let tensor = extras[index] else { return defaultValue }
    guard tensor.dataType == T.dataType, tensor.elementCount == 1 else {
      throw invocation.failure("needs a \(T.dataType.name) scalar for input \(index + 1)")
    }
    return tensor.elements(as: T.self)[0]
  }
}

private func clamp01<T: RealElement>(_ x: T) -> T { Swift.min(Swift.max(x, 0), 1) }

private func sigmoid<T: RealElement>(_ x: T) -> T {
  if x >= 0 { return 1 / (1 + T.apply(.exp, -x)) }
  let e = T.apply(.exp, x)
  return e / (1 + e)
}

private func softplus<T: RealElement>(_ x: T) -> T {
  x > 0 ? x + T.apply(.log1p, T.apply(.exp, -x)) : T.apply(.log1p, T.apply(.exp, x))
}
