// A constant-mode Pad read in any of its opset forms, for fusing it into the op that reads it.

import KilnIR

/// What a constant-mode Pad node does, per axis of its input.
///
/// Pad's forms: opset 1 has attributes `paddings` and `value`; opsets 2–10 `pads` and `value`;
/// from 11 the pads and the optional constant value are inputs; from 18 an optional `axes`
/// input names the axes the pads are for. Every part must be a constant no caller overrides.
struct ConstantPad {
  /// Elements added before each axis.
  var begins: [Int64]
  /// Elements added after each axis.
  var ends: [Int64]
  /// The padding value.
  var value: Double

  /// The rank of the padded input.
  var rank: Int { begins.count }

  /// Reads `pad`; `rank` is the input's rank when known (needed only with `axes`).
  init(_ pad: Node, opset: Int64, rank: Int?, graph: Graph) throws(Declined) {
    let mode = pad.string("mode") ?? "constant"
    guard mode == "constant" else { throw Declined("the Pad's mode is \(mode), not constant") }
    let pads: [Int64]
    var axes: [Int64]?
    if opset < 11 {
      guard let given = pad.ints("pads") ?? pad.ints("paddings") else { throw Declined("the Pad has no pads") }
      pads = given
      value = Double(pad.float("value", default: 0))
    } else {
      pads = try Self.integers(pad, input: 1, graph: graph, what: "pads")
      value = try Self.constantValue(pad, graph: graph)
      if opset >= 18, pad.inputs.count > 3, pad.inputs[3] != nil {
        axes = try Self.integers(pad, input: 3, graph: graph, what: "axes")
      }
    }
    guard pads.count % 2 == 0 else { throw Declined("the Pad has an odd number of pads") }
    let count = pads.count / 2
    guard let axes else {
      guard rank == nil || rank == count else { throw Declined("the pads do not match the input's rank") }
      begins = Array(pads.prefix(count))
      ends = Array(pads.suffix(count))
      return
    }
    guard let rank else { throw Declined("the Pad names axes but its input's rank is unknown") }
    guard axes.count == count else { throw Declined("the Pad's axes and pads differ in length") }
    begins = Array(repeating: 0, count: rank)
    ends = Array(repeating: 0, count: rank)
    for (index, given) in axes.enumerated() {
      let axis = given < 0 ? given + Int64(rank) : given
      guard (0..<Int64(rank)).contains(axis) else { throw Declined("the Pad's axis \(given) is out of range") }
      begins[Int(axis)] += pads[index]
      ends[Int(axis)] += pads[count + index]
    }
  }

  /// Whether the pads touch only axes from 2 on (not batch or channel) and never crop.
  var padsOnlySpatialAxes: Bool {
    rank >= 2 && begins.prefix(2).allSatisfy { $0 == 0 } && ends.prefix(2).allSatisfy { $0 == 0 }
      && begins.allSatisfy { $0 >= 0 } && ends.allSatisfy { $0 >= 0 }
  }

  /// `existing` (ONNX `pads` of a conv or pool over the spatial axes, or nil for none) with
  /// this Pad's spatial pads added.
  func spatialPads(addedTo existing: [Int64]?) -> [Int64]? {
    let spatial = rank - 2
    let old = existing ?? Array(repeating: 0, count: 2 * spatial)
    guard old.count == 2 * spatial else { return nil }
    return (0..<spatial).map { old[$0] + begins[$0 + 2] } + (0..<spatial).map { old[spatial + $0] + ends[$0 + 2] }
  }

  private static func integers(_ pad: Node, input: Int, graph: Graph, what: String) throws(Declined) -> [Int64] {
    guard pad.inputs.count > input, let value = pad.inputs[input], graph.isFixedConstant(value),
      let numbers = value.constantTensor?.integers()
    else { throw Declined("the Pad's \(what) are not constant") }
    return numbers
  }

  /// The optional `constant_value` input: 0 when omitted.
  private static func constantValue(_ pad: Node, graph: Graph) throws(Declined) -> Double {
    guard pad.inputs.count > 2, let value = pad.inputs[2] else { return 0 }
    guard graph.isFixedConstant(value), let numbers = value.constantTensor?.realValues(), numbers.count == 1 else {
      throw Declined("the Pad's value is not a constant float scalar")
    }
    return numbers[0]
  }
}

extension Node {
  /// Whether the node's `auto_pad` is absent or NOTSET, so its `pads` attribute is used.
  var usesExplicitPads: Bool { (string("auto_pad") ?? "NOTSET") == "NOTSET" }
}
