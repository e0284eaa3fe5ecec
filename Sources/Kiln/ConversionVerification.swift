// Checking that a conversion kept the numbers: the original and the result run in KilnRuntime
// on the same inputs, output by output.

import Foundation
import KilnIR
import KilnRuntime

/// How `kiln convert --verify` checks the result.
public struct VerificationOptions: Sendable {
  /// Input files by input name (`--input NAME=FILE.npy`, or `.pb`); other inputs get seeded
  /// random values.
  public var inputFiles: [String: String]
  /// The seed of the random inputs.
  public var seed: UInt64
  /// An element passes when |result − original| ≤ `absoluteTolerance` + `relativeTolerance`·|original|.
  public var absoluteTolerance: Double
  public var relativeTolerance: Double
  /// Check after every pass, not only at the end, to name the first pass that broke the numbers.
  public var eachPass: Bool

  /// Folding BatchNorm into the weights of a deep network moves float32 outputs by a few 1e-5.
  public static let defaultAbsoluteTolerance = 1e-4
  public static let defaultRelativeTolerance = 1e-4

  public init(
    inputFiles: [String: String] = [:], seed: UInt64 = 0,
    absoluteTolerance: Double = Self.defaultAbsoluteTolerance,
    relativeTolerance: Double = Self.defaultRelativeTolerance, eachPass: Bool = false
  ) {
    self.inputFiles = inputFiles
    self.seed = seed
    self.absoluteTolerance = absoluteTolerance
    self.relativeTolerance = relativeTolerance
    self.eachPass = eachPass
  }
}

/// How one output of the result compares with the original's.
public struct OutputComparison: Codable, Sendable, Equatable {
  public var name: String
  public var dataType: String
  public var shape: [Int]
  /// Elements compared (all tensors of a sequence output together).
  public var elements: Int
  /// The largest |result − original| (NaN on both sides counts as equal; NaN on one side as
  /// an infinite error).
  public var maxAbsoluteError: Double
  /// The largest |result − original| / |original| over elements whose original is not zero.
  public var maxRelativeError: Double
  /// Elements outside the tolerance.
  public var mismatches: Int
  /// Why the output could not be compared element by element (a missing output, another
  /// element type or shape), when that is so.
  public var problem: String?
  public var passed: Bool { mismatches == 0 && problem == nil }

  enum CodingKeys: String, CodingKey {
    case name, dataType, shape, elements, maxAbsoluteError, maxRelativeError, mismatches, problem, passed
  }

  public init(
    name: String, dataType: String, shape: [Int], elements: Int = 0, maxAbsoluteError: Double = 0,
    maxRelativeError: Double = 0, mismatches: Int = 0, problem: String? = nil
  ) {
    self.name = name
    self.dataType = dataType
    self.shape = shape
    self.elements = elements
    self.maxAbsoluteError = maxAbsoluteError
    self.maxRelativeError = maxRelativeError
    self.mismatches = mismatches
    self.problem = problem
  }

  public init(from decoder: Decoder) throws {
    let values = try decoder.container(keyedBy: CodingKeys.self)
    self.init(
      name: try values.decode(String.self, forKey: .name),
      dataType: try values.decode(String.self, forKey: .dataType),
      shape: try values.decode([Int].self, forKey: .shape),
      elements: try values.decode(Int.self, forKey: .elements),
      maxAbsoluteError: try values.decode(Double.self, forKey: .maxAbsoluteError),
      maxRelativeError: try values.decode(Double.self, forKey: .maxRelativeError),
      mismatches: try values.decode(Int.self, forKey: .mismatches),
      problem: try values.decodeIfPresent(String.self, forKey: .problem))
  }

  public func encode(to encoder: Encoder) throws {
    var values = encoder.container(keyedBy: CodingKeys.self)
    try values.encode(name, forKey: .name)
    try values.encode(dataType, forKey: .dataType)
    try values.encode(shape, forKey: .shape)
    try values.encode(elements, forKey: .elements)
    try values.encode(maxAbsoluteError, forKey: .maxAbsoluteError)
    try values.encode(maxRelativeError, forKey: .maxRelativeError)
    try values.encode(mismatches, forKey: .mismatches)
    try values.encode(problem, forKey: .problem)
    try values.encode(passed, forKey: .passed)
  }
}

/// The check after one pass (`--verify-each`).
public struct PassCheck: Codable, Sendable, Equatable {
  public var pass: String
  public var iteration: Int
  public var passed: Bool
  /// The worst errors over all outputs.
  public var maxAbsoluteError: Double
  public var maxRelativeError: Double
}

/// One input the check ran on.
public struct VerificationInput: Codable, Sendable, Equatable {
  public var name: String
  public var dataType: String
  public var shape: [Int]
  /// The file it was read from, or "random".
  public var source: String
}

/// What `kiln convert --verify` found.
public struct VerificationReport: Codable, Sendable, Equatable {
  public var seed: UInt64
  public var absoluteTolerance: Double
  public var relativeTolerance: Double
  public var inputs: [VerificationInput]
  /// The result against the original, output by output (the model as it was when the check
  /// stopped, when a pass failed under `--verify-each`).
  public var outputs: [OutputComparison]
  /// One entry per pass run, under `--verify-each`.
  public var eachPass: [PassCheck]
  /// The first pass after which the numbers were off, under `--verify-each`.
  public var firstFailingPass: String?
  public var passed: Bool

  // Written by hand so that an absent first failing pass is null, not a missing key.
  public func encode(to encoder: Encoder) throws {
    var values = encoder.container(keyedBy: CodingKeys.self)
    try values.encode(seed, forKey: .seed)
    try values.encode(absoluteTolerance, forKey: .absoluteTolerance)
    try values.encode(relativeTolerance, forKey: .relativeTolerance)
    try values.encode(inputs, forKey: .inputs)
    try values.encode(outputs, forKey: .outputs)
    try values.encode(eachPass, forKey: .eachPass)
    try values.encode(firstFailingPass, forKey: .firstFailingPass)
    try values.encode(passed, forKey: .passed)
  }
}

/// Runs a model's original form once, keeps its outputs, and compares later forms with them.
public final class ConversionVerifier {
  public let options: VerificationOptions
  /// The feeds every run gets.
  public let feeds: [String: HostTensor]
  public let inputs: [VerificationInput]
  /// Things the user should know, such as symbolic dims that were set to 1.
  public private(set) var warnings: [String] = []
  private let outputNames: [String]
  private let reference: [String: RuntimeValue]

  /// Builds the inputs for `model` (files, then seeded random values) and runs it.
  public init(original model: Model, options: VerificationOptions) throws {
    self.options = options
    let executor = try Self.executor(for: model, which: "the model")
    var warnings: [String] = []
    let (feeds, inputs) = try Self.makeInputs(for: executor, options: options, warnings: &warnings)
    self.feeds = feeds
    self.inputs = inputs
    self.warnings = warnings
    outputNames = model.graph.outputs.map(\.name)
    reference = try Self.run(executor, feeds, which: "the original model")
  }

  /// Runs `model` on the same inputs and compares each output with the original's.
  public func compare(_ model: Model, which: String = "the converted model") throws -> [OutputComparison] {
    let executor = try Self.executor(for: model, which: which)
    let results = try Self.run(executor, feeds, which: which)
    return outputNames.map { name in
      guard let original = reference[name] else {
        return OutputComparison(name: name, dataType: "?", shape: [], problem: "the original did not compute it")
      }
      guard let result = results[name] else {
        return OutputComparison(
          name: name, dataType: Self.describe(original).dataType, shape: Self.describe(original).shape,
          problem: "\(which) has no output named '\(name)'")
      }
      return Self.compare(name: name, original, result, options: options)
    }
  }

  // MARK: Running

  private static func executor(for model: Model, which: String) throws -> Executor {
    do {
      return try Executor(model: model)
    } catch let error as KilnError {
      var located = error
      located.message = "cannot verify: KilnRuntime cannot run \(which): " + error.message
      located.hint = "convert without --verify/--verify-each, or check the result with onnxruntime"
      throw located
    }
  }

  private static func run(_ executor: Executor, _ feeds: [String: HostTensor], which: String) throws
    -> [String: RuntimeValue]
  {
    do {
      return try executor.run(values: feeds.mapValues(RuntimeValue.tensor))
    } catch let error as KilnError {
      var located = error
      located.message = "cannot verify: running \(which) in KilnRuntime failed: " + error.message
      throw located
    }
  }

  // MARK: Inputs

  /// Files first, so that their sizes bind symbolic dims; then random values for the rest,
  /// with symbolic dims bound by a file, else 1 (with a warning).
  static func makeInputs(
    for executor: Executor, options: VerificationOptions, warnings: inout [String]
  ) throws -> ([String: HostTensor], [VerificationInput]) {
    let required = executor.requiredInputs
    let names = Set(executor.model.graph.inputs.map(\.name))
    for name in options.inputFiles.keys.sorted() where !names.contains(name) {
      throw KilnError.badInput(
        "--input: the model has no input named '\(name)'",
        hint: "inputs: \(required.map(\.name).joined(separator: ", "))")
    }
    var feeds: [String: HostTensor] = [:]
    var symbols: [String: Int] = [:]
    for value in executor.model.graph.inputs {
      guard let file = options.inputFiles[value.name] else { continue }
      let tensor = try ModelRun.readInput(file)
      try check(tensor, from: file, against: value, symbols: &symbols)
      feeds[value.name] = tensor
    }
    var generator = SplitMix64(seed: options.seed)
    for value in required where feeds[value.name] == nil {
      let shape = try randomShape(for: value, symbols: symbols, warnings: &warnings)
      feeds[value.name] = try ModelRun.randomInput(value, shape: shape, generator: &generator)
    }
    let inputs = required.compactMap { value -> VerificationInput? in
      guard let tensor = feeds[value.name] else { return nil }
      return VerificationInput(
        name: value.name, dataType: tensor.dataType.name, shape: tensor.shape,
        source: options.inputFiles[value.name] ?? "random")
    }
    return (feeds, inputs)
  }

  /// Checks a file's tensor against the declared input, so the message names the file.
  private static func check(_ tensor: HostTensor, from file: String, against value: Value, symbols: inout [String: Int])
    throws
  {
    guard case .tensor(let dataType, let shape)? = value.type else { return }
    guard tensor.dataType == dataType || dataType == .undefined else {
      throw KilnError.badInput(
        "--input \(value.name): the file holds \(tensor.dataType.name), but the input is \(dataType.name)",
        file: file, hint: "save the array as \(dataType.name)")
    }
    guard let shape else { return }
    let fits = shape.rank == tensor.rank
      && zip(shape.dims, tensor.shape).allSatisfy { dim, size in dim.value.map { Int($0) == size } ?? true }
    guard fits else {
      throw KilnError.badInput(
        "--input \(value.name): the file holds a tensor of shape \(tensor.shape), but the input has shape \(shape)",
        file: file)
    }
    for (dim, size) in zip(shape.dims, tensor.shape) {
      if case .symbolic(let name) = dim, symbols[name] == nil { symbols[name] = size }
    }
  }

  private static func randomShape(for value: Value, symbols: [String: Int], warnings: inout [String]) throws -> [Int]? {
    guard case .tensor(_, let declared)? = value.type else { return nil }
    guard let declared else {
      throw KilnError.badInput(
        "cannot verify: input '\(value.name)' has no declared rank, so random values cannot be made for it",
        hint: "give it with --input-shape \(value.name)=DIMS or --input \(value.name)=FILE.npy")
    }
    var unset: [String] = []
    let sizes = declared.dims.map { dim -> Int in
      switch dim {
      case .fixed(let size): return Int(size)
      case .symbolic(let name):
        if let bound = symbols[name] { return bound }
        unset.append(name)
        return 1
      case .unknown:
        unset.append("?")
        return 1
      }
    }
    if !unset.isEmpty {
      warnings.append(
        "input '\(value.name)' has shape \(declared); verifying with \(sizes.map(String.init).joined(separator: "x")) "
          + "(unfixed dims set to 1; fix them with --input-shape \(value.name)=DIMS)")
    }
    return sizes
  }

  // MARK: Comparing

  private static func describe(_ value: RuntimeValue) -> (dataType: String, shape: [Int]) {
    switch value {
    case .tensor(let tensor): (tensor.dataType.name, tensor.shape)
    case .sequence(let tensors): ("seq<\(tensors.first?.dataType.name ?? "?")>", [tensors.count])
    case .optional(let inner): inner.map(describe) ?? ("optional", [])
    }
  }

  /// The tensors a value holds, in order: one for a tensor, each of a sequence, none for an
  /// empty optional.
  private static func tensors(_ value: RuntimeValue) -> [HostTensor] {
    switch value {
    case .tensor(let tensor): [tensor]
    case .sequence(let tensors): tensors
    case .optional(let inner): inner.map(tensors) ?? []
    }
  }

  /// Compares one output of the original with the result's.
  public static func compare(name: String, _ original: RuntimeValue, _ result: RuntimeValue, options: VerificationOptions)
    -> OutputComparison
  {
    let (dataType, shape) = describe(original)
    var comparison = OutputComparison(name: name, dataType: dataType, shape: shape)
    let expected = tensors(original)
    let actual = tensors(result)
    guard expected.count == actual.count else {
      comparison.problem = "the original gives \(expected.count) tensors, the result \(actual.count)"
      return comparison
    }
    for (a, b) in zip(expected, actual) {
      guard a.dataType == b.dataType, a.shape == b.shape else {
        comparison.problem =
          "the original is \(a.dataType.name)\(a.shape), the result \(b.dataType.name)\(b.shape)"
        return comparison
      }
      accumulate(a, b, into: &comparison, options: options)
    }
    return comparison
  }

  /// Adds the element-wise errors of `b` against `a` to `comparison`. Floating-point outputs
  /// use the tolerances; integer and Boolean outputs must be equal.
  private static func accumulate(
    _ a: HostTensor, _ b: HostTensor, into comparison: inout OutputComparison, options: VerificationOptions
  ) {
    guard let original = a.doubleValues(), let result = b.doubleValues() else {
      if a.buffer.byteCount != b.buffer.byteCount
        || memcmp(a.buffer.pointer, b.buffer.pointer, a.buffer.byteCount) != 0
      {
        comparison.problem = "its \(a.dataType.name) elements differ"
      }
      return
    }
    let (atol, rtol) = a.isFloatingPoint ? (options.absoluteTolerance, options.relativeTolerance) : (0, 0)
    comparison.elements += original.count
    for (x, y) in zip(original, result) {
      if x.isNaN && y.isNaN { continue }
      // NaN against a number, and an infinity against anything else, are infinitely off.
      let error = x == y ? 0 : (x.isFinite && y.isFinite ? abs(x - y) : Double.infinity)
      comparison.maxAbsoluteError = max(comparison.maxAbsoluteError, error)
      if x != 0, !x.isNaN { comparison.maxRelativeError = max(comparison.maxRelativeError, error / abs(x)) }
      if error == .infinity || error > atol + rtol * abs(x) { comparison.mismatches += 1 }
    }
  }
}

extension ModelConversion {
  /// The error `kiln convert` exits with when verification failed (exit 1): the worst output,
  /// and the pass that broke it when known.
  public static func verificationFailure(_ report: VerificationReport, output: String) -> KilnError {
    let failing = report.outputs.filter { !$0.passed }
    let worst = failing.max { $0.maxAbsoluteError < $1.maxAbsoluteError }
    var message = "verification failed"
    if let pass = report.firstFailingPass { message += " after pass '\(pass)'" }
    if let worst {
      message += ": output '\(worst.name)' "
      let absolute = VerificationReport.number(worst.maxAbsoluteError)
      let relative = VerificationReport.number(worst.maxRelativeError)
      message += worst.problem
        ?? "has \(worst.mismatches) of \(worst.elements) elements off (max abs error \(absolute), max rel error \(relative))"
      if failing.count > 1 { message += ", and \(failing.count - 1) more outputs" }
    }
    message += "; nothing was written to \(output)"
    return KilnError(
      .validationFailed, message,
      hint: report.firstFailingPass == nil
        ? "run with --verify-each to find the pass, or loosen --atol/--rtol"
        : "leave that pass out (--passes), or loosen --atol/--rtol if the difference is rounding")
  }
}
