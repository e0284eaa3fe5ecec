// What writing a target produced: its files, and what its vendor toolkit did with them.

/// The files a target wrote and, for targets finished by a vendor tool (TensorRT's trtexec,
/// rknn-toolkit2), the command that builds the deployable file and what running it did.
public struct TargetExport: Sendable {
  /// Every file written, in order.
  public var files: [WrittenFile]
  /// The vendor tool step; nil for targets without one.
  public var toolkit: ToolkitReport?

  public init(files: [WrittenFile], toolkit: ToolkitReport? = nil) {
    self.files = files
    self.toolkit = toolkit
  }
}

/// The vendor tool step of a target: the command line, whether it ran, and how its result
/// compares with Kiln's runtime where the tool can run the model.
public struct ToolkitReport: Sendable, Equatable, Codable {
  /// The tool's name (`trtexec`, `rknn-toolkit2`).
  public var tool: String
  /// The command that builds the deployable file, as a shell line.
  public var command: String
  /// Whether the command ran (and succeeded: a failure is an error).
  public var ran: Bool
  /// Why it did not run, or what the user should know about the run.
  public var note: String?
  /// The files the tool produced, moved into place.
  public var files: [WrittenFile]
  /// Per model output, the tool's run against Kiln's runtime on the same inputs; empty when
  /// the tool did not run the model.
  public var outputs: [ToolkitComparison]

  public init(
    tool: String, command: String, ran: Bool, note: String? = nil, files: [WrittenFile] = [],
    outputs: [ToolkitComparison] = []
  ) {
    self.tool = tool
    self.command = command
    self.ran = ran
    self.note = note
    self.files = files
    self.outputs = outputs
  }
}

/// One model output as the vendor tool computed it, against Kiln's runtime.
public struct ToolkitComparison: Sendable, Equatable, Codable {
  public var output: String
  /// How many samples were compared.
  public var samples: Int
  /// The smallest cosine similarity over the samples (1 is identical direction).
  public var cosine: Double
  /// The largest |tool − Kiln| over every element of every sample.
  public var maxAbsoluteError: Double
  /// The largest |Kiln| over the same elements, to read the error against.
  public var maxMagnitude: Double

  public init(output: String, samples: Int, cosine: Double, maxAbsoluteError: Double, maxMagnitude: Double) {
    self.output = output
    self.samples = samples
    self.cosine = cosine
    self.maxAbsoluteError = maxAbsoluteError
    self.maxMagnitude = maxMagnitude
  }
}
