// `kiln run`: inputs from .npy and .pb files or random, reports, saved outputs, refusals.

import Foundation
import KilnIR
import KilnONNX
import KilnRuntime
import KilnTestSupport
import Testing

/// `Y = Identity(X)` with X of type float[N, 3].
private func identityModel() -> Model {
  let graph = Graph(name: "identity")
  let x = Value(name: "X", type: .tensor(.float, Shape([.symbolic("N"), .fixed(3)])))
  let y = Value(name: "Y", type: .tensor(.float, Shape([.symbolic("N"), .fixed(3)])))
  graph.inputs = [x]
  graph.append(Node(name: "copy", opType: "Identity", inputs: [x], outputs: [y]))
  graph.outputs = [y]
  return Model(irVersion: 8, opsetImports: [OpsetImport(domain: "", version: 17)], graph: graph)
}

private func writeIdentityModel(_ folder: TemporaryFolder) throws -> String {
  try ONNXModelWriter.write(identityModel(), to: folder.file("identity.onnx"))
  return folder.file("identity.onnx")
}

private func writeNPY<T: TensorElement>(_ path: String, shape: [Int], _ values: [T]) throws -> String {
  try NPYFile.write(try HostTensor(shape: shape, values: values), to: path)
  return path
}

@Suite("Run")
struct RunCommandTests {
  @Test("an .npy input runs; the report names each output and the latency; outputs are saved")
  func npyInput() throws {
    try withTemporaryFolder { folder in
      let model = try writeIdentityModel(folder)
      let input = try writeNPY(folder.file("x.npy"), shape: [2, 3], [Float(1), 2, 3, 4, 5, -6])
      let out = folder.file("out")
      let run = try kiln("run", model, "--input", "X=\(input)", "--output-dir", out, "--repeat", "3")
      #expect(run.status == 0, "\(run)")
      #expect(run.stdout.contains("Y: float32[2,3]  min -6  max 5  mean 1.5"), "\(run)")
      #expect(run.stdout.contains("latency: median "), "\(run)")
      #expect(run.stdout.contains("over 3 runs"), "\(run)")
      #expect(try fileBytes(out + "/Y.npy") == (try fileBytes(input)))
      #expect(try folder.contents("out") == ["Y.npy"])
    }
  }

  @Test("a serialized TensorProto input runs")
  func pbInput() throws {
    try withTemporaryFolder { folder in
      let model = try writeIdentityModel(folder)
      let input = folder.file("x.pb")
      try ONNXTensorFile.write(floatTensor("X", [1, 2, 3], dims: [1, 3]), to: input)
      #expect(try ONNXTensorFile.read(path: input).dims == [1, 3])
      let run = try kiln("run", model, "--input", "X=\(input)")
      #expect(run.status == 0, "\(run)")
      #expect(run.stdout.contains("Y: float32[1,3]  min 1  max 3  mean 2"), "\(run)")
    }
  }

  @Test("--json prints the outputs and latency")
  func json() throws {
    try withTemporaryFolder { folder in
      let model = try writeIdentityModel(folder)
      let input = try writeNPY(folder.file("x.npy"), shape: [1, 3], [Float(1), 2, 3])
      let run = try kiln("run", model, "--input", "X=\(input)", "--json")
      #expect(run.status == 0, "\(run)")
      let object = try #require(
        try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
      #expect(object["runs"] as? Int == 1)
      #expect(object["medianMilliseconds"] is Double && object["p90Milliseconds"] is Double)
      let output = try #require((object["outputs"] as? [[String: Any]])?.first)
      #expect(output["name"] as? String == "Y")
      #expect(output["dataType"] as? String == "float32")
      #expect(output["shape"] as? [Int] == [1, 3])
      #expect(output["mean"] as? Double == 2)
    }
  }

  @Test("--random inputs are seeded, and dims that are not fixed need --shape")
  func random() throws {
    try withTemporaryFolder { folder in
      let model = try writeIdentityModel(folder)
      expectCleanFailure(try kiln("run", model, "--random"), naming: ["'X'", "--shape X="])
      func output(seed: Int, into name: String) throws -> Data {
        let run = try kiln(
          "run", model, "--random", "--seed", "\(seed)", "--shape", "X=4x3", "--output-dir", folder.file(name))
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.contains("Y: float32[4,3]"), "\(run)")
        return try fileBytes(folder.file(name) + "/Y.npy")
      }
      let first = try output(seed: 7, into: "a")
      #expect(try output(seed: 7, into: "b") == first)
      #expect(try output(seed: 8, into: "c") != first)
      let values = try NPYFile.read(path: folder.file("a/Y.npy")).scalars(as: Float.self)
      #expect(values.allSatisfy { $0 >= -1 && $0 < 1 } && Set(values).count > 1)
    }
  }

  @Test("a model with ops the runtime lacks is refused, naming every one")
  func unsupportedOps() throws {
    try withTemporaryFolder { folder in
      let unsupported = smallModel()
      for (node, domain) in zip(unsupported.graph.nodes, ["com.example", "org.example"]) {
        node.domain = domain
      }
      unsupported.opsetImports += [
        OpsetImport(domain: "com.example", version: 1), OpsetImport(domain: "org.example", version: 1),
      ]
      let model = folder.file("m.onnx")
      try ONNXModelWriter.write(unsupported, to: model)
      expectCleanFailure(
        try kiln("run", model, "--random", "--shape", "X=1x3"),
        naming: ["com.example::MatMul", "org.example::Relu"])
    }
  }

  @Test("kiln run --help documents every option")
  func help() throws {
    let run = try kiln("run", "--help")
    #expect(run.status == 0, "\(run)")
    for option in ["--input", "--random", "--seed", "--shape", "--threads", "--repeat", "--output-dir", "--json"] {
      #expect(run.stdout.contains(option), "\(option) missing: \(run)")
    }
  }

  @Test("bad inputs are refused with exit 2")
  func badInputs() throws {
    try withTemporaryFolder { folder in
      let model = try writeIdentityModel(folder)
      let ints = try writeNPY(folder.file("i.npy"), shape: [1, 3], [Int32(1), 2, 3])
      let wide = try writeNPY(folder.file("w.npy"), shape: [1, 4], [Float(1), 2, 3, 4])
      let good = try writeNPY(folder.file("g.npy"), shape: [1, 3], [Float(1), 2, 3])
      let broken = folder.file("broken.npy")
      try Data(try fileBytes(good).prefix(100)).write(to: URL(fileURLWithPath: broken))
      let emptyPB = folder.file("empty.pb")
      let modelPB = folder.file("model.pb")
      try Data().write(to: URL(fileURLWithPath: emptyPB))
      try fileBytes(model).write(to: URL(fileURLWithPath: modelPB))
      let cases: [([String], [String])] = [
        (["--input", "X=\(emptyPB)"], [emptyPB, "empty"]),
        (["--input", "X=\(modelPB)"], [modelPB, "not"]),
        ([], ["'X'", "--random"]),
        (["--input", "X=\(ints)"], ["'X'", "int32"]),
        (["--input", "X=\(wide)"], ["'X'", "[1, 4]"]),
        (["--input", "X=\(broken)"], [broken]),
        (["--input", "X=\(folder.file("missing.npy"))"], ["missing.npy"]),
        (["--input", "X=\(folder.file("x.txt"))"], ["x.txt", ".npy"]),
        (["--input", "Q=\(good)"], ["'Q'"]),
        (["--random", "--shape", "Q=1x3"], ["'Q'"]),
        (["--input", "X=\(good)", "--shape", "X=1x3"], ["'X'", "--shape"]),
        (["--random", "--shape", "X=1xy"], ["1xy"]),
        (["--input", "X"], ["NAME=VALUE"]),
      ]
      for (arguments, naming) in cases {
        expectCleanFailure(try kiln(["run", model] + arguments), naming: naming)
      }
      let zeroThreads = try kiln("run", model, "--random", "--shape", "X=1x3", "--threads", "0")
      #expect(zeroThreads.status == 2 && zeroThreads.stderr.contains("--threads"), "\(zeroThreads)")
    }
  }
}
