// How an image becomes a model input tensor: resize, crop, color, scale, normalization, layout.

import Foundation
import KilnIR

/// The preprocessing of images for one model input. Every field is optional: what is not given
/// is taken from the input's static shape (size, channels, layout) or is the identity (scale 1,
/// mean 0, std 1). The steps run in this order: color conversion, resize (bilinear), center
/// crop, `value * scale`, `(value - mean[c]) / std[c]`, layout. The output is always float32.
public struct Preprocessing: Equatable, Sendable {
  /// How the image is resized before cropping.
  public enum Resize: Equatable, Sendable {
    /// The shorter side becomes this many pixels; the longer keeps the aspect ratio (truncated).
    case shorterSide(Int)
    /// Exactly this size.
    case exact(ImageSize)
  }

  /// Where the channel axis goes in the batch-of-one tensor.
  public enum Layout: String, Equatable, Sendable, CaseIterable {
    case nchw = "NCHW"
    case nhwc = "NHWC"
  }

  /// The channels and their order.
  public enum Color: String, Equatable, Sendable, CaseIterable {
    case rgb, bgr, gray

    /// The number of channels this mode gives.
    public var channels: Int { self == .gray ? 1 : 3 }
  }

  public var resize: Resize?
  public var centerCrop: ImageSize?
  public var layout: Layout?
  public var color: Color?
  /// Multiplies every sample (0...255) before mean and std apply, e.g. 1/255.
  public var scale: Float?
  /// Per channel (or one value for all channels), subtracted after scaling.
  public var mean: [Float]?
  /// Per channel (or one value for all channels), divided by after the mean.
  public var std: [Float]?

  public init(
    resize: Resize? = nil, centerCrop: ImageSize? = nil, layout: Layout? = nil, color: Color? = nil,
    scale: Float? = nil, mean: [Float]? = nil, std: [Float]? = nil
  ) {
    self.resize = resize
    self.centerCrop = centerCrop
    self.layout = layout
    self.color = color
    self.scale = scale
    self.mean = mean
    self.std = std
  }

  /// This spec with every field that `other` gives replaced by `other`'s.
  public func overridden(by other: Preprocessing) -> Preprocessing {
    Preprocessing(
      resize: other.resize ?? resize, centerCrop: other.centerCrop ?? centerCrop, layout: other.layout ?? layout,
      color: other.color ?? color, scale: other.scale ?? scale, mean: other.mean ?? mean, std: other.std ?? std)
  }
}

/// A width and height in pixels.
public struct ImageSize: Equatable, Hashable, Sendable, CustomStringConvertible {
  public var width: Int
  public var height: Int

  public init(width: Int, height: Int) {
    self.width = width
    self.height = height
  }

  public var description: String { "\(width)x\(height)" }
}

// MARK: Values from text, as flags and the JSON file write them

extension Preprocessing.Resize {
  /// `256` (shorter side) or `320x240` (exact width x height).
  public init(text: String) throws {
    if let side = Int(text) {
      guard side > 0 else { throw KilnError(.usage, "resize takes a positive size, not '\(text)'") }
      self = .shorterSide(side)
    } else {
      self = .exact(try ImageSize(text: text, what: "resize"))
    }
  }
}

extension ImageSize {
  /// `224` (square) or `320x240` (width x height); `what` names the setting in errors.
  public init(text: String, what: String) throws {
    let parts = text.split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
    guard (1...2).contains(parts.count), let width = parts[0], let height = parts.last!, width > 0, height > 0 else {
      throw KilnError(.usage, "\(what) takes a size like 224 or 320x240 (width x height), not '\(text)'")
    }
    self.init(width: width, height: height)
  }
}

extension Preprocessing {
  /// A number, or a fraction such as `1/255`.
  public static func scale(text: String) throws -> Float {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
    guard (1...2).contains(parts.count), let numerator = parts[0], let denominator = parts.count == 2 ? parts[1] : 1,
      denominator != 0, (numerator / denominator).isFinite
    else { throw KilnError(.usage, "scale takes a number or a fraction like 1/255, not '\(text)'") }
    return Float(numerator / denominator)
  }

  /// Comma-separated numbers, e.g. `0.485,0.456,0.406`; `what` names the setting in errors.
  public static func numbers(text: String, what: String) throws -> [Float] {
    let values = text.split(separator: ",", omittingEmptySubsequences: false).map { Float($0.trimmingCharacters(in: .whitespaces)) }
    guard let numbers = values as? [Float], numbers.allSatisfy(\.isFinite) else {
      throw KilnError(.usage, "\(what) takes comma-separated numbers like 0.485,0.456,0.406, not '\(text)'")
    }
    return numbers
  }

  /// A layout by name, in any case.
  public static func layout(text: String) throws -> Layout {
    guard let layout = Layout(rawValue: text.uppercased()) else {
      throw KilnError(.usage, "layout is NCHW or NHWC, not '\(text)'")
    }
    return layout
  }

  /// A color mode by name, in any case.
  public static func color(text: String) throws -> Color {
    guard let color = Color(rawValue: text.lowercased()) else {
      throw KilnError(.usage, "color is rgb, bgr or gray, not '\(text)'")
    }
    return color
  }
}
