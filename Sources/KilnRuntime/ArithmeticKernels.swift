// Binary and variadic arithmetic kernels with multidirectional broadcasting.

import KilnIR

extension KernelFamily {
  /// Add, Sub, Mul, Div (integers truncate toward zero), Pow (any numeric exponent type), Mod
  /// (fmod attribute), PRelu, BitShift, and the variadic Min, Max, Sum, Mean. Integers wrap on
  /// overflow, and integer division or remainder by zero gives 0. Float16 is computed in Float.
  /// Float32 Add, Sub, Mul and Div take `FloatArithmetic` where it applies, and apply a fused
  /// Relu or Clip (`KernelInvocation.fusedActivation`) on either path.
  static let arithmetic = KernelFamily { registry in
    for op in ["Add", "Sub", "Mul", "Div"] {
      registry.register(op) { invocation in
        let (a, b) = (try invocation.input(0), try invocation.input(1))
        if let result = try FloatArithmetic.compute(a, b, for: invocation) { return [result] }
        return [try activated(binaryArithmetic(a, b, invocation), invocation)]
      }
    }
    for op in ["Mod", "BitShift"] {
      registry.register(op) { invocation in
        [try binaryArithmetic(try invocation.input(0), try invocation.input(1), invocation)]
      }
    }
    registry.register("PRelu") { invocation in
      let x = try invocation.input(0)
      let slope = try legacyChannelSlope(try invocation.input(1), for: x, invocation)
      return [try binaryArithmetic(x, slope, invocation)]
    }
    registry.register("Pow", powKernel)
    for op in ["Min", "Max", "Sum", "Mean"] {
      registry.register(op, variadicKernel)
    }
  }

  /// Before opset 7, PRelu's slope of shape [C] applies per channel (axis 1) rather than
  /// broadcasting from the right, as PyTorch's exports of that era expect.
  private static func legacyChannelSlope(
    _ slope: HostTensor, for x: HostTensor, _ invocation: KernelInvocation
  ) throws -> HostTensor {
    guard invocation.opset < 7, slope.rank == 1, x.rank > 2, slope.shape[0] == x.shape[1] else {
      return slope
    }
    return try slope.reshaped([slope.shape[0]] + [Int](repeating: 1, count: x.rank - 2))
  }

  /// `result` with the invocation's fused activation applied, when it has one (planned only
  /// for float32 results).
  private static func activated(_ result: HostTensor, _ invocation: KernelInvocation) throws -> HostTensor {
    guard let activation = invocation.fusedActivation else { return result }
    guard result.dataType == .float else {
      throw invocation.failure("a fused Relu or Clip needs a float32 result, not \(result.dataType.name)")
    }
    activation.apply(to: result.buffer.pointer.assumingMemoryBound(to: Float.self), count: result.elementCount)
    return result
  }

  /// `a op b` for the invocation's op; both must have the same element type.
  private static func binaryArithmetic(
    _ a: HostTensor, _ b: HostTensor, _ invocation: KernelInvocation
  ) throws -> HostTensor {
    guard a.dataType == b.dataType else {
      throw invocation.failure(
        "needs inputs of one element type, not \(a.dataType.name) and \(b.dataType.name)")
    }
    return try computingHalfInFloat(a, [b], for: invocation) { a, rest in
      let visitor = BinaryVisitor(a: a, b: rest.first.flatMap { $0 } ?? a, invocation: invocation)
      return try a.dataType.acceptArithmetic(visitor, for: invocation)
    }
  }

  /// Min, Max, Sum and Mean: a left fold of the binary op, float16 widened once for the fold.
  private static func variadicKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let operands = try invocation.inputs.indices.map { try invocation.input($0) }
    guard let first = operands.first else { throw invocation.failure("needs at least one input") }
    guard operands.allSatisfy({ $0.dataType == first.dataType }) else {
      throw invocation.failure("needs inputs of one element type")
    }
    return [
      try computingHalfInFloat(first, Array(operands.dropFirst()), for: invocation) { first, rest in
        var result = first
        for case let operand? in rest { result = try binaryArithmetic(result, operand, invocation) }
        guard invocation.node.opType == "Mean", !rest.isEmpty else { return result }
        return try result.dataType.acceptArithmetic(
          MeanVisitor(sum: result, count: operands.count, invocation: invocation), for: invocation)
      }
    ]
  }

  private static func powKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let base = try invocation.input(0)
    let exponent = try invocation.input(1)
    return [
      try computingHalfInFloat(base, [exponent], for: invocation) { base, rest in
        let visitor = PowVisitor(
          base: base, exponent: rest.first.flatMap { $0 } ?? exponent, invocation: invocation)
        return try base.dataType.acceptArithmetic(visitor, for: invocation)
      }
    ]
  }
}

private struct BinaryVisitor: ArithmeticVisitor {
  let a: HostTensor
  let b: HostTensor
  let invocation: KernelInvocation

  func real<T: RealElement>(_ type: T.Type) throws -> HostTensor {
    try broadcastMap(a, b, for: invocation, try realOperation(T.self))
  }

  func integer<T: IntegerElement>(_ type: T.Type) throws -> HostTensor {
    try broadcastMap(a, b, for: invocation, try integerOperation(T.self))
  }

  private func realOperation<T: RealElement>(_ type: T.Type) throws -> (T, T) -> T {
    switch invocation.node.opType {
    case "Add", "Sum", "Mean": return (+)
    case "Sub": return (-)
    case "Mul": return (*)
    case "Div": return (/)
    case "Min": return { $0.isNaN || $0 < $1 ? $0 : $1 }
    case "Max": return { $0.isNaN || $0 > $1 ? $0 : $1 }
    case "PRelu": return { $0 < 0 ? $1 * $0 : $0 }
    case "Mod":
      if try fmod() { return { $0.truncatingRemainder(dividingBy: $1) } }
      return { a, b in
        let r = a.truncatingRemainder(dividingBy: b)
        return r != 0 && (r < 0) != (b < 0) ? r + b : r
      }
    default: throw invocation.failure("does not support element type \(T.dataType.name)")
    }
  }

  private func integerOperation<T: IntegerElement>(_ type: T.Type) throws -> (T, T) -> T {
    switch invocation.node.opType {
    case "Add", "Sum", "Mean": return (&+)
    case "Sub": return (&-)
    case "Mul": return (&*)
    case "Div": return { $1 == 0 ? 0 : $0.dividedReportingOverflow(by: $1).partialValue }
    case "Min": return { Swift.min($0, $1) }
    case "Max": return { Swift.max($0, $1) }
    case "PRelu": return { $0 < 0 ? $1 &* $0 : $0 }
    case "Mod":
      let truncating = try fmod()
      return { a, b in
        guard b != 0 else { return 0 }
        let r = a.remainderReportingOverflow(dividingBy: b).partialValue
        return !truncating && r != 0 && (r < 0) != (b < 0) ? r &+ b : r
      }
    case "BitShift": return try shift(T.self)
    default: throw invocation.failure("does not support element type \(T.dataType.name)")
    }
  }

  private func fmod() throws -> Bool {
    switch invocation.int("fmod", default: 0) {
    case 0: return false
    case 1: return true
    case let other: throw invocation.failure("has fmod \(other); it must be 0 or 1")
    }
  }

  private func shift<T: IntegerElement>(_ type: T.Type) throws -> (T, T) -> T {
    switch invocation.string("direction", default: "") {
    case "LEFT": return { $1 < 0 ? 0 : $0 << $1 }
    case "RIGHT": return { $1 < 0 ? 0 : $0 >> $1 }
    case let other: throw invocation.failure("has direction '\(other)'; it must be LEFT or RIGHT")
    }
  }
}

private struct MeanVisitor: ArithmeticVisitor {
  let sum: HostTensor
  let count: Int
  let invocation: KernelInvocation

  func real<T: RealElement>(_ type: T.Type) throws -> HostTensor {
    let divisor = T(count)
    return try unaryMap(sum, as: T.self) { $0 / divisor }
  }

  func integer<T: IntegerElement>(_ type: T.Type) throws -> HostTensor {
    throw invocation.failure("does not support element type \(T.dataType.name)")
  }
}

/// Pow: the result has the base's type; the exponent may be any numeric type.
private struct PowVisitor: ArithmeticVisitor {
  let base: HostTensor
  let exponent: HostTensor
  let invocation: KernelInvocation

  func real<T: RealElement>(_ type: T.Type) throws -> HostTensor {
    let exponent = try castTensor(self.exponent, to: T.dataType, for: invocation)
    return try broadcastMap(base, exponent, for: invocation) { (x: T, y: T) in T.power(x, y) }
  }

  func integer<T: IntegerElement>(_ type: T.Type) throws -> HostTensor {
    if exponent.dataType.numericType is any BinaryFloatingPoint.Type {
      let exponent = try castTensor(self.exponent, to: .double, for: invocation)
      return try broadcastMap(base, exponent, for: invocation) { (x: T, y: Double) in
        T(castValue: .real(Double.power(Double(x), y)))
      }
    }
    let exponent = try castTensor(self.exponent, to: .int64, for: invocation)
    return try broadcastMap(base, exponent, for: invocation) { (x: T, y: Int64) in
      integerPower(x, y)
    }
  }
}

/// `base` to the integer power `exponent` with wrapping; negative powers truncate toward zero.
private func integerPower<T: IntegerElement>(_ base: T, _ exponent: Int64) -> T {
  if exponent < 0 {
    if base == 1 { return 1 }
    return T.isSigned && base == 0 &- 1 ? (exponent % 2 == 0 ? 1 : base) : 0
  }
  var result: T = 1
  var factor = base
  var remaining = exponent
  while remaining > 0 {
    if remaining & 1 == 1 { result = result &* factor }
    factor = factor &* factor
    remaining >>= 1
  }
  return result
}
