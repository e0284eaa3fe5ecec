// The trtexec command line that builds a TensorRT engine from the ONNX Kiln wrote.

/// `trtexec --onnx=OUT --saveEngine=ENGINE [--int8|--fp16] [--minShapes=… --optShapes=… --maxShapes=…]`:
/// the precision from the conversion's options, and one optimization profile from the input
/// shape ranges (`--input-shape NAME=MIN..OPT..MAX x …`).
struct TrtexecCommand {
  var onnx: String
  var engine: String
  var int8: Bool
  var float16: Bool
  var ranges: [String: InputShapeRange]

  /// The arguments after the executable's name.
  var arguments: [String] {
    var arguments = ["--onnx=\(onnx)", "--saveEngine=\(engine)"]
    if int8 { arguments.append("--int8") } else if float16 { arguments.append("--fp16") }
    guard !ranges.isEmpty else { return arguments }
    for (flag, shape) in [("min", \InputShapeRange.min), ("opt", \.opt), ("max", \.max)] {
      let shapes = ranges.keys.sorted().map { name in
        "\(name):" + (ranges[name]?[keyPath: shape] ?? []).map(String.init).joined(separator: "x")
      }
      arguments.append("--\(flag)Shapes=" + shapes.joined(separator: ","))
    }
    return arguments
  }

  /// The whole command as a shell line.
  var line: String { ToolkitProcess.line(["trtexec"] + arguments) }
}
