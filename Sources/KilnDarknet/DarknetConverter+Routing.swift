// [route], [shortcut] and [upsample]: layers that combine or resize earlier results.

import Foundation
import KilnIR

extension DarknetConverter {
  /// `[route]`: the results of `layers` (negative: relative to this layer), concatenated on
  /// channels. With `groups`, each input contributes its `group_id`-th channel group (yolov4-tiny).
  mutating func route(_ index: Int, _ section: DarknetSection) throws -> LayerOutput {
    guard let references = try section.ints("layers"), !references.isEmpty else {
      throw KilnError.badInput("a route needs layers=...")
    }
    let groups = try Self.positive(section, "groups", default: 1)
    let groupID = try section.int("group_id", default: 0)
    guard (0..<groups).contains(groupID) else { throw KilnError.badInput("group_id=\(groupID) must be below groups=\(groups)") }
    var parts = try references.map { try earlier($0, from: index) }
    if groups > 1 {
      parts = try parts.enumerated().map { try channelGroup($1, groupID, of: groups, index, part: $0, of: parts.count) }
    }
    guard parts.count > 1 else { return parts[0] }
    if Set(parts.map(\.isFlat)).count > 1 { parts = parts.map { mapped($0, index) } }
    guard Set(parts.map { [$0.height, $0.width] }).count == 1 else {
      throw KilnError.badInput("the routed layers differ in size: " + parts.map { "\($0.height)x\($0.width)" }.joined(separator: ", "))
    }
    var result = parts[0]
    result.channels = parts.reduce(0) { $0 + $1.channels }
    result.value = emitter.node("Concat", "concat_\(index)", parts.map(\.value), dims: result.dims, attributes: [Attribute("axis", .int(1))])
    return result
  }

  /// `[shortcut]`: the previous result plus the result of layer `from`, then the activation.
  mutating func shortcut(_ index: Int, _ section: DarknetSection, _ input: LayerOutput) throws -> LayerOutput {
    guard let from = try section.ints("from")?.first else { throw KilnError.badInput("a shortcut needs from=...") }
    let other = try earlier(from, from: index)
    guard other.dims == input.dims else {
      throw KilnError.badInput("shortcut adds layer \(from)'s result of shape \(other.dims) to one of shape \(input.dims); Kiln needs them equal")
    }
    var result = input
    result.value = emitter.node("Add", "shortcut_\(index)", [input.value, other.value], dims: input.dims)
    result.value = try activation(section, default: "linear", index, result)
    return result
  }

  /// `[upsample]`: nearest-neighbour Resize by `stride` (default 2), each value repeated
  /// stride x stride times (asymmetric coordinates, floor).
  func upsample(_ index: Int, _ section: DarknetSection, _ input: LayerOutput) throws -> LayerOutput {
    let x = mapped(input, index)
    let stride = try Self.positive(section, "stride", default: 2)
    var result = x
    result.height = try Self.checkedCount(x.height, stride)
    result.width = try Self.checkedCount(x.width, stride)
    let name = "upsample_\(index)"
    let scales = emitter.floats("\(name).scales", [1, 1, Float(stride), Float(stride)])
    result.value = emitter.node(
      "Resize", name, [x.value, nil, scales], dims: result.dims,
      attributes: [
        Attribute("mode", .string(Data("nearest".utf8))),
        Attribute("coordinate_transformation_mode", .string(Data("asymmetric".utf8))),
        Attribute("nearest_mode", .string(Data("floor".utf8))),
      ])
    return result
  }

  /// The result of layer `reference` as layer `index` names it (negative: counted back).
  private func earlier(_ reference: Int, from index: Int) throws -> LayerOutput {
    let target = reference < 0 ? index + reference : reference
    guard (0..<index).contains(target) else {
      throw KilnError.badInput("layer reference \(reference) does not name an earlier layer (this is layer \(index))")
    }
    return results[target]
  }

  /// Channels `[id*C/groups, (id+1)*C/groups)` of `x`, by a Slice.
  private func channelGroup(
    _ x: LayerOutput, _ id: Int, of groups: Int, _ index: Int, part: Int, of parts: Int
  ) throws -> LayerOutput {
    guard x.channels % groups == 0 else {
      throw KilnError.badInput("groups=\(groups) must divide the \(x.channels) channels of a routed layer")
    }
    var result = x
    result.channels = x.channels / groups
    let name = parts == 1 ? "slice_\(index)" : "slice_\(index)_\(part)"
    let start = Int64(id * result.channels)
    result.value = emitter.node(
      "Slice", name,
      [
        x.value, emitter.int64s("\(name).starts", [start]), emitter.int64s("\(name).ends", [start + Int64(result.channels)]),
        emitter.int64s("\(name).axes", [1]),
      ], dims: result.dims)
    return result
  }
}
