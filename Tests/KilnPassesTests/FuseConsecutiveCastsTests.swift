// fuse-consecutive-casts: exact widenings fuse or vanish; lossy middles never fuse.

import KilnIR
import KilnPasses
import KilnRuntime
import Testing

@Suite("fuse-consecutive-casts")
struct FuseConsecutiveCastsTests {
  static let widenings = opset17 + """
    g (float[4] X, bool[4] B) => (float[4] Y, float16[4] H, float[4] F) {
      D = Cast<to = 11>(X)
      Y0 = Cast<to = 1>(D)
      Y = Relu(Y0)
      E = Cast<to = 11>(X)
      H = Cast<to = 10>(E)
      I = Cast<to = 6>(B)
      F = Cast<to = 1>(I)
    }
    """

  @Test("float → double → float goes; float → double → float16 and bool → int32 → float become one Cast")
  func golden() throws {
    try expectGolden(
      pass("fuse-consecutive-casts"), input: Self.widenings,
      expected: opset17 + """
        g (float[4] X, bool[4] B) => (float[4] Y, float16[4] H, float[4] F) {
          Y = Relu(X)
          H = Cast<to = 10>(X)
          F = Cast<to = 1>(B)
        }
        """)
  }

  @Test("int32 → int64 → int32 goes; a first Cast with another reader stays")
  func integers() throws {
    try expectGolden(
      pass("fuse-consecutive-casts"),
      input: opset17 + """
        g (int32[4] I) => (int32[4] J, int64[4] L) {
          L = Cast<to = 7>(I)
          J0 = Cast<to = 6>(L)
          J = Neg(J0)
        }
        """,
      expected: opset17 + """
        g (int32[4] I) => (int32[4] J, int64[4] L) {
          L = Cast<to = 7>(I)
          J = Neg(I)
        }
        """)
  }

  @Test("outputs do not change")
  func numbers() throws {
    try expectSameNumbers([pass("fuse-consecutive-casts")], input: Self.widenings)
  }

  @Test("the table: widenings that hold every value, nothing that rounds, truncates or wraps")
  func table() {
    #expect(FuseConsecutiveCasts.isExact(from: .float, to: .double))
    #expect(FuseConsecutiveCasts.isExact(from: .int32, to: .int64))
    #expect(FuseConsecutiveCasts.isExact(from: .uint8, to: .float16))
    #expect(!FuseConsecutiveCasts.isExact(from: .float, to: .float16))
    #expect(!FuseConsecutiveCasts.isExact(from: .uint16, to: .float16))
    #expect(!FuseConsecutiveCasts.isExact(from: .int32, to: .float))
    #expect(!FuseConsecutiveCasts.isExact(from: .int64, to: .double))
    #expect(!FuseConsecutiveCasts.isExact(from: .double, to: .float))
    #expect(!FuseConsecutiveCasts.isExact(from: .float16, to: .bfloat16))
  }

  @Test("float → float16 → float, float → int32 → float, int64 → int32 → int64, int64 → double → int64 stay")
  func negative() throws {
    try expectUnchanged(
      pass("fuse-consecutive-casts"),
      input: opset17 + """
        g (float[4] X, int64[4] I) => (float[4] Y, float[4] Z, int64[4] K, int64[4] M) {
          H = Cast<to = 10>(X)
          Y = Cast<to = 1>(H)
          T = Cast<to = 6>(X)
          Z = Cast<to = 1>(T)
          N = Cast<to = 6>(I)
          K = Cast<to = 7>(N)
          D = Cast<to = 11>(I)
          M = Cast<to = 7>(D)
        }
        """)
  }

  @Test("a skipped lossy pair says why")
  func note() throws {
    let subject = try model(opset17 + "g (float[3] X) => (float[3] Y) { H = Cast<to = 10>(X) Y = Cast<to = 1>(H) }")
    let report = try runPasses([pass("fuse-consecutive-casts")], on: subject)
    #expect(report.notes.map(\.message) == ["skipped: float32 → float16 may change values"])
  }

  @Test("why float → float16 → float must stay: the round trip changes values")
  func lossyMiddleChangesNumbers() throws {
    let subject = try model(opset17 + "g (float[3] X) => (float[3] Y) { H = Cast<to = 10>(X) Y = Cast<to = 1>(H) }")
    let x: [Float] = [0.1, 1.0 / 3.0, 70000]
    let result = try Executor(model: subject).run(["X": HostTensor(shape: [3], values: x)])
    let y = try #require(result["Y"]?.doubleValues())
    #expect(zip(x, y).allSatisfy { Double($0) != $1 })
  }
}
