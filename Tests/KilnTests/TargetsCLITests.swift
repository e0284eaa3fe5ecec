// `kiln targets`, and `kiln convert --target`: unknown targets, refused models, written files.

import DigitsTestSupport
import Foundation
import KilnTestSupport
import Testing

@Suite("Targets on the command line")
struct TargetsCLITests {
  @Test("kiln targets lists each target with its pipeline and ops with constraints")
  func listing() throws {
    let run = try kiln("targets")
    #expect(run.status == 0, "\(run)")
    #expect(run.stdout.contains("onnx  ONNX"), "\(run)")
    #expect(run.stdout.contains("ncnn  Tencent ncnn"), "\(run)")
    #expect(run.stdout.contains("  pipeline: ncnn\n"), "\(run)")
    #expect(run.stdout.contains(/\n    Conv +2-D kernels; constant weight and bias\n/), "\(run)")
  }

  @Test("kiln targets --json gives name, summary, pipeline and ops")
  func json() throws {
    let run = try kiln("targets", "--json")
    #expect(run.status == 0, "\(run)")
    let targets = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]])
    #expect(targets.map { $0["name"] as? String } == ["onnx", "ncnn"])
    #expect(targets[0]["everyOp"] as? Bool == true)
    let ops = try #require(targets[1]["ops"] as? [[String: Any]])
    #expect(ops.contains { $0["op"] as? String == "Gemm" })
  }

  @Test("an unknown target is a usage error (exit 2) naming the known ones")
  func unknownTarget() throws {
    try withTemporaryFolder { folder in
      let model = try writeSmallModel(folder.file("m.onnx"))
      let run = try kiln("convert", model, "-o", folder.file("out"), "--target", "caffe")
      #expect(run.status == 2, "\(run)")
      #expect(run.stderr.contains("there is no target 'caffe'") && run.stderr.contains("onnx, ncnn"), "\(run)")
      #expect(try folder.contents() == ["m.onnx"])
    }
  }

  @Test("a model ncnn cannot take exits 2 listing every problem, and writes nothing")
  func refusedModel() throws {
    try withTemporaryFolder { folder in
      let run = try kiln("convert", DigitsFixture.path("model.onnx"), "-o", folder.file("digits"), "--target", "ncnn")
      #expect(run.status == 2, "\(run)")
      #expect(run.stderr.contains("cannot be written for ncnn (4 problems); nothing was written"), "\(run)")
      #expect(run.stderr.contains("input 'image' has dynamic shape [N,1,16,16]"), "\(run)")
      #expect(run.stderr.contains("fc1 (Gemm): the shape of 'flat' is not known"), "\(run)")
      #expect(try folder.contents().isEmpty)
    }
  }

  @Test("--target ncnn writes .param and .bin (float16 with --fp16-weights) and says so in the JSON")
  func writesNCNN() throws {
    try withTemporaryFolder { folder in
      let arguments = [
        "convert", DigitsFixture.path("model.onnx"), "-o", folder.file("digits.param"), "--target", "ncnn",
        "--input-shape", "image=1x1x16x16", "--json",
      ]
      var run = try kiln(arguments)
      #expect(run.status == 0, "\(run)")
      let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
      let target = try #require(object["target"] as? [String: Any])
      #expect(target["name"] as? String == "ncnn")
      let files = try #require(target["files"] as? [[String: Any]])
      #expect(files.map { $0["path"] as? String } == [folder.file("digits.param"), folder.file("digits.bin")])
      let float32 = try fileSize(folder.file("digits.bin"))
      #expect(files.last?["bytes"] as? Int == Int(float32))
      #expect((object["output"] as? [String: Any])?["written"] as? Bool == true)

      run = try kiln(arguments + ["--fp16-weights"])
      #expect(run.status == 0, "\(run)")
      #expect(try fileSize(folder.file("digits.bin")) < float32 * 6 / 10)
      #expect(try folder.contents().sorted() == ["digits.bin", "digits.param"])
    }
  }

  @Test("--int8 needs --stats; --fp16-weights and --int8 are not for the ONNX target")
  func targetOptionErrors() throws {
    var run = try kiln("convert", "m.onnx", "-o", "out", "--target", "ncnn", "--int8")
    #expect(run.status == 2, "\(run)")
    #expect(run.stderr.contains("--int8 needs --stats"), "\(run)")
    run = try kiln("convert", "m.onnx", "-o", "out", "--fp16-weights")
    #expect(run.status == 2, "\(run)")
    #expect(run.stderr.contains("kiln quantize --fp16"), "\(run)")
  }
}
