// Comparison, logic and selection kernels: Equal, Less, Greater, And, Or, Xor, Not, Where.

import KilnIR

extension KernelFamily {
  /// Equal, Less, LessOrEqual, Greater, GreaterOrEqual (numeric or bool inputs, bool output;
  /// NaN compares false), the bool logic ops Not, And, Or, Xor, and Where (three-way
  /// broadcasting, any element type). Inputs broadcast NumPy-style.
  static let comparisonAndLogic = KernelFamily { registry in
    for op in ["Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual"] {
      registry.register(op, comparisonKernel)
    }
    let logic: [String: @Sendable (Bool, Bool) -> Bool] = [
      "And": { $0 && $1 }, "Or": { $0 || $1 }, "Xor": { $0 != $1 },
    ]
    for (op, function) in logic {
      registry.register(op) { invocation in
        let (a, b) = (try invocation.input(0), try invocation.input(1))
        try requireBool([a, b], invocation)
        return [try broadcastMap(a, b, for: invocation, function)]
      }
    }
    registry.register("Not") { invocation in
      let x = try invocation.input(0)
      try requireBool([x], invocation)
      return [try unaryMap(x, as: Bool.self) { !$0 }]
    }
    registry.register("Where", whereKernel)
  }

  private static func requireBool(_ tensors: [HostTensor], _ invocation: KernelInvocation) throws {
    guard tensors.allSatisfy({ $0.dataType == .bool }) else {
      throw invocation.failure("needs bool inputs")
    }
  }

  private static func comparisonKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let (a, b) = (try invocation.input(0), try invocation.input(1))
    guard a.dataType == b.dataType else {
      throw invocation.failure(
        "needs inputs of one element type, not \(a.dataType.name) and \(b.dataType.name)")
    }
    if a.dataType == .bool {
      let integers = try [a, b].map { try castTensor($0, to: .uint8, for: invocation) }
      return [try compare(integers[0], integers[1], invocation)]
    }
    return [try compare(a, b, invocation)]
  }

  private static func compare(
    _ a: HostTensor, _ b: HostTensor, _ invocation: KernelInvocation
  ) throws -> HostTensor {
    try computingHalfInFloat(a, [b], for: invocation) { a, rest in
      let visitor = CompareVisitor(a: a, b: rest.first.flatMap { $0 } ?? a, invocation: invocation)
      return try a.dataType.acceptArithmetic(visitor, for: invocation)
    }
  }

  private static func whereKernel(_ invocation: KernelInvocation) throws -> [HostTensor?] {
    let (condition, x, y) = (
      try invocation.input(0), try invocation.input(1), try invocation.input(2)
    )
    try requireBool([condition], invocation)
    guard x.dataType == y.dataType else {
      throw invocation.failure(
        "needs X and Y of one element type, not \(x.dataType.name) and \(y.dataType.name)")
    }
    return [
      try x.dataType.accept(WhereVisitor(condition: condition, x: x, y: y, invocation: invocation))
    ]
  }
}

private struct CompareVisitor: ArithmeticVisitor {
  let a: HostTensor
  let b: HostTensor
  let invocation: KernelInvocation

  func real<T: RealElement>(_ type: T.Type) throws -> HostTensor {
    try broadcastMap(a, b, for: invocation, try comparison(T.self))
  }

  func integer<T: IntegerElement>(_ type: T.Type) throws -> HostTensor {
    try broadcastMap(a, b, for: invocation, try comparison(T.self))
  }

  private func comparison<T: NumericElement>(_ type: T.Type) throws -> (T, T) -> Bool {
    switch invocation.node.opType {
    case "Equal": return (==)
    case "Less": return (<)
    case "LessOrEqual": return (<=)
    case "Greater": return (>)
    case "GreaterOrEqual": return (>=)
    default: throw invocation.failure("is not a comparison")
    }
  }
}

private struct WhereVisitor: ElementVisitor {
  let condition: HostTensor
  let x: HostTensor
  let y: HostTensor
  let invocation: KernelInvocation

  func visit<T: TensorElement>(_ type: T.Type) throws -> HostTensor {
    try broadcastMap(condition, x, y, for: invocation) { (c: Bool, a: T, b: T) in c ? a : b }
  }
}
