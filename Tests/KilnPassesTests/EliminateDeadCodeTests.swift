// eliminate-dead-code: golden, numerical and negative cases.

import KilnIR
import KilnPasses
import Testing

@Suite("eliminate-dead-code")
struct EliminateDeadCodeTests {
  static let deadChain = opset17 + """
    g (float[2, 3] X) => (float[2, 3] Y) {
      T = Relu(X)
      U = Neg(T)
      Y = Sigmoid(X)
    }
    """

  @Test("a dead chain goes in one run")
  func golden() throws {
    try expectGolden(
      pass("eliminate-dead-code"), input: Self.deadChain,
      expected: opset17 + "g (float[2, 3] X) => (float[2, 3] Y) { Y = Sigmoid(X) }")
  }

  @Test("dead nodes inside an If branch go too")
  func subgraph() throws {
    let input = opset17 + """
      g (float[2] X, bool c) => (float[2] Y) {
        Y = If(c) <then_branch = t () => (float[2] a) { d = Neg(X) a = Relu(X) },
                   else_branch = e () => (float[2] b) { b = Sigmoid(X) }>
      }
      """
    let expected = opset17 + """
      g (float[2] X, bool c) => (float[2] Y) {
        Y = If(c) <then_branch = t () => (float[2] a) { a = Relu(X) },
                   else_branch = e () => (float[2] b) { b = Sigmoid(X) }>
      }
      """
    try expectGolden(pass("eliminate-dead-code"), input: input, expected: expected)
  }

  @Test("outputs do not change")
  func numbers() throws {
    try expectSameNumbers([pass("eliminate-dead-code")], input: Self.deadChain)
  }

  @Test("graph outputs, values read by a subgraph, and custom ops stay")
  func negative() throws {
    try expectUnchanged(
      pass("eliminate-dead-code"),
      input: #"<ir_version: 8, opset_import: ["" : 17, "com.example" : 1]>"# + """
        g (float[2] X, bool c) => (float[2] Y, float[2] Z) {
          T = com.example.Log(X)
          Z = Relu(X)
          C = Neg(X)
          Y = If(c) <then_branch = t () => (float[2] a) { a = Relu(C) },
                     else_branch = e () => (float[2] b) { b = Sigmoid(C) }>
        }
        """)
  }
}
