// A float image with one plane per channel: what preprocessing resizes and crops.

import KilnIR

/// An image of float samples stored plane by plane (channel, row, column), in the 0...255 range
/// of the decoded file until preprocessing scales it.
struct PlanarImage: Equatable {
  var channels: Int
  var size: ImageSize
  var samples: [Float]

  /// The decoded image in the channels `color` asks for: gray is replicated to three channels,
  /// RGB becomes gray by the ITU-R 601 luma weights (0.299, 0.587, 0.114), BGR reverses RGB.
  init(_ image: DecodedImage, color: Preprocessing.Color) {
    let pixels = image.width * image.height
    let source = image.pixels
    let plane: (Int) -> [Float] = { channel in (0..<pixels).map { Float(source[$0 * image.channels + channel]) } }
    size = ImageSize(width: image.width, height: image.height)
    channels = color.channels
    switch (color, image.channels) {
    case (.gray, 1), (.rgb, 1), (.bgr, 1):
      samples = Array(repeating: plane(0), count: channels).flatMap { $0 }
    case (.gray, _):
      let (red, green, blue) = (plane(0), plane(1), plane(2))
      samples = (0..<pixels).map { 0.299 * red[$0] + 0.587 * green[$0] + 0.114 * blue[$0] }
    case (.rgb, _):
      samples = plane(0) + plane(1) + plane(2)
    case (.bgr, _):
      samples = plane(2) + plane(1) + plane(0)
    }
  }

  init(channels: Int, size: ImageSize, samples: [Float]) {
    self.channels = channels
    self.size = size
    self.samples = samples
  }

  /// Bilinear resampling to `target` with half-pixel centers (as ONNX Resize's `half_pixel` and
  /// OpenCV's INTER_LINEAR), edges clamped, without antialiasing.
  func resized(to target: ImageSize) -> PlanarImage {
    if target == size { return self }
    let columns = Self.taps(count: target.width, source: size.width)
    let rows = Self.taps(count: target.height, source: size.height)
    var result = [Float](repeating: 0, count: channels * target.width * target.height)
    for channel in 0..<channels {
      let input = channel * size.width * size.height
      let output = channel * target.width * target.height
      for (y, row) in rows.enumerated() {
        let top = input + row.low * size.width, bottom = input + row.high * size.width
        for (x, column) in columns.enumerated() {
          let upper = samples[top + column.low] * (1 - column.weight) + samples[top + column.high] * column.weight
          let lower = samples[bottom + column.low] * (1 - column.weight) + samples[bottom + column.high] * column.weight
          result[output + y * target.width + x] = upper * (1 - row.weight) + lower * row.weight
        }
      }
    }
    return PlanarImage(channels: channels, size: target, samples: result)
  }

  /// The middle `target` pixels (the offset rounded down where the margin is odd).
  func centerCropped(to target: ImageSize) throws -> PlanarImage {
    guard target.width <= size.width, target.height <= size.height else {
      throw KilnError.badInput("the image is \(size) after resizing, smaller than the center crop \(target)", hint: "resize it to at least the crop size")
    }
    let left = (size.width - target.width) / 2, top = (size.height - target.height) / 2
    var result: [Float] = []
    result.reserveCapacity(channels * target.width * target.height)
    for channel in 0..<channels {
      for y in top..<(top + target.height) {
        let start = (channel * size.height + y) * size.width + left
        result += samples[start..<(start + target.width)]
      }
    }
    return PlanarImage(channels: channels, size: target, samples: result)
  }

  /// For each output position along one axis: the two source positions and the second's weight.
  private static func taps(count: Int, source: Int) -> [(low: Int, high: Int, weight: Float)] {
    let ratio = Double(source) / Double(count)
    return (0..<count).map { index in
      let position = min(max((Double(index) + 0.5) * ratio - 0.5, 0), Double(source - 1))
      let low = Int(position)
      return (low, min(low + 1, source - 1), Float(position - Double(low)))
    }
  }
}
