// Writing a target's files all together or not at all.

import Foundation
import KilnIR
import KilnTargets
import KilnTestSupport
import Testing

@Suite("Target files")
struct TargetFilesTests {
  @Test("all files appear together, with their sizes")
  func allWritten() throws {
    try withTemporaryFolder { folder in
      let written = try TargetFiles.write([
        (folder.file("a.param"), { try $0.write(Data("abc".utf8)) }),
        (folder.file("a.bin"), { try $0.write(Data([1, 2, 3, 4, 5])) }),
      ])
      #expect(written.map(\.bytes) == [3, 5])
      #expect(try folder.contents().sorted() == ["a.bin", "a.param"])
    }
  }

  @Test("a failure while writing any file leaves every destination as it was and no temporary files")
  func noneWritten() throws {
    try withTemporaryFolder { folder in
      try Data("old".utf8).write(to: URL(fileURLWithPath: folder.file("a.param")))
      #expect(throws: KilnError.self) {
        try TargetFiles.write([
          (folder.file("a.param"), { try $0.write(Data("new".utf8)) }),
          (folder.file("a.bin"), { _ in throw KilnError.badInput("weights unreadable") }),
        ])
      }
      #expect(try folder.contents() == ["a.param"])
      #expect(try text(at: folder.file("a.param")) == "old")
    }
  }

  @Test("the ncnn target refuses to write a model it cannot take, leaving nothing behind")
  func ncnnWritesNothingOnError() throws {
    let graph = try model(
      #"""
      <ir_version: 8, opset_import: ["" : 17]>
      g (float[1, 2] X) => (float[1, 2] Y) { Y = Erf(X) }
      """#)
    try withTemporaryFolder { folder throws in
      #expect(throws: KilnError.self) { try NCNNTarget().write(graph, to: folder.file("m"), options: .init()) }
      let left = try folder.contents()
      #expect(left.isEmpty)
    }
  }
}
