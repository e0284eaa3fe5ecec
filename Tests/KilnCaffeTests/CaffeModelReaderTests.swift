// Small Caffe nets, in the current and the V1 layer format, read into the expected IR.

import CaffeProto
import Foundation
import KilnIR
import KilnTestSupport
import Testing

@testable import KilnCaffe

@Suite struct CaffeModelReaderTests {
  static let net = """
    name: "tiny"
    layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 2 dim: 5 dim: 5 } } }
    layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
            convolution_param { num_output: 3 kernel_size: 3 stride: 2 } }
    layer { name: "relu" type: "ReLU" bottom: "conv" top: "conv" }
    layer { name: "pool" type: "Pooling" bottom: "conv" top: "pool" pooling_param { pool: AVE kernel_size: 2 } }
    layer { name: "fc" type: "InnerProduct" bottom: "pool" top: "fc" inner_product_param { num_output: 4 } }
    layer { name: "prob" type: "Softmax" bottom: "fc" top: "prob" }
    """

  static let v1Net = """
    name: "tiny"
    input: "data"
    input_dim: 1 input_dim: 2 input_dim: 5 input_dim: 5
    layers { name: "conv" type: CONVOLUTION bottom: "data" top: "conv"
             convolution_param { num_output: 3 kernel_size: 3 stride: 2 } }
    layers { name: "relu" type: RELU bottom: "conv" top: "conv" }
    layers { name: "pool" type: POOLING bottom: "conv" top: "pool" pooling_param { pool: AVE kernel_size: 2 } }
    layers { name: "fc" type: INNER_PRODUCT bottom: "pool" top: "fc" inner_product_param { num_output: 4 } }
    layers { name: "prob" type: SOFTMAX bottom: "fc" top: "prob" }
    """

  static let weights: KeyValuePairs<String, [Caffe_BlobProto]> = [
    "conv": [blob(dims: [3, 2, 3, 3]), blob(dims: [3])],
    "fc": [blob(dims: [4, 3]), blob(dims: [4])],
    "train_only_loss": [blob(dims: [1])],
  ]

  static let expected = """
    graph tiny(%data: float32[1,2,5,5]) -> (%prob: float32[1,4]) {
      %conv/weights = constant float32[3,2,3,3] <elided 54 elements>
      %conv/bias = constant float32[3] <elided 3 elements>
      %fc/weights = constant float32[4,3] <elided 12 elements>
      %fc/bias = constant float32[4] <elided 4 elements>
      %conv = Conv(%data, %conv/weights, %conv/bias) {dilations=[1, 1], group=1, kernel_shape=[3, 3], pads=[0, 0, 0, 0], strides=[2, 2]}
      %relu = Relu(%conv)
      %pool = AveragePool(%relu) {ceil_mode=0, count_include_pad=1, kernel_shape=[2, 2], pads=[0, 0, 0, 0], strides=[1, 1]}
      %fc/Flatten = Flatten(%pool) {axis=1}
      %fc = Gemm(%fc/Flatten, %fc/weights, %fc/bias) {transB=1}
      %prob = Softmax(%fc) {axis=1}
      return %prob
    }

    """

  @Test func currentFormatReadsToTheExpectedGraph() throws {
    let model = try readCaffe(Self.net, weights: caffemodel(Self.weights))
    #expect(printed(model) == Self.expected)
    #expect(model.opsetVersion("") == 17)
    #expect(model.producerName == "kiln-caffe")
    #expect(model.graph.inputs[0].type == .tensor(.float, Shape(static: [1, 2, 5, 5])))
    #expect(model.graph.outputs[0].type == .tensor(.float, Shape(static: [1, 4])))
    #expect(Verifier.issues(in: model).isEmpty)
  }

  @Test func v1FormatReadsToTheSameGraph() throws {
    let model = try readCaffe(Self.v1Net, weights: caffemodel(Self.weights, v1: true))
    #expect(printed(model) == Self.expected)
  }

  @Test func weightsKeepTheirValuesAndShapes() throws {
    let model = try readCaffe(Self.net, weights: caffemodel(Self.weights))
    let bias = try #require(model.graph.initializers.first { $0.name == "fc/bias" }?.constant)
    #expect(bias.dims == [4])
    #expect(try bias.rawData() == littleEndianBytes([0.5, 1.5, 2.5, 3.5] as [Float]))
  }

  @Test func packedWeightsStaySlicesOfTheMappedFile() throws {
    let model = try readCaffe(Self.net, weights: caffemodel(Self.weights))
    let weights = try #require(model.graph.initializers.first { $0.name == "conv/weights" }?.constant)
    guard case .mapped = weights.storage else {
      Issue.record("conv/weights is not mapped: \(weights.storage)")
      return
    }
  }

  @Test func legacyDimsAndDoubleDataAreRead() throws {
    let net = """
      input: "x"
      input_shape { dim: 1 dim: 2 }
      layer { name: "fc" type: "InnerProduct" bottom: "x" top: "y" inner_product_param { num_output: 1 } }
      """
    var weights = Caffe_BlobProto()
    (weights.num, weights.channels, weights.height, weights.width) = (1, 1, 1, 2)
    weights.doubleData = [0.25, -4]
    let model = try readCaffe(net, weights: caffemodel(["fc": [weights, blob([3], dims: [1])]]))
    let tensor = try #require(model.graph.initializers.first { $0.name == "fc/weights" }?.constant)
    #expect(tensor.dims == [1, 2])
    #expect(try tensor.rawData() == littleEndianBytes([0.25, -4] as [Float]))
  }

  @Test func inPlaceLayersGetValuesNamedAfterTheLayer() throws {
    let net = """
      input: "x"
      input_shape { dim: 1 dim: 2 dim: 3 dim: 3 }
      layer { name: "bn" type: "BatchNorm" bottom: "x" top: "x" batch_norm_param { eps: 0.01 } }
      layer { name: "scale" type: "Scale" bottom: "x" top: "x" scale_param { bias_term: true } }
      layer { name: "relu" type: "ReLU" bottom: "x" top: "x" relu_param { negative_slope: 0.5 } }
      layer { name: "relu2" type: "ReLU" bottom: "x" top: "x" }
      """
    let weights = try caffemodel([
      "bn": [blob([2, 4], dims: [2]), blob([8, 16], dims: [2]), blob([2], dims: [1])],
      "scale": [blob(dims: [2]), blob(dims: [2])],
    ])
    let model = try readCaffe(net, weights: weights)
    #expect(
      printed(model) == """
        graph ""(%x: float32[1,2,3,3]) -> (%relu2: float32[1,2,3,3]) {
          %bn/mean = constant float32[2] <elided 2 elements>
          %bn/variance = constant float32[2] <elided 2 elements>
          %bn/scale = constant float32[2] <elided 2 elements>
          %bn/bias = constant float32[2] <elided 2 elements>
          %scale/scale = constant float32[2,1,1] <elided 2 elements>
          %scale/bias = constant float32[2,1,1] <elided 2 elements>
          %bn = BatchNormalization(%x, %bn/scale, %bn/bias, %bn/mean, %bn/variance) {epsilon=0.01}
          %scale/Mul = Mul(%bn, %scale/scale)
          %scale = Add(%scale/Mul, %scale/bias)
          %relu = LeakyRelu(%scale) {alpha=0.5}
          %relu2 = Relu(%relu)
          return %relu2
        }

        """)
    let mean = try #require(model.graph.initializers.first { $0.name == "bn/mean" }?.constant)
    #expect(try mean.rawData() == littleEndianBytes([1, 2] as [Float]))
  }

  @Test func splitAndDropoutAliasTheirBottom() throws {
    let net = """
      layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 4 } } }
      layer { name: "split" type: "Split" bottom: "data" top: "a" top: "b" }
      layer { name: "drop" type: "Dropout" bottom: "a" top: "a" }
      layer { name: "sum" type: "Eltwise" bottom: "a" bottom: "b" top: "sum" eltwise_param { coeff: 1 coeff: -1 } }
      """
    let model = try readCaffe(net, weights: nil)
    #expect(
      printed(model) == """
        graph ""(%data: float32[1,4]) -> (%sum: float32[1,4]) {
          %sum/coeff1 = constant float32[] <elided 1 elements>
          %sum/Mul = Mul(%data, %sum/coeff1)
          %sum = Add(%data, %sum/Mul)
          return %sum
        }

        """)
  }

  @Test func legacyConcatDimAndSliceDimPickTheAxis() throws {
    let net = """
      input: "x"
      input_shape { dim: 1 dim: 2 dim: 4 }
      layer { name: "slice" type: "Slice" bottom: "x" top: "p" top: "q" slice_param { slice_dim: 2 slice_point: 1 } }
      layer { name: "cat" type: "Concat" bottom: "q" bottom: "p" top: "y" concat_param { concat_dim: 2 } }
      """
    let model = try readCaffe(net, weights: nil)
    let nodes = model.graph.nodes
    #expect(nodes.map(\.opType) == ["Split", "Concat"])
    #expect(nodes.allSatisfy { $0.attribute("axis").map { if case .int(2) = $0 { true } else { false } } ?? false })
    #expect(model.graph.outputs.map { CaffeGraphBuilder.shape(of: $0) } == [[1, 2, 4]])
  }

  @Test func trainingOnlyLayersAreSkipped() throws {
    let net = """
      layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 } } }
      layer { name: "loss" type: "SoftmaxWithLoss" bottom: "data" top: "loss" include { phase: TRAIN } }
      layer { name: "prob" type: "Sigmoid" bottom: "data" top: "prob" }
      """
    let model = try readCaffe(net, weights: nil)
    #expect(model.graph.nodes.map(\.opType) == ["Sigmoid"])
  }
}
