// Unary math and activation kernels, and the shared helper that runs one kernel on tensors.

import Foundation
import KilnIR
import KilnRuntime
import Testing

/// Runs the standard kernel for `op` at `opset` on `inputs` (nil for an omitted input) with
/// `threads` threads, and with `fusedActivation` as if the executor had folded one into it.
func runKernel(
  _ op: String, _ inputs: [HostTensor?], attributes: [Attribute] = [], opset: Int64 = 21,
  threads: Int = 1, fusedActivation: FusedActivation? = nil
) throws -> HostTensor {
  let node = Node(
    name: "n", opType: op, inputs: inputs.map { _ in Value(name: "in") },
    outputs: [Value(name: "out")], attributes: attributes)
  guard let kernel = KernelRegistry.standard.kernel(for: node) else {
    throw KilnError.internalError("no kernel for \(op)")
  }
  var invocation = KernelInvocation(node: node, opset: opset, inputs: inputs, threads: threads)
  invocation.fusedActivation = fusedActivation
  let outputs = try kernel(invocation)
  guard let first = outputs.first, let result = first else {
    throw KilnError.internalError("\(op) gave no output")
  }
  return result
}

/// A float32 tensor.
func floats(_ values: [Float], _ shape: [Int]? = nil) throws -> HostTensor {
  try HostTensor(shape: shape ?? [values.count], values: values)
}

/// True when `actual` matches `expected` within `tolerance` elementwise.
func close(_ actual: [Float], _ expected: [Float], _ tolerance: Float = 1e-5) -> Bool {
  actual.count == expected.count
    && zip(actual, expected).allSatisfy {
      abs($0 - $1) <= tolerance * max(1, abs($1)) || ($0.isNaN && $1.isNaN)
    }
}

@Test func activationsMatchTheirDefinitions() throws {
  let x = try floats([-2, -0.5, 0, 1.5])
  let cases: [(String, [Attribute], [Float])] = [
    ("Relu", [], [0, 0, 0, 1.5]),
    ("LeakyRelu", [Attribute("alpha", .float(0.1))], [-0.2, -0.05, 0, 1.5]),
    ("LeakyRelu", [], [-0.02, -0.005, 0, 1.5]),
    ("Sigmoid", [], [0.11920292, 0.37754067, 0.5, 0.81757448]),
    ("HardSigmoid", [], [0.1, 0.4, 0.5, 0.8]),
    ("HardSwish", [], [-0.33333334, -0.20833333, 0, 1.125]),
    ("Elu", [Attribute("alpha", .float(2))], [-1.7293294, -0.78693868, 0, 1.5]),
    ("Selu", [], [-1.5201665, -0.6917582, 0, 1.5760515]),
    ("Softplus", [], [0.12692801, 0.47407698, 0.69314718, 1.7014133]),
    ("Softsign", [], [-0.6666667, -0.33333334, 0, 0.6]),
    ("Tanh", [], [-0.96402758, -0.46211716, 0, 0.90514825]),
    ("Erf", [], [-0.99532227, -0.52049988, 0, 0.96610515]),
    ("Exp", [], [0.13533528, 0.60653066, 1, 4.4816891]),
    ("Neg", [], [2, 0.5, 0, -1.5]),
    ("Abs", [], [2, 0.5, 0, 1.5]),
    ("Floor", [], [-2, -1, 0, 1]),
    ("Ceil", [], [-2, -0, 0, 2]),
    ("Round", [], [-2, -0, 0, 2]),
    ("Sign", [], [-1, -1, 0, 1]),
    ("Gelu", [], [-0.04550026, -0.15426877, 0, 1.3997892]),
    (
      "Gelu", [Attribute("approximate", .string(Data("tanh".utf8)))],
      [-0.04540231, -0.15428599, 0, 1.3995716]
    ),
    ("Mish", [], [-0.25250148, -0.22074377, 0, 1.4033783]),
  ]
  for (op, attributes, expected) in cases {
    let result = try runKernel(op, [x], attributes: attributes)
    #expect(result.shape == [4])
    #expect(close(result.scalars(as: Float.self), expected), "\(op) \(attributes.map(\.name))")
  }
}

@Test func mathFunctionsHandleDomainsAndRoundHalfToEven() throws {
  let x = try floats([0.5, 1.5, 2.5, 4])
  #expect(try runKernel("Round", [x]).scalars(as: Float.self) == [0, 2, 2, 4])
  #expect(
    try runKernel("Sqrt", [x]).scalars(as: Float.self) == [
      Float(0.5).squareRoot(), Float(1.5).squareRoot(), Float(2.5).squareRoot(), 2,
    ])
  #expect(try runKernel("Reciprocal", [x]).scalars(as: Float.self) == [2, 1 / 1.5, 0.4, 0.25])
  let log = try runKernel("Log", [try floats([1, 0, -1])]).scalars(as: Float.self)
  #expect(log[0] == 0 && log[1] == -.infinity && log[2].isNaN)
  #expect(close(try runKernel("Sin", [try floats([0, .pi / 2])]).scalars(as: Float.self), [0, 1]))
  #expect(close(try runKernel("Cos", [try floats([0, .pi])]).scalars(as: Float.self), [1, -1]))
}

@Test func clipTakesAttributesBeforeOpset11AndInputsAfter() throws {
  let x = try floats([-3, 0, 3])
  let old = try runKernel(
    "Clip", [x], attributes: [Attribute("min", .float(-1)), Attribute("max", .float(2))], opset: 6)
  #expect(old.scalars(as: Float.self) == [-1, 0, 2])
  let onlyMax = try runKernel("Clip", [x, nil, try HostTensor(scalar: Float(1))])
  #expect(onlyMax.scalars(as: Float.self) == [-3, 0, 1])
  let ints = try HostTensor(shape: [3], values: [Int8(-128), 5, 127])
  let clipped = try runKernel(
    "Clip", [ints, try HostTensor(scalar: Int8(-5)), try HostTensor(scalar: Int8(100))])
  #expect(clipped.scalars(as: Int8.self) == [-5, 5, 100])
  #expect(try runKernel("Clip", [ints]).scalars(as: Int8.self) == [-128, 5, 127])
}

@Test func halfAndDoubleAndIntegerInputsKeepTheirType() throws {
  let half = try HostTensor(shape: [2], values: [Float16(-1), Float16(2)])
  let relu = try runKernel("Relu", [half])
  #expect(relu.dataType == .float16 && relu.scalars(as: Float16.self) == [0, 2])
  let double = try HostTensor(shape: [2], values: [Double(-1), 4])
  #expect(try runKernel("Sqrt", [double]).scalars(as: Double.self)[1] == 2)
  let ints = try HostTensor(shape: [3], values: [Int32.min, -3, 7])
  #expect(try runKernel("Neg", [ints]).scalars(as: Int32.self) == [Int32.min, 3, -7])
  #expect(try runKernel("Abs", [ints]).scalars(as: Int32.self) == [Int32.min, 3, 7])
  #expect(try runKernel("Sign", [ints]).scalars(as: Int32.self) == [-1, -1, 1])
}

@Test func unaryBadInputsAreErrors() throws {
  let ints = try HostTensor(shape: [1], values: [Int32(4)])
  #expect(throws: KilnError.self) { try runKernel("Sqrt", [ints]) }
  #expect(throws: KilnError.self) {
    try runKernel("Relu", [try HostTensor(shape: [1], values: [true])])
  }
  #expect(throws: KilnError.self) { try runKernel("Relu", []) }
  #expect(throws: KilnError.self) {
    try runKernel("Clip", [try floats([1]), try floats([0, 1])])
  }
  #expect(throws: KilnError.self) {
    try runKernel("Clip", [try floats([1]), try HostTensor(scalar: Double(0))])
  }
  #expect(throws: KilnError.self) {
    try runKernel(
      "Gelu", [try floats([1])], attributes: [Attribute("approximate", .string(Data("x".utf8)))])
  }
}

@Test func isNaNAndIsInfTestFloatsAndGiveBools() throws {
  let x = try floats([1, .nan, .infinity, -.infinity])
  #expect(try runKernel("IsNaN", [x]).scalars(as: Bool.self) == [false, true, false, false])
  #expect(try runKernel("IsInf", [x]).scalars(as: Bool.self) == [false, false, true, true])
  let positive = try runKernel("IsInf", [x], attributes: [Attribute("detect_negative", .int(0))])
  #expect(positive.scalars(as: Bool.self) == [false, false, true, false])
  let half = try HostTensor(shape: [2], values: [Float16.nan, -Float16.infinity])
  #expect(try runKernel("IsInf", [half], attributes: [Attribute("detect_positive", .int(0))]).scalars(as: Bool.self) == [false, true])
  #expect(throws: KilnError.self) { try runKernel("IsNaN", [try HostTensor(shape: [1], values: [Int32(1)])]) }
}

@Test func shrinkZeroesTheBandAndShiftsTheRest() throws {
  let x = try floats([-2, -1, 0, 1, 2])
  let soft = try runKernel("Shrink", [x], attributes: [Attribute("lambd", .float(1.5)), Attribute("bias", .float(1.5))])
  #expect(soft.scalars(as: Float.self) == [-0.5, 0, 0, 0, 0.5])
  let hard = try runKernel("Shrink", [x], attributes: [Attribute("lambd", .float(1.5))])
  #expect(hard.scalars(as: Float.self) == [-2, 0, 0, 0, 2])
  let ints = try HostTensor(shape: [3], values: [Int32(-3), 1, 5])
  let shrunk = try runKernel("Shrink", [ints], attributes: [Attribute("lambd", .float(1)), Attribute("bias", .float(1))])
  #expect(shrunk.scalars(as: Int32.self) == [-2, 0, 4])
}
