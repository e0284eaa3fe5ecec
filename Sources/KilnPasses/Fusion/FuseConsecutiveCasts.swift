// fuse-consecutive-casts: a Cast through a type that loses nothing becomes one Cast (or none).

import KilnIR

/// Removes the middle type of two Casts in a row when it holds every value of the input
/// type exactly:
///
///     Cast(Cast(x: A, to=B), to=C)   →   Cast(x, to=C)     when A → B is exact
///     Cast(Cast(x: A, to=B), to=A)   →   x                 when A → B is exact
///
/// If every value of A is a value of B, the first Cast changes no value, so the second
/// converts the same number the fused Cast converts (rounding, truncation and saturation act
/// on that number once either way). The exact widenings (`exactTargets`) are:
///
///     bool            → every integer type, float16, bfloat16, float, double
///     uint8           → uint16, uint32, uint64, int16, int32, int64, float16, bfloat16, float, double
///     int8            → int16, int32, int64, float16, bfloat16, float, double
///     uint16          → uint32, uint64, int32, int64, float, double
///     int16           → int32, int64, float, double
///     uint32          → uint64, int64, double
///     int32           → int64, double
///     float16         → float, double
///     bfloat16        → float, double
///     float           → double
///
/// Integers fit when the range does; in a floating-point type when they also fit in its
/// significand (11 bits for float16, 8 for bfloat16, 24 for float, 53 for double). Nothing
/// else is exact, so nothing else fuses: float → float16 → float rounds to float16 (the
/// round-trip is not the identity), float → int32 → float truncates, int64 → int32 → int64
/// wraps, int64 → double → int64 loses above 2^53; uint64 and int64 have no exact wider type;
/// float8, int4 and other narrow types are never an exact middle. Declines (with a note) when
/// the input's element type is unknown or the widening is not in the table. The first Cast
/// stays if something else reads it; a cancelling pair whose output is a graph output that
/// `x` cannot take over (a graph input, say) is fused into `Cast(x, to=A)` instead of removed.
public struct FuseConsecutiveCasts: Pass {
  public static let name = "fuse-consecutive-casts"
  public static let summary = "Fuse Cast(Cast(x)) when the middle type holds every input value exactly."

  public init(options: PassOptions) {}

  /// For each type, the types that hold every one of its values exactly.
  static let exactTargets: [DataType: Set<DataType>] = {
    let integers: Set<DataType> = [.int8, .uint8, .int16, .uint16, .int32, .uint32, .int64, .uint64]
    return [
      .bool: integers.union([.float16, .bfloat16, .float, .double]),
      .uint8: [.uint16, .uint32, .uint64, .int16, .int32, .int64, .float16, .bfloat16, .float, .double],
      .int8: [.int16, .int32, .int64, .float16, .bfloat16, .float, .double],
      .uint16: [.uint32, .uint64, .int32, .int64, .float, .double],
      .int16: [.int32, .int64, .float, .double],
      .uint32: [.uint64, .int64, .double],
      .int32: [.int64, .double],
      .float16: [.float, .double],
      .bfloat16: [.float, .double],
      .float: [.double],
    ]
  }()

  /// Whether casting any value of `source` to `target` gives the same value.
  public static func isExact(from source: DataType, to target: DataType) -> Bool {
    source == target || exactTargets[source]?.contains(target) == true
  }

  static let rule = RewriteRule(
    .op("Cast", "second", inputs: [.op("Cast", "first", inputs: [.any("x")])])
  ) { match, graph, context in
    let first = try match.node("first")
    let second = try match.node("second")
    let x = try match.value("x")
    guard let source = x.elementType else {
      context.note("skipped: the element type of the first Cast's input is unknown", at: second)
      return false
    }
    let middle = DataType(rawValue: Int32(truncatingIfNeeded: first.int("to", default: 0)))
    guard isExact(from: source, to: middle) else {
      context.note("skipped: \(source.name) → \(middle.name) may change values", at: second)
      return false
    }
    let backToSource = Int64(source.rawValue) == second.int("to", default: -1)
    if !(backToSource && graph.bypass(second, with: x)) { second.setInput(0, x) }
    graph.removeDeadNodes([first])
    return true
  }

  public func run(on graph: Graph, context: PassContext) throws -> Bool {
    try Self.rule.apply(to: graph, context: context) > 0
  }
}
