// An image as its file decodes: 8-bit samples, gray or RGB.

/// The pixels of a decoded image: `height` rows of `width` pixels, `channels` interleaved 8-bit
/// samples each (1 for gray, 3 for RGB).
public struct DecodedImage: Equatable, Sendable {
  public var width: Int
  public var height: Int
  public var channels: Int
  public var pixels: [UInt8]

  public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
    precondition(pixels.count == width * height * channels, "DecodedImage needs width × height × channels samples")
    self.width = width
    self.height = height
    self.channels = channels
    self.pixels = pixels
  }

  /// The sample of channel `channel` at column `x`, row `y`.
  public func sample(x: Int, y: Int, channel: Int) -> UInt8 {
    pixels[(y * width + x) * channels + channel]
  }
}
