// The OpenVINO target: the .xml of a tiny graph, the .bin offsets, float16 and int8 weights,
// and the problems it lists.

import Foundation
import KilnIR
import KilnQuant
import KilnTargets
import KilnTestSupport
import Testing

@Suite("OpenVINO target")
struct OpenVINOTargetTests {
  /// x[1,2,4,4] → Conv(1x1, 3 outputs, bias) → Relu → y.
  private func tinyModel() -> Model {
    let builder = GraphBuilder("tiny")
    let x = builder.input("x", "float32[1,2,4,4]")
    let weight = builder.constant("w", [1, 2, 3, 4, 5, 6], dims: [3, 2, 1, 1])
    let bias = builder.constant("b", [0.5, -0.5, 0.25])
    let convolved = builder.op("Conv", x, weight, bias, output: "c", name: "conv")
    let y = builder.op("Relu", convolved, output: "y", name: "relu")
    convolved.type = tensorType("float32[1,3,4,4]")
    y.type = tensorType("float32[1,3,4,4]")
    builder.output(y)
    return Model(irVersion: 8, opsetImports: [OpsetImport(domain: "", version: 13)], graph: builder.graph)
  }

  /// The .xml and .bin the target writes for `model`.
  private func written(_ model: Model, options: TargetOptions = .init()) throws -> (xml: String, bin: Data) {
    try withTemporaryFolder { folder in
      let files = try OpenVINOTarget().write(model, to: folder.file("model.xml"), options: options)
      #expect(files.map { URL(fileURLWithPath: $0.path).lastPathComponent } == ["model.xml", "model.bin"])
      return (String(decoding: try fileBytes(folder.file("model.xml")), as: UTF8.self), try fileBytes(folder.file("model.bin")))
    }
  }

  @Test("a tiny graph gives the expected .xml: a Parameter, Consts, the Conv as Convolution and Add, ReLU, a Result")
  func goldenXML() throws {
    let xml = try written(tinyModel()).xml.replacingOccurrences(of: "\t", with: "  ")
    #expect(xml == Self.tinyXML)
  }

  @Test("the .bin holds each constant at a 64-byte-aligned offset that the .xml names")
  func binOffsets() throws {
    let (xml, bin) = try written(tinyModel())
    #expect(xml.contains(#"shape="3, 2, 1, 1" offset="0" size="24""#))
    #expect(xml.contains(#"shape="1, 3, 1, 1" offset="64" size="12""#))
    #expect(bin.count == 76)
    #expect(bin[0..<24] == littleEndianBytes([1, 2, 3, 4, 5, 6] as [Float]))
    #expect(bin[64..<76] == littleEndianBytes([0.5, -0.5, 0.25] as [Float]))
  }

  @Test("float16 weights are f16 Consts decompressed by a Convert marked in rt_info")
  func float16Weights() throws {
    let (xml, bin) = try written(tinyModel(), options: TargetOptions(float16Weights: true))
    #expect(xml.contains(#"name="w/compressed" type="Const" version="opset1">"#))
    #expect(xml.contains(#"element_type="f16" shape="3, 2, 1, 1" offset="0" size="12""#))
    #expect(xml.contains(#"<layer id="2" name="w" type="Convert" version="opset1">"#))
    #expect(xml.contains(#"<attribute name="decompression" version="0" />"#))
    let halves = ([1, 2, 3, 4, 5, 6] as [Float]).map { Float16($0).bitPattern }
    #expect(bin[0..<12] == littleEndianBytes(halves))
  }

  @Test("int8 puts FakeQuantize on the input (256 levels, its range) and the weight (255 levels, per channel)")
  func int8FakeQuantize() throws {
    let ranges = ["x": TensorRange(min: -1, max: 2)]
    let (xml, bin) = try written(tinyModel(), options: TargetOptions(int8Ranges: ranges))
    #expect(xml.contains(#"name="x/fq" type="FakeQuantize" version="opset1">"#))
    #expect(xml.contains(#"<data levels="256" auto_broadcast="numpy" />"#))
    #expect(xml.contains(#"name="w/fq" type="FakeQuantize" version="opset1">"#))
    #expect(xml.contains(#"<data levels="255" auto_broadcast="numpy" />"#))
    #expect(xml.contains(#"element_type="f32" shape="3, 1, 1, 1""#))
    #expect(bin.range(of: littleEndianBytes([2, 4, 6] as [Float])) != nil)
    #expect(bin.range(of: littleEndianBytes([-2, -4, -6] as [Float])) != nil)
  }

  @Test("a dynamic dim is ? in a Parameter's shape and -1 on its port")
  func dynamicDims() throws {
    let model = tinyModel()
    model.graph.inputs[0].type = tensorType("float32[N,2,4,4]")
    let xml = try written(model).xml
    #expect(xml.contains(#"<data shape="?,2,4,4" element_type="f32" />"#))
    #expect(xml.contains("<dim>-1</dim>"))
  }

  @Test("the check lists every node OpenVINO cannot take and every output it cannot give, with the reason")
  func problems() throws {
    let builder = GraphBuilder("refused")
    let x = builder.input("x", "float32[1,2,4,4]")
    let kernel = builder.input("k", "float32[3,2,1,1]")
    let boxes = builder.op("NonMaxSuppression", x, output: "boxes", name: "nms")
    let convolved = builder.op("Conv", x, kernel, output: "c", name: "conv")
    let padded = builder.node(
      "Pad", [x, builder.initializer(Tensor(dataType: .int64, dims: [8], bytes: littleEndianBytes([Int64](repeating: 0, count: 8))))],
      outputs: ["p"], name: "pad", attributes: [Attribute("mode", .string(Data("wrap".utf8)))])[0]
    let pooled = builder.node(
      "MaxPool", [x], outputs: ["m", "i"], name: "pool", attributes: [Attribute("kernel_shape", .ints([2, 2]))])
    pooled[0].type = tensorType("float32[1,2,3,3]")
    builder.output(boxes, convolved, padded, pooled[1])
    let model = Model(irVersion: 8, opsetImports: [OpsetImport(domain: "", version: 19)], graph: builder.graph)
    let lines = TargetCheck.problems(in: model, for: OpenVINOTarget()).map(\.line)
    #expect(
      lines == [
        "pool (MaxPool): only its first output can be read, and 'i' is output 1",
        "nms (NonMaxSuppression): openvino has no such op",
        "conv (Conv): the weight (input 1) must be a constant",
        "pad (Pad): mode 'wrap' is not supported",
      ])
  }

  static let tinyXML = """
    <?xml version="1.0"?>
    <net name="tiny" version="11">
      <layers>
        <layer id="0" name="x" type="Parameter" version="opset1">
          <data shape="1,2,4,4" element_type="f32" />
          <output>
            <port id="0" precision="FP32" names="x">
              <dim>1</dim>
              <dim>2</dim>
              <dim>4</dim>
              <dim>4</dim>
            </port>
          </output>
        </layer>
        <layer id="1" name="w" type="Const" version="opset1">
          <data element_type="f32" shape="3, 2, 1, 1" offset="0" size="24" />
          <output>
            <port id="0" precision="FP32">
              <dim>3</dim>
              <dim>2</dim>
              <dim>1</dim>
              <dim>1</dim>
            </port>
          </output>
        </layer>
        <layer id="2" name="conv/Convolution" type="Convolution" version="opset1">
          <data strides="1, 1" pads_begin="0, 0" pads_end="0, 0" auto_pad="explicit" dilations="1, 1" />
          <input>
            <port id="0" precision="FP32">
              <dim>1</dim>
              <dim>2</dim>
              <dim>4</dim>
              <dim>4</dim>
            </port>
            <port id="1" precision="FP32">
              <dim>3</dim>
              <dim>2</dim>
              <dim>1</dim>
              <dim>1</dim>
            </port>
          </input>
          <output>
            <port id="2" precision="FP32">
              <dim>1</dim>
              <dim>3</dim>
              <dim>4</dim>
              <dim>4</dim>
            </port>
          </output>
        </layer>
        <layer id="3" name="b" type="Const" version="opset1">
          <data element_type="f32" shape="1, 3, 1, 1" offset="64" size="12" />
          <output>
            <port id="0" precision="FP32">
              <dim>1</dim>
              <dim>3</dim>
              <dim>1</dim>
              <dim>1</dim>
            </port>
          </output>
        </layer>
        <layer id="4" name="conv" type="Add" version="opset1">
          <data auto_broadcast="numpy" />
          <input>
            <port id="0" precision="FP32">
              <dim>1</dim>
              <dim>3</dim>
              <dim>4</dim>
              <dim>4</dim>
            </port>
            <port id="1" precision="FP32">
              <dim>1</dim>
              <dim>3</dim>
              <dim>1</dim>
              <dim>1</dim>
            </port>
          </input>
          <output>
            <port id="2" precision="FP32" names="c">
              <dim>1</dim>
              <dim>3</dim>
              <dim>4</dim>
              <dim>4</dim>
            </port>
          </output>
        </layer>
        <layer id="5" name="relu" type="ReLU" version="opset1">
          <input>
            <port id="0" precision="FP32">
              <dim>1</dim>
              <dim>3</dim>
              <dim>4</dim>
              <dim>4</dim>
            </port>
          </input>
          <output>
            <port id="1" precision="FP32" names="y">
              <dim>1</dim>
              <dim>3</dim>
              <dim>4</dim>
              <dim>4</dim>
            </port>
          </output>
        </layer>
        <layer id="6" name="y/sink_port_0" type="Result" version="opset1">
          <input>
            <port id="0" precision="FP32">
              <dim>1</dim>
              <dim>3</dim>
              <dim>4</dim>
              <dim>4</dim>
            </port>
          </input>
        </layer>
      </layers>
      <edges>
        <edge from-layer="0" from-port="0" to-layer="2" to-port="0" />
        <edge from-layer="1" from-port="0" to-layer="2" to-port="1" />
        <edge from-layer="2" from-port="2" to-layer="4" to-port="0" />
        <edge from-layer="3" from-port="0" to-layer="4" to-port="1" />
        <edge from-layer="4" from-port="2" to-layer="5" to-port="0" />
        <edge from-layer="5" from-port="1" to-layer="6" to-port="0" />
      </edges>
    </net>

    """
}
