// Calibration data for a model, from the options `kiln calibrate`, `quantize` and `validate` share.

import KilnIR
import KilnQuant

/// Where calibration samples come from and which of them to use.
public struct CalibrationDataRequest: Sendable {
  /// A folder of JPEG and PNG images (`--images`).
  public var imageFolder: String?
  /// A folder of .npy or .npz files (`--inputs`).
  public var tensorFolder: String?
  /// This many seeded random samples (`--random N`), for smoke tests and models without data.
  public var randomCount: Int?
  /// The seed of the random samples (`--seed`).
  public var randomSeed: UInt64 = 0
  /// The shapes of inputs whose dims are not fixed, for random samples (`--shape`).
  public var randomShapes: [String: [Int]] = [:]
  /// A preprocessing JSON file (`--preprocess`).
  public var preprocessingFile: String?
  /// Preprocessing given by flags; overrides the file's fields.
  public var preprocessing = Preprocessing()
  /// Leave out unreadable images, listing them, instead of stopping.
  public var skipBadImages = false
  /// Use only the first this many samples.
  public var limit: Int?
  /// Use only this shard of the samples (after the limit).
  public var shard: Shard?

  public init() {}
}

/// The calibration samples for a model, and the images left out as unreadable.
public struct CalibrationData {
  public let source: any CalibrationSource
  /// With `skipBadImages`, the images that could not be used.
  public let skippedImages: [SkippedImage]

  /// Builds the source `request` describes for `model`'s inputs: images preprocessed per input,
  /// or tensor files, then limited and sharded. Bad options or data are a `KilnError` (exit 2).
  public static func load(for model: Model, request: CalibrationDataRequest) throws -> CalibrationData {
    let inputs = ModelInput.required(by: model)
    let given = [request.imageFolder != nil, request.tensorFolder != nil, request.randomCount != nil]
    guard given.filter({ $0 }).count <= 1 else {
      throw KilnError(.usage, "give one of --images, --inputs or --random, not several")
    }
    if let count = request.randomCount {
      try refuseImageOptions(request, for: "--random")
      let random = try RandomCalibrationSource(model: model, count: count, seed: request.randomSeed, shapes: request.randomShapes)
      return CalibrationData(
        source: try ShardedSource(base: random, limit: request.limit, shard: request.shard), skippedImages: [])
    }
    switch (request.imageFolder, request.tensorFolder) {
    case (let folder?, nil):
      let images = try imageSource(folder, inputs: inputs, request: request)
      return CalibrationData(
        source: try ShardedSource(base: images, limit: request.limit, shard: request.shard),
        skippedImages: images.skippedImages)
    case (nil, let folder?):
      try refuseImageOptions(request, for: "--inputs")
      let tensors = try TensorFileSource(folder: folder, inputs: inputs)
      return CalibrationData(
        source: try ShardedSource(base: tensors, limit: request.limit, shard: request.shard), skippedImages: [])
    case (nil, nil):
      throw KilnError(.usage, "calibration data is missing", hint: "give --images DIR, --inputs DIR or --random N")
    case (_?, _?):
      throw KilnError(.usage, "give one of --images, --inputs or --random, not several")
    }
  }

  /// Refuses the options that only images take when the samples come from `source`.
  private static func refuseImageOptions(_ request: CalibrationDataRequest, for source: String) throws {
    if request.preprocessingFile != nil || request.preprocessing != Preprocessing() {
      throw KilnError(.usage, "preprocessing options apply to --images, not to \(source)")
    }
    if request.skipBadImages { throw KilnError(.usage, "--skip-bad-images applies to --images, not to \(source)") }
  }

  private static func imageSource(_ folder: String, inputs: [ModelInput], request: CalibrationDataRequest) throws -> ImageFolderSource {
    let file = try request.preprocessingFile.map(PreprocessingConfiguration.load) ?? PreprocessingConfiguration()
    let configuration = file.overridden(by: request.preprocessing)
    let transforms = try configuration.imageInputs(of: inputs).map { try ImageTransform(spec: $0.spec, input: $0.input) }
    return try ImageFolderSource(folder: folder, transforms: transforms, skipBadImages: request.skipBadImages)
  }
}
