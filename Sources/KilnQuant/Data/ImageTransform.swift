// A preprocessing spec resolved against one model input: every step fixed, ready for images.

import KilnIR
import KilnRuntime

/// A `Preprocessing` spec with what it leaves open taken from a model input's static shape
/// (`[N, C, H, W]` or `[N, H, W, C]`): the layout (NHWC when only the last dim is 1 or 3),
/// the color (gray for one channel), and the size (an exact resize to H×W when the spec gives
/// neither resize nor crop). A spec that contradicts the shape is a `KilnError`.
public struct ImageTransform: Sendable {
  public let input: ModelInput
  public let resize: Preprocessing.Resize?
  public let centerCrop: ImageSize?
  public let layout: Preprocessing.Layout
  public let color: Preprocessing.Color
  public let scale: Float
  /// One value per channel.
  public let mean: [Float]
  /// One value per channel.
  public let std: [Float]
  /// The height and width the input's shape fixes, if it fixes both.
  public let modelSize: ImageSize?

  public init(spec: Preprocessing, input: ModelInput) throws {
    self.input = input
    try Self.checkElementType(input)
    layout = spec.layout ?? Self.guessLayout(input)
    let axes = layout == .nchw ? (channel: 1, height: 2, width: 3) : (channel: 3, height: 1, width: 2)
    let modelChannels = input.fixedSize(axes.channel)
    color = spec.color ?? (modelChannels == 1 ? .gray : .rgb)
    if let modelChannels, modelChannels != color.channels {
      throw Self.mismatch(input, "takes \(modelChannels) channel\(modelChannels == 1 ? "" : "s") (layout \(layout.rawValue)), but color \(color.rawValue) gives \(color.channels)")
    }
    if let batch = input.fixedSize(0), batch != 1 {
      throw Self.mismatch(input, "has a fixed batch of \(batch), but each image is a batch of 1")
    }
    modelSize = input.fixedSize(axes.width).flatMap { width in input.fixedSize(axes.height).map { ImageSize(width: width, height: $0) } }
    resize = spec.resize ?? (spec.centerCrop == nil ? modelSize.map(Preprocessing.Resize.exact) : nil)
    centerCrop = spec.centerCrop
    scale = spec.scale ?? 1
    mean = try Self.perChannel(spec.mean ?? [0], channels: color.channels, what: "mean", input: input)
    std = try Self.perChannel(spec.std ?? [1], channels: color.channels, what: "std", input: input)
    if std.contains(0) { throw KilnError.badInput("std for input '\(input.name)' contains 0") }
    if let modelSize, let fixed = fixedOutputSize, fixed != modelSize {
      throw Self.mismatch(input, "takes \(modelSize) images, but the preprocessing gives \(fixed)")
    }
  }

  /// The size every image gets, when resize or crop fix it.
  public var fixedOutputSize: ImageSize? {
    if let centerCrop { return centerCrop }
    if case .exact(let size)? = resize { return size }
    return nil
  }

  /// The input tensor for `image`: float32, `[1, C, H, W]` or `[1, H, W, C]`. `file` names the
  /// image in errors.
  public func tensor(for image: DecodedImage, file: String) throws -> HostTensor {
    do {
      return try makeTensor(image)
    } catch let error as KilnError {
      throw error.inFile(file)
    }
  }

  private func makeTensor(_ image: DecodedImage) throws -> HostTensor {
    var planes = PlanarImage(image, color: color)
    if let resize { planes = planes.resized(to: Self.size(of: planes.size, after: resize)) }
    if let centerCrop { planes = try planes.centerCropped(to: centerCrop) }
    if let modelSize, planes.size != modelSize {
      throw Self.mismatch(input, "takes \(modelSize) images, but this one is \(planes.size) after preprocessing")
    }
    let (channels, height, width) = (planes.channels, planes.size.height, planes.size.width)
    let plane = height * width
    let shape = layout == .nchw ? [1, channels, height, width] : [1, height, width, channels]
    let tensor = try HostTensor(uninitialized: .float, shape: shape)
    let output = tensor.mutableElements(as: Float.self)
    for channel in 0..<channels {
      let (offset, factor) = (mean[channel], std[channel])
      for pixel in 0..<plane {
        let value = (planes.samples[channel * plane + pixel] * scale - offset) / factor
        output[layout == .nchw ? channel * plane + pixel : pixel * channels + channel] = value
      }
    }
    return tensor
  }

  /// The size `resize` gives an image of `size`.
  static func size(of size: ImageSize, after resize: Preprocessing.Resize) -> ImageSize {
    switch resize {
    case .exact(let target): return target
    case .shorterSide(let side):
      if size.width <= size.height {
        return ImageSize(width: side, height: max(1, side * size.height / size.width))
      }
      return ImageSize(width: max(1, side * size.width / size.height), height: side)
    }
  }

  // MARK: Resolution

  private static func checkElementType(_ input: ModelInput) throws {
    if let dataType = input.dataType, dataType != .float {
      throw mismatch(input, "takes \(dataType.name), but image preprocessing gives float32", hint: "give tensors of its type with --inputs")
    }
    if let shape = input.shape, shape.rank != 4 {
      throw mismatch(input, "has shape \(shape), but images feed 4-D inputs (NCHW or NHWC)", hint: "give tensors with --inputs")
    }
  }

  /// NHWC when the last dim is 1 or 3 and the second is not, else NCHW.
  private static func guessLayout(_ input: ModelInput) -> Preprocessing.Layout {
    let isChannelCount = { (size: Int?) in size == 1 || size == 3 }
    return isChannelCount(input.fixedSize(3)) && !isChannelCount(input.fixedSize(1)) ? .nhwc : .nchw
  }

  private static func perChannel(_ values: [Float], channels: Int, what: String, input: ModelInput) throws -> [Float] {
    if values.count == 1 { return Array(repeating: values[0], count: channels) }
    guard values.count == channels else {
      throw mismatch(input, "gets \(channels) channel\(channels == 1 ? "" : "s"), but \(what) has \(values.count) values", hint: "give one \(what) value per channel, or one for all")
    }
    return values
  }

  private static func mismatch(_ input: ModelInput, _ what: String, hint: String? = nil) -> KilnError {
    let shape = input.shape.map { " \($0)" } ?? ""
    return KilnError.badInput("model input '\(input.name)'\(shape) \(what)", hint: hint)
  }
}
