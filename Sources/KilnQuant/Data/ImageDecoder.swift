// Decoding JPEG and PNG files through libjpeg-turbo and libpng, chosen by the file's content.

import CKilnImage
import Foundation
import KilnIR

/// Decodes JPEG and PNG images. The format is taken from the file's first bytes, never from
/// its name; a truncated or corrupt file, or one in another format, is a `KilnError` naming it.
public enum ImageDecoder {
  /// The image formats that can be decoded.
  public enum Format: String, Sendable {
    case jpeg = "JPEG"
    case png = "PNG"
  }

  /// The format whose signature `bytes` start with, if any.
  public static func format(of bytes: some Collection<UInt8>) -> Format? {
    if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
    if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
    return nil
  }

  /// Reads and decodes the image file at `path`.
  public static func decode(path: String) throws -> DecodedImage {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw KilnError.badInput("cannot read the file", file: path, hint: "check the path and its permissions")
    }
    return try decode(data, file: path)
  }

  /// Decodes the bytes of an image file; `file` names it in errors.
  public static func decode(_ data: Data, file: String) throws -> DecodedImage {
    guard let format = format(of: data) else {
      throw KilnError.badInput("not a JPEG or PNG image", file: file, hint: "only JPEG and PNG files can be read")
    }
    var image = kiln_image()
    var message = [CChar](repeating: 0, count: 256)
    let status = data.withUnsafeBytes { raw in
      let bytes = raw.bindMemory(to: UInt8.self)
      return switch format {
      case .jpeg: kiln_decode_jpeg(bytes.baseAddress, bytes.count, &image, &message, message.count)
      case .png: kiln_decode_png(bytes.baseAddress, bytes.count, &image, &message, message.count)
      }
    }
    guard status == 0, let pixels = image.pixels else {
      let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
      throw KilnError.badInput("cannot decode the \(format.rawValue) image: \(text)", file: file, hint: "the file may be truncated or corrupt")
    }
    defer { kiln_image_free(&image) }
    let width = Int(image.width), height = Int(image.height), channels = Int(image.channels)
    let samples = Array(UnsafeBufferPointer(start: pixels, count: width * height * channels))
    return DecodedImage(width: width, height: height, channels: channels, pixels: samples)
  }
}
