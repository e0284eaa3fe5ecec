// eliminate-unused-initializers: unread constants go, overridable inputs stay.

import KilnIR
import KilnPasses
import Testing

@Suite("eliminate-unused-initializers")
struct EliminateUnusedInitializersTests {
  static let unused = opset17 + """
    g (float[2] X) => (float[2] Y) <float[2] W = {1.0, 2.0}, float[2] U = {3.0, 4.0}> {
      Y = Add(X, W)
    }
    """

  @Test("an unread initializer goes")
  func golden() throws {
    try expectGolden(
      pass("eliminate-unused-initializers"), input: Self.unused,
      expected: opset17 + "g (float[2] X) => (float[2] Y) <float[2] W = {1.0, 2.0}> { Y = Add(X, W) }")
  }

  @Test("outputs do not change")
  func numbers() throws {
    try expectSameNumbers([pass("eliminate-unused-initializers")], input: Self.unused)
  }

  @Test("initializers that are graph inputs, outputs, or read in a subgraph stay")
  func negative() throws {
    try expectUnchanged(
      pass("eliminate-unused-initializers"),
      input: opset17 + """
        g (float[2] X, float[2] D = {5.0, 6.0}, bool c) => (float[2] Y, float[2] O) <float[2] O = {7.0, 8.0}, float[2] S = {1.0, 1.0}> {
          Y = If(c) <then_branch = t () => (float[2] a) { a = Add(X, S) },
                     else_branch = e () => (float[2] b) { b = Relu(X) }>
        }
        """)
  }
}
