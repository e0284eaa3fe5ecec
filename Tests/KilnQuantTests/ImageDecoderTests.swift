import Foundation
import KilnIR
import KilnQuant
import KilnTestSupport
import Testing

/// The tiny images in Resources/ (made by Resources/make_images.py).
func resourcePath(_ name: String) -> String {
  URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources/\(name)").path
}

@Suite struct ImageDecoderTests {
  @Test func decodesGrayPNG() throws {
    let image = try ImageDecoder.decode(path: resourcePath("gray.png"))
    #expect((image.width, image.height, image.channels) == (4, 3, 1))
    #expect(image.pixels == (0..<12).map { UInt8(10 * $0) })
  }

  @Test func decodesRGBPNG() throws {
    let image = try ImageDecoder.decode(path: resourcePath("rgb.png"))
    #expect((image.width, image.height, image.channels) == (2, 2, 3))
    #expect(image.sample(x: 1, y: 1, channel: 0) == 3)
    #expect(image.sample(x: 0, y: 1, channel: 2) == 202)
  }

  @Test func dropsAlpha() throws {
    let rgba = try ImageDecoder.decode(path: resourcePath("rgba.png"))
    #expect(rgba == (try ImageDecoder.decode(path: resourcePath("rgb.png"))))
  }

  @Test func scales16BitSamplesTo8() throws {
    let image = try ImageDecoder.decode(path: resourcePath("gray16.png"))
    #expect(image.pixels == [0, 100, 255])
  }

  @Test func decodesJPEG() throws {
    let color = try ImageDecoder.decode(path: resourcePath("rgb.jpg"))
    #expect((color.width, color.height, color.channels) == (8, 8, 3))
    for (sample, expected) in zip(color.pixels.prefix(3), [200, 100, 50]) {
      #expect(abs(Int(sample) - expected) <= 2)
    }
    let gray = try ImageDecoder.decode(path: resourcePath("gray.jpg"))
    #expect(gray.channels == 1)
    #expect(gray.pixels.allSatisfy { abs(Int($0) - 128) <= 1 })
  }

  @Test func choosesTheDecoderByContentNotName() throws {
    let data = try fileBytes(resourcePath("rgb.png"))
    let image = try ImageDecoder.decode(data, file: "photo.jpg")
    #expect(image.channels == 3)
  }

  @Test(arguments: ["rgb.png", "rgb.jpg"])
  func truncatedFilesAreErrorsNamingTheFile(name: String) throws {
    let data = try fileBytes(resourcePath(name))
    for length in [12, data.count / 2, data.count - 4] {
      let error = #expect(throws: KilnError.self) { try ImageDecoder.decode(data.prefix(length), file: "cut-\(name)") }
      #expect(error?.file == "cut-\(name)")
      #expect(error?.kind == .badInput)
    }
  }

  @Test func corruptDataIsAnError() throws {
    var bytes = Array(try fileBytes(resourcePath("gray.png")))
    bytes[bytes.count / 2] ^= 0xFF
    #expect(throws: KilnError.self) { try ImageDecoder.decode(Data(bytes), file: "bad.png") }
  }

  @Test func otherFormatsAreRefused() {
    let error = #expect(throws: KilnError.self) { try ImageDecoder.decode(Data("GIF89a".utf8), file: "a.gif") }
    #expect(error?.message.contains("not a JPEG or PNG") == true)
  }
}
