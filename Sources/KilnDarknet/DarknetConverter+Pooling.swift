// [maxpool], [avgpool] and [softmax].

import KilnIR

extension DarknetConverter {
  /// `[maxpool]`: MaxPool. Darknet pads `padding` (default `size - 1`) in total per axis,
  /// `padding / 2` before and the rest after, so a stride-1 pool of size 2 keeps the size.
  mutating func maxpool(_ index: Int, _ section: DarknetSection, _ input: LayerOutput) throws -> LayerOutput {
    let x = mapped(input, index)
    let stride = try Self.positive(section, "stride", default: 1)
    let size = try Self.positive(section, "size", default: stride)
    let padding = try section.int("padding", default: size - 1)
    let before = padding / 2
    let after = padding - before
    guard padding >= 0, after < size else {
      throw KilnError.badInput("padding=\(padding) must be at least 0 and leave less than size=\(size) on each side")
    }
    guard x.height + padding >= size, x.width + padding >= size else {
      throw KilnError.badInput("a \(size)x\(size) pool does not fit the \(x.height)x\(x.width) input")
    }
    var result = x
    result.height = (x.height + padding - size) / stride + 1
    result.width = (x.width + padding - size) / stride + 1
    result.value = emitter.node(
      "MaxPool", "pool_\(index)", [x.value], dims: result.dims,
      attributes: [
        Attribute("kernel_shape", .ints([Int64(size), Int64(size)])),
        Attribute("strides", .ints([Int64(stride), Int64(stride)])),
        Attribute("pads", .ints([before, before, after, after].map(Int64.init))),
      ])
    return result
  }

  /// `[avgpool]`: darknet's average pool is global, GlobalAveragePool.
  func avgpool(_ index: Int, _ input: LayerOutput) -> LayerOutput {
    let x = mapped(input, index)
    var result = x
    (result.height, result.width) = (1, 1)
    result.value = emitter.node("GlobalAveragePool", "avgpool_\(index)", [x.value], dims: result.dims)
    return result
  }

  /// `[softmax]`: darknet normalizes over all of a layer's values, so a map larger than 1x1 is
  /// flattened first; the result is `[1, C*H*W]` then, else of the input's shape.
  func softmax(_ index: Int, _ input: LayerOutput) -> LayerOutput {
    let name = "softmax_\(index)"
    var x = input
    if !input.isFlat, input.height * input.width > 1 {
      x = LayerOutput(value: input.value, channels: input.elementCount, height: 1, width: 1, isFlat: true)
      x.value = emitter.node("Flatten", "\(name)/flatten", [input.value], dims: x.dims, attributes: [Attribute("axis", .int(1))])
    }
    var result = x
    result.value = emitter.node("Softmax", name, [x.value], dims: x.dims, attributes: [Attribute("axis", .int(1))])
    return result
  }
}
