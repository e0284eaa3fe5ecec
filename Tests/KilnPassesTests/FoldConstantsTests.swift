// fold-constants: chains of constant nodes become initializers; growth, size and kernel limits.

import KilnIR
import KilnPasses
import Testing

@Suite("fold-constants")
struct FoldConstantsTests {
  static let chain = opset17 + """
    g (float[2, 3] X) => (float[2, 3] Y) <float[3, 2] W = {1.0, 2.0, 3.0, 4.0, 5.0, 6.0}> {
      T = Transpose(W)
      S = Constant<value = int64[1] {6}>()
      F = Reshape(T, S)
      Two = Constant<value = float {2.0}>()
      M = Mul(F, Two)
      Shp = Constant<value = int64[2] {2, 3}>()
      G = Reshape(M, Shp)
      Y = Add(X, G)
    }
    """

  @Test("a chain over initializers and Constant nodes becomes one initializer")
  func golden() throws {
    try expectGolden(
      pass("fold-constants"), input: Self.chain,
      expected: opset17 + """
        g (float[2, 3] X) => (float[2, 3] Y) <float[2, 3] G = {2.0, 6.0, 10.0, 4.0, 8.0, 12.0}> {
          Y = Add(X, G)
        }
        """)
  }

  @Test("a folded graph output stays a graph output with its name")
  func graphOutput() throws {
    try expectGolden(
      pass("fold-constants"),
      input: opset17 + """
        g (float[2] X) => (float[2] Z, float[2] Y) <float[2] A = {1.0, 2.0}, float[2] B = {3.0, 4.0}> {
          Z = Relu(X)
          Y = Add(A, B)
        }
        """,
      expected: opset17 + """
        g (float[2] X) => (float[2] Z, float[2] Y) <float[2] Y = {4.0, 6.0}> {
          Z = Relu(X)
        }
        """)
  }

  @Test("outputs do not change")
  func numbers() throws {
    try expectSameNumbers([pass("fold-constants")], input: Self.chain)
    try expectSameNumbers(
      [pass("fold-constants")],
      input: opset17 + """
        g (float[4] X) => (float[2, 4] Y) {
          S = Constant<value = int64[2] {2, 4}>()
          C = ConstantOfShape<value = float[1] {0.5}>(S)
          Start = Constant<value = float {0.0}>()
          Limit = Constant<value = float {4.0}>()
          Delta = Constant<value = float {1.0}>()
          R = Range(Start, Limit, Delta)
          E = Add(C, R)
          Y = Mul(E, X)
        }
        """)
  }

  static let growing = opset17 + """
    g (float[1024, 1024] X) => (float[1024, 1024] Y) {
      S = Constant<value = int64[2] {1024, 1024}>()
      C = ConstantOfShape<value = float[1] {1.0}>(S)
      Y = Add(X, C)
    }
    """

  @Test("a small ConstantOfShape over max-growth is not folded, and says why")
  func growthLimit() throws {
    try expectUnchanged(pass("fold-constants"), input: Self.growing)
    let report = try runPasses([pass("fold-constants")], on: model(Self.growing))
    #expect(report.notes.contains { $0.node == "C" && $0.message.contains("max-growth") })
    let subject = try model(Self.growing)
    try runPasses([pass("fold-constants", [("max-growth", "8MiB")])], on: subject)
    #expect(subject.graph.nodes.map(\.opType) == ["Add"])
  }

  @Test("an Expand and a Tile over a small max-growth stay; max-size caps any output")
  func smallLimits() throws {
    let text = opset17 + """
      g (float[4, 8] X) => (float[4, 8] Y) <float[1] A = {1.0}, int64[2] S = {4, 8}, int64[2] R = {4, 8}> {
        E = Expand(A, S)
        T = Tile(E, R)
        Y = Add(X, E)
      }
      """
    try expectUnchanged(pass("fold-constants", [("max-growth", "64B")]), input: text)
    try expectUnchanged(pass("fold-constants", [("max-size", "100B")]), input: text)
  }

  @Test("a node whose kernel rejects its input is left alone with a note")
  func kernelError() throws {
    let text = opset17 + """
      g (float[4] X) => (float[4] Y) <float[6] A = {1.0, 2.0, 3.0, 4.0, 5.0, 6.0}, int64[1] S = {4}> {
        R = Reshape(A, S)
        Y = Add(X, R)
      }
      """
    try expectUnchanged(pass("fold-constants"), input: text)
    let report = try runPasses([pass("fold-constants")], on: model(text))
    #expect(report.notes.contains { $0.node == "R" && $0.message.contains("could not evaluate") })
  }

  @Test("random ops, DequantizeLinear and nodes reading graph inputs stay")
  func negative() throws {
    try expectUnchanged(
      pass("fold-constants"),
      input: opset17 + """
        g (float[2] X) => (float[2] Y, float[2] Z, float[2] Q) <float[2] A = {1.0, 2.0}, int8[2] W = {1, 2}, float S = {0.5}> {
          R = RandomUniformLike(A)
          Y = Add(X, R)
          Z = Relu(X)
          Q = DequantizeLinear(W, S)
        }
        """)
  }
}
