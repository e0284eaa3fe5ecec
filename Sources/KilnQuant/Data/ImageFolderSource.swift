// Calibration samples from a folder of JPEG and PNG images.

import KilnIR

/// The images in a folder and its subfolders (`.jpg`, `.jpeg`, `.png`, sorted by relative
/// path), each preprocessed into a sample with one tensor per image input.
///
/// An unreadable image stops the run with a `KilnError` naming it. With `skipBadImages`, every
/// image is decoded and preprocessed once when the source is made; those that fail are left
/// out and listed in `skippedImages`.
public struct ImageFolderSource: CalibrationSource {
  public let folder: String
  public let transforms: [ImageTransform]
  /// The images, relative to `folder`.
  public let files: [String]
  /// The images left out with `skipBadImages`, with why.
  public let skippedImages: [SkippedImage]

  public static let extensions: Set<String> = ["jpg", "jpeg", "png"]

  public init(folder: String, transforms: [ImageTransform], skipBadImages: Bool = false) throws {
    precondition(!transforms.isEmpty, "ImageFolderSource needs a transform per image input")
    self.folder = folder
    self.transforms = transforms
    let all = try FolderListing.files(in: folder, extensions: Self.extensions, what: ".jpg, .jpeg or .png images")
    guard skipBadImages else {
      files = all
      skippedImages = []
      return
    }
    var good: [String] = [], bad: [SkippedImage] = []
    for name in all {
      do {
        _ = try Self.sample(FolderListing.path(name, in: folder), transforms: transforms)
        good.append(name)
      } catch let error as KilnError {
        bad.append(SkippedImage(name: name, reason: error.message))
      }
    }
    guard !good.isEmpty else {
      throw KilnError.badInput("none of the \(all.count) images in the folder could be read", file: folder, hint: "first problem: \(bad[0].name): \(bad[0].reason)")
    }
    files = good
    skippedImages = bad
  }

  public var count: Int { files.count }

  public func name(at index: Int) -> String { files[index] }

  public func sample(at index: Int) throws -> CalibrationSample {
    try Self.sample(FolderListing.path(files[index], in: folder), transforms: transforms)
  }

  private static func sample(_ path: String, transforms: [ImageTransform]) throws -> CalibrationSample {
    let image = try ImageDecoder.decode(path: path)
    var sample = CalibrationSample()
    for transform in transforms {
      sample[transform.input.name] = try transform.tensor(for: image, file: path)
    }
    return sample
  }
}

/// An image that could not be used, and why.
public struct SkippedImage: Equatable, Sendable {
  /// The path relative to the source's folder.
  public var name: String
  public var reason: String
}
