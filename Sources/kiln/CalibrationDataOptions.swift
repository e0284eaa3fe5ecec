// The options that choose calibration data, shared by the commands that calibrate.

import ArgumentParser
import Kiln
import KilnIR
import KilnQuant

/// `--images DIR`, `--inputs DIR` or `--random N`, the preprocessing of images, and which
/// samples to use.
struct CalibrationDataOptions: ParsableArguments {
  @Option(help: "A folder of .jpg/.jpeg/.png images (read recursively, sorted by path).")
  var images: String?

  @Option(help: "A folder of .npy files (one-input models) or .npz files (an array per input name).")
  var inputs: String?

  @Option(help: "Use this many seeded random samples instead of data (for smoke tests).")
  var random: Int?

  @Option(help: "The seed of --random samples.")
  var seed: UInt64 = 0

  @Option(name: .customLong("shape"), help: "With --random, the shape of an input whose dims are not fixed: NAME=1x3x224x224 (repeatable).")
  var shapes: [String] = []

  @Option(help: "Resize images: N (shorter side to N) or WxH (exact), bilinear.")
  var resize: String?

  @Option(help: "Crop the center WxH (or NxN given N) after resizing.")
  var centerCrop: String?

  @Option(help: "Tensor layout: NCHW or NHWC (default: from the model input's shape).")
  var layout: String?

  @Option(help: "Channels: rgb, bgr or gray (default: from the model input's shape).")
  var color: String?

  @Option(help: "Multiply samples (0-255) by this, e.g. 1/255.")
  var scale: String?

  @Option(help: "Subtract per channel after scaling: a,b,c (or one value).")
  var mean: String?

  @Option(help: "Divide per channel after the mean: a,b,c (or one value).")
  var std: String?

  @Option(help: "A preprocessing JSON file (see README, Calibration data); flags override its keys.")
  var preprocess: String?

  @Flag(help: "Leave out unreadable images and list them, instead of stopping.")
  var skipBadImages = false

  @Option(help: "Use only the first N samples.")
  var limit: Int?

  @Option(help: "Use only shard I/N: samples whose index modulo N is I (after --limit).")
  var shard: String?

  /// Whether samples are given (`--images`, `--inputs` or `--random`).
  var givesSamples: Bool { images != nil || inputs != nil || random != nil }

  /// The calibration samples for `model` these options describe.
  func calibrationData(for model: Model) throws -> CalibrationData {
    try CalibrationData.load(for: model, request: request())
  }

  /// The options as a request; malformed values are usage errors.
  func request() throws -> CalibrationDataRequest {
    var request = CalibrationDataRequest()
    request.imageFolder = images
    request.tensorFolder = inputs
    request.randomCount = random
    request.randomSeed = seed
    request.randomShapes = try RunCommand.pairs(shapes, option: "--shape").mapValues(RunCommand.parseShape)
    request.preprocessingFile = preprocess
    request.preprocessing = Preprocessing(
      resize: try resize.map(Preprocessing.Resize.init(text:)),
      centerCrop: try centerCrop.map { try ImageSize(text: $0, what: "--center-crop") },
      layout: try layout.map(Preprocessing.layout(text:)),
      color: try color.map(Preprocessing.color(text:)),
      scale: try scale.map(Preprocessing.scale(text:)),
      mean: try mean.map { try Preprocessing.numbers(text: $0, what: "--mean") },
      std: try std.map { try Preprocessing.numbers(text: $0, what: "--std") })
    request.skipBadImages = skipBadImages
    request.limit = limit
    request.shard = try shard.map(Shard.init(text:))
    return request
  }
}
