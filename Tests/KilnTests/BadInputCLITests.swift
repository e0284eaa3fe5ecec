// Bad model files through `kiln inspect` and `kiln convert`: exit 2, one line naming the file
// and the problem, no crash, and no output left behind.

import Foundation
import KilnTestSupport
import Testing

@Suite("Bad input through the CLI")
struct BadInputCLITests {
  @Test("kiln inspect refuses a bad model with exit 2 and one line", arguments: BadInput.allCases)
  func inspect(kind: BadInput) throws {
    try withTemporaryFolder { folder in
      let (path, names) = try kind.make(in: folder)
      expectCleanFailure(try kiln("inspect", path), naming: [path] + names)
      expectCleanFailure(try kiln("inspect", "--json", path), naming: [path] + names)
    }
  }

  @Test("kiln convert refuses a bad model and leaves no output", arguments: BadInput.allCases)
  func convert(kind: BadInput) throws {
    try withTemporaryFolder { folder in
      let (path, names) = try kind.make(in: folder)
      let out = try folder.folder("out")
      for extra in [[], ["--external-data"], ["--no-external-data"]] {
        let run = try kiln(["convert", path, "-o", out + "/out.onnx"] + extra)
        expectCleanFailure(run, naming: [path] + names)
        let left = try folder.contents("out")
        #expect(left.isEmpty, "left behind: \(left)")
      }
    }
  }

  @Test("a relative path is named as given")
  func relativePath() throws {
    try withTemporaryFolder { folder in
      try Data("not a model".utf8).write(to: URL(fileURLWithPath: folder.file("junk.onnx")))
      expectCleanFailure(try kiln("inspect", "junk.onnx", in: folder.path), naming: ["junk.onnx"])
      let run = try kiln("convert", "junk.onnx", "-o", "out.onnx", in: folder.path)
      expectCleanFailure(run, naming: ["junk.onnx"])
      #expect(try folder.contents() == ["junk.onnx"])
    }
  }
}
