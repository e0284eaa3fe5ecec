// Statistics files: canonical bytes, refused files and merges that name the file and tensor.

import Foundation
import KilnIR
import KilnRuntime
import KilnTestSupport
import Testing

@testable import KilnQuant

private func statistics(_ tensors: [String: [Float]], samples: Int = 1) throws -> CalibrationStatistics {
  var statistics = CalibrationStatistics(graphName: "g", inputNames: ["x"], binCount: 16)
  for (name, values) in tensors { try statistics.observe(name, HostTensor(shape: [values.count], values: values)) }
  statistics.sampleCount = samples
  return statistics
}

@Suite struct CalibrationStatisticsTests {
  @Test func onlyFloat32TensorsAreObserved() throws {
    var stats = try statistics(["a": [1, 2]])
    try stats.observe("i", HostTensor(shape: [1], values: [Int64(3)]))
    #expect(stats.tensors.keys.sorted() == ["a"])
  }

  @Test func filesReadBackToTheSameBytes() throws {
    var stats = try statistics([
      "b": [0.1, -3.75, 1e-7], "a": [Float.pi], "/layer\"1\"/Conv\\out\n\t\u{1}\u{8}\u{c}\r": [2], "é": [],
    ])
    stats.method = .percentile(99.9)
    try withTemporaryFolder { folder in
      let path = folder.file("s.json")
      try stats.write(to: path)
      let read = try CalibrationStatistics.read(path: path)
      #expect(read == stats)
      #expect(try read.jsonData() == fileBytes(path))
      #expect(read.tensors["b"]?.minimum == -3.75 && read.tensors["a"]?.maximum == Float.pi)
      let text = String(decoding: try fileBytes(path), as: UTF8.self)
      #expect(text.hasPrefix(#"{"bins":16,"graph":"g","inputs":["x"],"method":"percentile:99.9","samples":1,"#))
      #expect(text.contains(#""\/layer\"1\"\/Conv\\out\n\t\u0001\b\f\r":{"#), "escaped as JSONEncoder escapes")
      #expect(text.hasSuffix("}},\"version\":1}\n"))
    }
  }

  @Test func mergingDifferentTensorsNamesTheFileAndTensor() throws {
    var stats = try statistics(["a": [1], "b": [2]])
    #expect {
      try stats.merge(statistics(["a": [1], "c": [2]]), file: "other.json")
    } throws: { error in
      let error = error as? KilnError
      return error?.file == "other.json" && error?.message.contains("'b'") == true
    }
    var other = try statistics(["a": [1]])
    other.graphName = "h"
    #expect(throws: KilnError.self) { try stats.merge(other, file: "h.json") }
    var entropy = try statistics(["a": [1], "b": [2]])
    entropy.method = .entropy
    #expect {
      try stats.merge(entropy, file: "entropy.json")
    } throws: { error in
      (error as? KilnError)?.message.contains("by entropy, not by minmax") == true
    }
  }

  @Test func statisticsOfNoSamplesMergeWithAny() throws {
    var stats = try statistics(["a": [1]])
    try stats.merge(CalibrationStatistics(graphName: "g", inputNames: ["x"], binCount: 16), file: "empty.json")
    #expect(stats == (try statistics(["a": [1]])))
  }

  @Test func badFilesAreRefusedByName() throws {
    try withTemporaryFolder { folder in
      let cases: [(String, String)] = [
        ("{\"schema\":\"other\"}", "not a Kiln calibration statistics file"),
        ("{\"schema\":\"kiln-calibration-statistics\",\"version\":99}", "format version 99"),
        ("{\"schema\":\"kiln-calibration-statistics\",\"version\":1,\"graph\":\"g\"}", "damaged"),
        ("not json", "not a Kiln calibration statistics file"),
      ]
      for (index, (text, message)) in cases.enumerated() {
        let path = folder.file("bad\(index).json")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        #expect {
          _ = try CalibrationStatistics.read(path: path)
        } throws: { error in
          (error as? KilnError)?.file == path && (error as? KilnError)?.message.contains(message) == true
        }
      }
      #expect(throws: KilnError.self) { try CalibrationStatistics.read(path: folder.file("missing.json")) }
    }
  }
}
