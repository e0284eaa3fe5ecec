// The .xml of an OpenVINO IR (version 11): layers with their data and ports, then edges.

import KilnIR

/// Writes an OpenVINO IR v11 .xml:
///
///     <net name="NAME" version="11">
///       <layers>
///         <layer id="I" name="N" type="T" version="opsetK">
///           <data attribute="value" ... />
///           <input><port id="0" precision="FP32"><dim>1</dim>...</port>...</input>
///           <output><port id="P" precision="FP32" names="tensor">...</port>...</output>
///         </layer>
///       </layers>
///       <edges><edge from-layer="I" from-port="P" to-layer="J" to-port="Q" />...</edges>
///     </net>
///
/// A layer's input ports are numbered from 0 and its output ports after them. Const data
/// names an `offset` and `size` in the .bin.
enum OpenVINOXMLWriter {
  /// The IR version written.
  static let version = 11

  /// The whole .xml text of `network`.
  static func text(_ network: OpenVINONetwork) -> String {
    var lines = [#"<?xml version="1.0"?>"#, #"<net name="\#(Markup.escaped(network.name))" version="\#(version)">"#, "\t<layers>"]
    for layer in network.layers { lines += self.lines(layer) }
    lines += ["\t</layers>", "\t<edges>"]
    for layer in network.layers {
      for (index, input) in layer.inputs.enumerated() {
        lines.append(
          #"\#t\#t<edge from-layer="\#(input.layer)" from-port="\#(input.port)" to-layer="\#(layer.id)" to-port="\#(index)" />"#)
      }
    }
    lines += ["\t</edges>", "</net>"]
    return lines.joined(separator: "\n") + "\n"
  }

  /// The lines of one layer.
  static func lines(_ layer: OpenVINOLayer) -> [String] {
    var lines = [
      #"\#t\#t<layer id="\#(layer.id)" name="\#(Markup.escaped(layer.name))" type="\#(layer.type)" version="\#(layer.version)">"#
    ]
    if !layer.attributes.isEmpty {
      lines.append("\t\t\t<data " + layer.attributes.map { #"\#($0.name)="\#(Markup.escaped($0.value))""# }.joined(separator: " ") + " />")
    }
    if layer.isDecompression {
      lines += ["\t\t\t<rt_info>", #"\#t\#t\#t\#t<attribute name="decompression" version="0" />"#, "\t\t\t</rt_info>"]
    }
    if !layer.inputs.isEmpty {
      lines.append("\t\t\t<input>")
      for (index, input) in layer.inputs.enumerated() { lines += port(index, input.tensor, named: false) }
      lines.append("\t\t\t</input>")
    }
    if !layer.outputs.isEmpty {
      lines.append("\t\t\t<output>")
      for (index, tensor) in layer.outputs.enumerated() { lines += port(layer.inputs.count + index, tensor, named: true) }
      lines.append("\t\t\t</output>")
    }
    return lines + ["\t\t</layer>"]
  }

  /// A port element: precision, the tensor names on an output port (commas in a name
  /// escaped, since the list is comma-separated), and one `<dim>` per dim.
  static func port(_ id: Int, _ tensor: OpenVINOTensor, named: Bool) -> [String] {
    let names = tensor.names.map { $0.replacingOccurrences(of: ",", with: "\\,") }.joined(separator: ",")
    let head = #"\#t\#t\#t\#t<port id="\#(id)" precision="\#(tensor.type.precision)""#
      + (named && !tensor.names.isEmpty ? #" names="\#(Markup.escaped(names))""# : "")
    guard !tensor.dims.isEmpty else { return [head + " />"] }
    return [head + ">"] + tensor.dims.map { "\t\t\t\t\t<dim>\($0)</dim>" } + ["\t\t\t\t</port>"]
  }
}
