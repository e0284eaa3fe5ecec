// Small cfgs with generated weights to the expected graph, numbers through the runtime, and
// the errors for what the frontend cannot convert.

import Foundation
import KilnIR
import KilnRuntime
import KilnTestSupport
import Testing

@testable import KilnDarknet

@Suite("Darknet models into the IR")
struct DarknetModelReaderTests {
  /// A `[net]` section of 3x8x8 inputs; its four lines come before every layer.
  private static let net8 = "[net]\nwidth=8\nheight=8\nchannels=3\n"

  private func read(_ cfg: String, floats: [Float]) throws -> Model {
    try withTemporaryFolder { folder in
      let files = try DarknetFiles(in: folder, cfg: cfg, floats: floats)
      return try DarknetModelReader.read(path: files.cfg, weights: files.weights)
    }
  }

  @Test("every layer type becomes its ONNX ops, named by layer index, with shapes")
  func expectedGraph() throws {
    let cfg = Self.net8 + """
      [convolutional]
      batch_normalize=1
      filters=4
      size=3
      stride=2
      pad=1
      activation=mish
      [maxpool]
      size=2
      stride=1
      [route]
      layers=-1
      groups=2
      group_id=1
      [route]
      layers=-1,0
      [upsample]
      [convolutional]
      filters=21
      size=1
      activation=linear
      [yolo]
      mask=1,2,0
      anchors=1,2, 3,4, 5,6
      classes=2
      """
    let model = try read(cfg, floats: Array(repeating: 1, count: 4 * 4 + 4 * 27 + 21 + 21 * 6))
    let graph = model.graph
    let text = graph.nodes.map { node in
      "\(node.opType) \(node.name): " + node.inputs.map { $0?.name ?? "-" }.joined(separator: ", ") + " -> "
        + (node.outputs.first??.type?.description ?? "?")
    }
    #expect(
      text == [
        "Conv conv_0: input, conv_0.weight -> float32[1,4,4,4]",
        "BatchNormalization bn_0: conv_0, bn_0.scale, bn_0.bias, bn_0.mean, bn_0.variance -> float32[1,4,4,4]",
        "Softplus mish_0/softplus: bn_0 -> float32[1,4,4,4]",
        "Tanh mish_0/tanh: mish_0/softplus -> float32[1,4,4,4]",
        "Mul mish_0: bn_0, mish_0/tanh -> float32[1,4,4,4]",
        "MaxPool pool_1: mish_0 -> float32[1,4,4,4]",
        "Slice slice_2: pool_1, slice_2.starts, slice_2.ends, slice_2.axes -> float32[1,2,4,4]",
        "Concat concat_3: slice_2, mish_0 -> float32[1,6,4,4]",
        "Resize upsample_4: concat_3, -, upsample_4.scales -> float32[1,6,8,8]",
        "Conv conv_5: upsample_4, conv_5.weight, conv_5.bias -> float32[1,21,8,8]",
        "Identity yolo_6: conv_5 -> float32[1,21,8,8]",
      ])
    #expect(graph.inputs.map { "\($0.name) \($0.type?.description ?? "")" } == ["input float32[1,3,8,8]"])
    #expect(graph.outputs.map(\.name) == ["yolo_6"])
    let pool = try #require(graph.nodes.first { $0.opType == "MaxPool" })
    #expect(pool.ints("pads") == [0, 0, 1, 1])
    #expect(try graph.initializers.first { $0.name == "slice_2.starts" }?.constant?.rawData() == littleEndianBytes([Int64(2)]))
    #expect(model.opsetVersion("") == 17)
    #expect(model.producerName == "kiln-darknet")
    #expect(
      model.metadata.filter { $0.key.hasPrefix("darknet.yolo") }.map { "\($0.key)=\($0.value)" } == [
        "darknet.yolo.6.output=yolo_6", "darknet.yolo.6.anchors=1,2,3,4,5,6", "darknet.yolo.6.mask=1,2,0",
        "darknet.yolo.6.classes=2", "darknet.yolo.6.scale_x_y=1",
      ])
  }

  @Test("a connected layer flattens its input, and a conv after it reshapes it back")
  func connectedGraph() throws {
    let cfg = "[net]\nwidth=2\nheight=2\nchannels=2\n[connected]\noutput=3\nbatch_normalize=1\n[convolutional]\nfilters=1\nsize=1\nactivation=relu\n[softmax]\n"
    let model = try read(cfg, floats: Array(repeating: 1, count: 3 + 3 * 8 + 9 + 1 + 3))
    #expect(
      model.graph.nodes.map(\.name) == [
        "fullyConnected_0/flatten", "fullyConnected_0", "bn_0", "logistic_0", "reshape_1", "conv_1", "relu_1",
        "softmax_2",
      ])
    #expect(model.graph.outputs.map { $0.type?.description } == ["float32[1,1,1,1]"])
  }

  @Test("the runtime computes a 1x1 conv and darknet's stride-1 maxpool padding")
  func numbers() throws {
    let cfg = "[net]\nwidth=2\nheight=2\nchannels=1\n[convolutional]\nfilters=1\nsize=1\nactivation=linear\n[maxpool]\nsize=2\nstride=1\n"
    let model = try read(cfg, floats: [1, 2])
    let input = try HostTensor(shape: [1, 1, 2, 2], values: [Float(4), 1, 2, 3])
    let output = try #require(try Executor(model: model).run(["input": input])["pool_1"])
    #expect(output.shape == [1, 1, 2, 2])
    #expect(output.doubleValues() == [9, 7, 7, 7])
  }

  @Test("every layer Kiln cannot convert is listed in one error, before any weight is read")
  func unsupportedListedTogether() throws {
    let cfg = Self.net8 + """
      [crop]
      [convolutional]
      filters=2
      activation=elu
      xnor=1
      [shortcut]
      from=-1
      alpha=0.5
      [local]
      [maxpool]
      """
    let error = #expect(throws: KilnError.self) { try read(cfg, floats: []) }
    #expect(error?.kind == .badInput)
    #expect(
      error?.message == """
        5 problems with Darknet layers Kiln cannot convert:
          layer 0 [crop] on line 5: this layer type is not supported
          layer 1 [convolutional] on line 6: option xnor=1 is not supported
          layer 1 [convolutional] on line 6: activation 'elu' is not supported (supported: leaky, linear, logistic, mish, relu, swish)
          layer 2 [shortcut] on line 10: option alpha=0.5 is not supported
          layer 3 [local] on line 13: this layer type is not supported
        """)
    #expect(error?.file?.hasSuffix("model.cfg") == true)
  }

  @Test(
    "a layer that does not fit its inputs is bad input naming the layer and its line",
    arguments: [
      ("[route]\nlayers=1\n", "layer 1 [route] on line 9: layer reference 1 does not name an earlier layer (this is layer 1)"),
      ("[route]\nlayers=-1\ngroups=3\n", "layer 1 [route] on line 9: groups=3 must divide the 2 channels of a routed layer"),
      ("[convolutional]\nfilters=3\ngroups=2\n", "layer 1 [convolutional] on line 9: groups=2 must divide both"),
      ("[convolutional]\nfilters=0\n", "layer 1 [convolutional] on line 9: filters=0 must be between 1 and"),
      ("[convolutional]\nsize=9\n", "layer 1 [convolutional] on line 9: a 9x9 kernel (dilation 1) does not fit the 4x4 input"),
      ("[shortcut]\nfrom=-2\n", "layer 1 [shortcut] on line 9: layer reference -2 does not name an earlier layer"),
      ("[yolo]\nmask=0\nanchors=1,2\nclasses=2\n", "layer 1 [yolo] on line 9: its input has 2 channels but 1 anchors of 5 + 2 classes need 7"),
      ("[yolo]\nmask=4\nanchors=1,2\n", "layer 1 [yolo] on line 9: mask=4 names anchors outside the 1 given"),
    ])
  func layersThatDoNotFit(layer: String, message: String) throws {
    let cfg = "[net]\nwidth=4\nheight=4\nchannels=1\n[convolutional]\nfilters=2\nsize=1\nactivation=linear\n" + layer
    let error = #expect(throws: KilnError.self) { try read(cfg, floats: [0, 0, 1, 1]) }
    #expect(error?.kind == .badInput)
    #expect(error?.message.hasPrefix(message) == true, "\(error?.message ?? "")")
  }

  @Test("a [net] without a positive size is bad input")
  func netWithoutSize() {
    let error = #expect(throws: KilnError.self) { try read("[net]\nwidth=4\nheight=4\n", floats: []) }
    #expect(error?.message == "line 1: [net] needs channels between 1 and 1048576, found 0")
  }
}
