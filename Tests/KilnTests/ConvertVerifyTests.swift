// `kiln convert --verify`, `--verify-each`, `--input-shape`, `--input` and `--json`, on the
// command line and through ModelConversion with a pass that breaks the numbers.

import Foundation
import Kiln
import KilnIR
import KilnONNX
import KilnPasses
import KilnRuntime
import KilnTestSupport
import Testing

/// Scales every float initializer of the main graph by 1.01: a broken pass for the
/// verification to catch.
struct ScalesWeights: Pass {
  static let name = "scales-weights"
  static let summary = "Test pass that changes the numbers."
  static let scope = PassScope.mainGraph
  init(options: PassOptions) {}

  func run(on graph: Graph, context: PassContext) throws -> Bool {
    for value in graph.initializers {
      guard let tensor = value.constant, tensor.dataType == .float, let values = tensor.floatingPointValues() else {
        continue
      }
      value.constant = floatTensor(tensor.name, values.map { Float($0 * 1.01) }, dims: tensor.dims)
    }
    return true
  }
}

@Suite("Convert with verification")
struct ConvertVerifyTests {
  /// The standard passes and the broken one.
  static let registry = PassRegistry(PassRegistry.standard.passes + [ScalesWeights.self])

  @Test("--verify runs both models, prints the errors per output and writes the result")
  func verifyPasses() throws {
    try withTemporaryFolder { folder in
      let model = try writeSmallModel(folder.file("m.onnx"))
      let out = folder.file("out.onnx")
      let run = try kiln("convert", model, "-o", out, "--verify", "--input-shape", "X=2x3")
      #expect(run.status == 0, "\(run)")
      #expect(run.stdout.contains("verification: passed"), "\(run)")
      #expect(run.stdout.contains("input X: float32[2,3] from random"), "\(run)")
      #expect(run.stdout.contains("max abs error"), "\(run)")
      #expect(run.stdout.contains("0/4"), "\(run)")
      #expect(run.stderr.isEmpty, "\(run)")
      #expect(FileManager.default.fileExists(atPath: out))
    }
  }

  @Test("a symbolic dim without --input-shape is verified at 1, with a warning")
  func symbolicDimWarning() throws {
    try withTemporaryFolder { folder in
      let model = try writeSmallModel(folder.file("m.onnx"))
      let run = try kiln("convert", model, "-o", folder.file("out.onnx"), "--verify")
      #expect(run.status == 0, "\(run)")
      #expect(run.stderr.contains("warning: input 'X' has shape [N,3]; verifying with 1x3"), "\(run)")
      #expect(run.stdout.contains("input X: float32[1,3] from random"), "\(run)")
    }
  }

  @Test("--verify-each checks after every pass; --input feeds a .npy file")
  func verifyEachWithInputFile() throws {
    try withTemporaryFolder { folder in
      let model = try writeSmallModel(folder.file("m.onnx"))
      let x = try HostTensor(shape: [3, 3], values: [Float](repeating: 0.5, count: 9))
      try NPYFile.write(x, to: folder.file("x.npy"))
      let run = try kiln(
        "convert", model, "-o", folder.file("out.onnx"), "--verify-each", "--input", "X=\(folder.file("x.npy"))")
      #expect(run.status == 0, "\(run)")
      #expect(run.stdout.contains("input X: float32[3,3] from \(folder.file("x.npy"))"), "\(run)")
      #expect(run.stdout.contains("checked after each of"), "\(run)")
      #expect(run.stderr.isEmpty, "\(run)")
    }
  }

  @Test("--input-shape fixes the input's dims and the same symbol everywhere")
  func inputShape() throws {
    try withTemporaryFolder { folder in
      let model = try writeSmallModel(folder.file("m.onnx"))
      let out = folder.file("out.onnx")
      let run = try kiln("convert", model, "-o", out, "--input-shape", "X=4x3")
      #expect(run.status == 0, "\(run)")
      #expect(run.stdout.contains("fixed dims: N=4"), "\(run)")
      let result = try ONNXModelReader.read(path: out)
      #expect(result.graph.inputs.first?.type == .tensor(.float, Shape(static: [4, 3])))
      #expect(result.graph.outputs.first?.type == .tensor(.float, Shape(static: [4, 2])))
    }
  }

  @Test("--json prints every key of the documented schema")
  func jsonSchema() throws {
    try withTemporaryFolder { folder in
      let model = try writeSmallModel(folder.file("m.onnx"))
      let out = folder.file("out.onnx")
      let run = try kiln("convert", model, "-o", out, "--json", "--verify-each", "--input-shape", "X=2x3")
      #expect(run.status == 0, "\(run)")
      let object = try #require(
        try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run)")
      #expect(
        Set(object.keys) == [
          "input", "output", "target", "ops", "pipeline", "passes", "notes", "fixedDims", "verification", "warnings",
          "checker", "seconds",
        ])
      let target = try #require(object["target"] as? [String: Any])
      #expect(target["name"] as? String == "onnx")
      #expect((target["files"] as? [[String: Any]])?.map { $0["path"] as? String } == [out])
      let input = try #require(object["input"] as? [String: Any])
      #expect(Set(input.keys) == ["file", "bytes", "nodes"])
      #expect(input["nodes"] as? Int == 2)
      let output = try #require(object["output"] as? [String: Any])
      #expect(
        Set(output.keys) == ["file", "written", "bytes", "modelBytes", "externalDataFile", "externalBytes", "nodes"])
      #expect(output["written"] as? Bool == true)
      let ops = try #require(object["ops"] as? [[String: Any]])
      #expect(ops.map { $0["op"] as? String } == ["MatMul", "Relu"])
      #expect(ops.allSatisfy { Set($0.keys) == ["op", "before", "after"] })
      let pipeline = try #require(object["pipeline"] as? [String: Any])
      #expect(Set(pipeline.keys) == ["name", "iterations", "converged"])
      #expect(pipeline["name"] as? String == "default")
      let passes = try #require(object["passes"] as? [[String: Any]])
      #expect(!passes.isEmpty)
      #expect(
        passes.allSatisfy {
          Set($0.keys) == ["pass", "iteration", "changed", "seconds", "nodesBefore", "nodesAfter"]
        })
      #expect(object["fixedDims"] as? [String: Int] == ["N": 2])
      let verification = try #require(object["verification"] as? [String: Any])
      #expect(
        Set(verification.keys) == [
          "seed", "absoluteTolerance", "relativeTolerance", "inputs", "outputs", "eachPass", "firstFailingPass",
          "passed",
        ])
      #expect(verification["passed"] as? Bool == true)
      #expect((verification["eachPass"] as? [Any])?.count == passes.count)
      let outputs = try #require(verification["outputs"] as? [[String: Any]])
      #expect(
        outputs.first.map { Set($0.keys) } == [
          "name", "dataType", "shape", "elements", "maxAbsoluteError", "maxRelativeError", "mismatches", "problem",
          "passed",
        ])
    }
  }

  @Test("without --verify the JSON has verification null")
  func jsonWithoutVerification() throws {
    try withTemporaryFolder { folder in
      let model = try writeSmallModel(folder.file("m.onnx"))
      let run = try kiln("convert", model, "-o", folder.file("out.onnx"), "--json", "--pipeline", "none")
      #expect(run.status == 0, "\(run)")
      let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
      #expect(object["verification"] is NSNull)
      #expect((object["pipeline"] as? [String: Any])?["name"] as? String == "none")
    }
  }

  @Test(
    "bad --input-shape, --input and models the runtime cannot run are exit 2 with a clear message",
    arguments: [
      (["--input-shape", "Y=1x3"], ["no input named 'Y'", "inputs: X"]),
      (["--input-shape", "X=1xa"], ["--input-shape 'X=1xa'", "'a' is not a dimension size"]),
      (["--input-shape", "X"], ["--input-shape 'X'", "expected NAME=DIMS"]),
      (["--input-shape", "X=1x3x5"], ["rank 2", "not 3"]),
      (["--input-shape", "X=2x4"], ["dim 1 of the input is fixed at 3"]),
      (["--input-shape", "X=1x3", "--input-shape", "X=2x3"], ["names input 'X' twice"]),
      (["--verify", "--input", "X=INT64"], ["holds int64", "input is float32", "x64.npy"]),
      (["--verify", "--input", "X=RANK1"], ["shape [3]", "[N,3]"]),
      (["--verify", "--input", "Q=INT64"], ["no input named 'Q'"]),
      (["--verify", "--input", "X=\(FileManager.default.temporaryDirectory.path)/missing.npy"], ["missing.npy"]),
    ])
  func badInputs(extra: [String], naming: [String]) throws {
    try withTemporaryFolder { folder in
      let model = try writeSmallModel(folder.file("m.onnx"))
      try NPYFile.write(try HostTensor(shape: [1, 3], values: [Int64(1), 2, 3]), to: folder.file("x64.npy"))
      try NPYFile.write(try HostTensor(shape: [3], values: [Float(1), 2, 3]), to: folder.file("rank1.npy"))
      let arguments = extra.map {
        $0.replacingOccurrences(of: "INT64", with: folder.file("x64.npy"))
          .replacingOccurrences(of: "RANK1", with: folder.file("rank1.npy"))
      }
      let out = folder.file("out.onnx")
      let run = try kiln(["convert", model, "-o", out] + arguments)
      expectCleanFailure(run, naming: naming)
      #expect(!FileManager.default.fileExists(atPath: out))
    }
  }

  @Test("--input without --verify, and a negative tolerance, are usage errors")
  func usage() throws {
    try withTemporaryFolder { folder in
      let model = try writeSmallModel(folder.file("m.onnx"))
      for extra in [["--input", "X=x.npy"], ["--verify", "--rtol", "-1"]] {
        let run = try kiln(["convert", model, "-o", folder.file("out.onnx")] + extra)
        #expect(run.status == 2, "\(run)")
        #expect(run.stderr.contains(extra[0] == "--input" ? "--input is for --verify" : "--rtol"), "\(run)")
      }
      #expect(try folder.contents() == ["m.onnx"])
    }
  }

  @Test("--verify on a model with an op the runtime lacks is exit 2 naming the op")
  func unsupportedOp() throws {
    try withTemporaryFolder { folder in
      let path = folder.file("m.onnx")
      let text = """
        <ir_version: 8, opset_import: ["" : 17, "com.example" : 1]>
        g (float[2] X) => (float[2] Y) {
          Y = com.example.Mystery(X)
        }
        """
      try LibONNX.parseText(text).write(to: URL(fileURLWithPath: path))
      let out = folder.file("out.onnx")
      let run = try kiln("convert", path, "-o", out, "--verify")
      expectCleanFailure(run, naming: ["cannot verify", "Mystery"])
      #expect(!FileManager.default.fileExists(atPath: out))
      // Without --verify the same model converts.
      #expect(try kiln("convert", path, "-o", out).status == 0)
    }
  }

  // MARK: Through the API, with a pass that breaks the numbers

  func convert(_ folder: TemporaryFolder, passes: String, eachPass: Bool) throws -> (ConversionReport, String) {
    let model = try writeSmallModel(folder.file("m.onnx"))
    let out = folder.file("out.onnx")
    // 8 rows, so that Relu lets some outputs through.
    let options = ConversionOptions(
      passes: passes, inputShapes: ["X": [8, 3]], verification: VerificationOptions(eachPass: eachPass),
      registry: Self.registry)
    return (try ModelConversion.run(input: model, output: out, options: options), out)
  }

  @Test("a pass that changes the numbers fails verification, and nothing is written")
  func verifyFails() throws {
    try withTemporaryFolder { folder in
      let (report, out) = try convert(folder, passes: "eliminate-identity,scales-weights", eachPass: false)
      let verification = try #require(report.verification)
      #expect(!verification.passed)
      #expect(report.output == nil)
      #expect(!FileManager.default.fileExists(atPath: out))
      #expect(try folder.contents() == ["m.onnx"])
      let output = try #require(verification.outputs.first)
      #expect(output.name == "Z")
      #expect(output.mismatches > 0 && output.maxAbsoluteError > 0)
      #expect(abs(output.maxRelativeError - 0.01) < 1e-4)
      let error = ModelConversion.verificationFailure(verification, output: out)
      #expect(error.exitCode == 1)
      #expect(error.message.contains("output 'Z'") && error.message.contains("nothing was written"))
      #expect(report.text(verbose: false).contains("verification: FAILED"))
    }
  }

  @Test("--verify-each names the first pass that changed the numbers and stops there")
  func verifyEachNamesThePass() throws {
    try withTemporaryFolder { folder in
      let (report, out) = try convert(
        folder, passes: "eliminate-identity,scales-weights,eliminate-dead-code", eachPass: true)
      let verification = try #require(report.verification)
      #expect(!verification.passed)
      #expect(verification.firstFailingPass == "scales-weights")
      #expect(verification.eachPass.map(\.pass) == ["eliminate-identity", "scales-weights"])
      #expect(verification.eachPass.map(\.passed) == [true, false])
      #expect(report.pipeline.statistics.map(\.pass) == ["eliminate-identity", "scales-weights"])
      #expect(!FileManager.default.fileExists(atPath: out))
      let error = ModelConversion.verificationFailure(verification, output: out)
      #expect(error.message.contains("after pass 'scales-weights'"))
      #expect(report.text(verbose: false).contains("first off after pass 'scales-weights'"))
    }
  }

  @Test("tolerances: NaN equals NaN, NaN against a number and infinities are off, integers are exact")
  func comparison() throws {
    func compare(_ a: [Float], _ b: [Float], atol: Double = 1e-5, rtol: Double = 1e-4) throws -> OutputComparison {
      ConversionVerifier.compare(
        name: "y", .tensor(try HostTensor(shape: [a.count], values: a)),
        .tensor(try HostTensor(shape: [b.count], values: b)),
        options: VerificationOptions(absoluteTolerance: atol, relativeTolerance: rtol))
    }
    #expect(try compare([.nan, 1, .infinity], [.nan, 1, .infinity]).passed)
    #expect(try compare([1000, 0], [1000.05, 0.000005]).passed)
    #expect(!(try compare([1000, 0], [1000.2, 0])).passed)
    #expect(!(try compare([0], [0.00002])).passed)
    #expect(!(try compare([.nan], [1])).passed)
    #expect(!(try compare([1], [.nan])).passed)
    #expect(!(try compare([.infinity], [1e30])).passed)
    #expect(try compare([2], [2.5]).maxRelativeError == 0.25)
    #expect(!(try compare([1], [1, 2])).passed)
    let ints = ConversionVerifier.compare(
      name: "i", .tensor(try HostTensor(shape: [2], values: [Int64(1), 2])),
      .tensor(try HostTensor(shape: [2], values: [Int64(1), 3])),
      options: VerificationOptions(absoluteTolerance: 10, relativeTolerance: 10))
    #expect(ints.mismatches == 1)
  }
}
