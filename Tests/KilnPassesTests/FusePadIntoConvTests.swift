// fuse-pad-into-conv: zero Pad into Conv pads in each Pad form; what it must leave.

import KilnIR
import KilnPasses
import Testing

@Suite("fuse-pad-into-conv")
struct FusePadIntoConvTests {
  static let weights = "float[2, 1, 3, 3] W = {\(numberList(18, seed: 1))}"

  static let input = opset17 + """
    g (float[1, 1, 5, 5] X) => (float[1, 2, 7, 5] Y) <\(weights), int64[8] P = {0, 0, 1, 0, 0, 0, 2, 1}> {
      T = Pad(X, P)
      Y = Conv<pads = [1, 1, 0, 0]>(T, W)
    }
    """

  @Test("opset 11+ inputs: pads add to the Conv's own")
  func golden() throws {
    try expectGolden(
      pass("fuse-pad-into-conv"), input: Self.input,
      expected: opset17 + """
        g (float[1, 1, 5, 5] X) => (float[1, 2, 7, 5] Y) <\(Self.weights), int64[8] P = {0, 0, 1, 0, 0, 0, 2, 1}> {
          Y = Conv<pads = [2, 1, 2, 1]>(X, W)
        }
        """)
  }

  @Test("opset 10 attributes and opset 18 axes with a zero constant_value")
  func otherForms() throws {
    let v10 = #"<ir_version: 5, opset_import: ["" : 10]>"#
    try expectGolden(
      pass("fuse-pad-into-conv"),
      input: v10 + """
        g (float[1, 1, 5, 5] X) => (float[1, 2, 5, 5] Y) <\(Self.weights)> {
          T = Pad<pads = [0, 0, 1, 1, 0, 0, 1, 1]>(X)
          Y = Conv(T, W)
        }
        """,
      expected: v10 + """
        g (float[1, 1, 5, 5] X) => (float[1, 2, 5, 5] Y) <\(Self.weights)> {
          Y = Conv<pads = [1, 1, 1, 1]>(X, W)
        }
        """)
    let v18 = #"<ir_version: 8, opset_import: ["" : 18]>"#
    try expectGolden(
      pass("fuse-pad-into-conv"),
      input: v18 + """
        g (float[1, 1, 5, 5] X) => (float[1, 2, 3, 6] Y) <\(Self.weights), int64[2] P = {2, 1}, int64[1] A = {-1}, float Z = {0.0}> {
          T = Pad(X, P, Z, A)
          Y = Conv(T, W)
        }
        """,
      expected: v18 + """
        g (float[1, 1, 5, 5] X) => (float[1, 2, 3, 6] Y) <\(Self.weights), int64[2] P = {2, 1}, int64[1] A = {-1}, float Z = {0.0}> {
          Y = Conv<pads = [0, 2, 0, 1]>(X, W)
        }
        """)
  }

  @Test("outputs do not change")
  func numbers() throws {
    try expectSameNumbers([pass("fuse-pad-into-conv")], input: Self.input, tolerance: 1e-6)
  }

  @Test("reflect mode, a non-zero value, channel pads, negative pads, auto_pad and a second reader stay")
  func negative() throws {
    try expectDeclined(
      pass("fuse-pad-into-conv"),
      input: opset17 + """
        g (float[1, 1, 5, 5] X) => (float[1, 2, 5, 5] Y1, float[1, 2, 5, 5] Y2, float[1, 2, 5, 5] Y3, float[1, 2, 3, 3] Y4, float[1, 2, 5, 5] Y5, float[1, 2, 5, 5] Y6, float[1, 1, 7, 7] Z6) <\(Self.weights), int64[8] P = {0, 0, 1, 1, 0, 0, 1, 1}, int64[8] Pc = {0, 1, 1, 1, 0, 0, 1, 1}, int64[8] Pn = {0, 0, -1, 0, 0, 0, 1, 0}, float One = {1.0}> {
          T1 = Pad<mode = "reflect">(X, P)
          Y1 = Conv(T1, W)
          T2 = Pad(X, P, One)
          Y2 = Conv(T2, W)
          T3 = Pad(X, Pc)
          Y3 = Conv(T3, W)
          T4 = Pad(X, Pn)
          Y4 = Conv(T4, W)
          T5 = Pad(X, P)
          Y5 = Conv<auto_pad = "SAME_UPPER">(T5, W)
          Z6 = Pad(X, P)
          Y6 = Conv(Z6, W)
        }
        """,
      reasons: ["reflect", "not 0", "batch or channel axis, or crops", "auto_pad", "has more than one user"])
  }
}
