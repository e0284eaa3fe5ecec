// Caffe inputs the frontend must refuse, each with a bad-input error that says what is wrong.

import CaffeProto
import Foundation
import KilnIR
import Testing

@Suite struct CaffeBadInputTests {
  static let convNet = """
    layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 2 dim: 4 dim: 4 } } }
    layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" convolution_param { num_output: 3 kernel_size: 1 } }
    """

  @Test func syntaxErrorNamesTheLine() throws {
    let net = """
      name: "broken"
      layer { name: "data" type: "Input" top: "data"
        input_param { shape { dim: 1 dim: 2 } }
      }
      layer { name: "relu" type: "ReLU"
        bottom: "data" top: "relu"
        negative_slope: 0.1
      }
      """
    let error = try #require(caffeError(net, weights: nil))
    #expect(error.kind == .badInput)
    #expect(error.message.contains("line 7"), "\(error)")
    #expect(error.message.contains("negative_slope"))
    #expect(error.file?.hasSuffix("net.prototxt") == true)
  }

  @Test func missingBlobsAreReported() throws {
    let error = try #require(caffeError(Self.convNet, weights: caffemodel(["other": [blob(dims: [1])]])))
    #expect(error.message.contains("layer 'conv' (Convolution): the weights have no blobs for this layer"), "\(error)")
  }

  @Test func wrongBlobCountIsReported() throws {
    let weights = try caffemodel(["conv": [blob(dims: [3, 2, 1, 1])]])
    let error = try #require(caffeError(Self.convNet, weights: weights))
    #expect(error.message.contains("has 1 blobs in the weights, expected 2 (weights, bias)"), "\(error)")
  }

  @Test func wrongBlobShapeIsReported() throws {
    let weights = try caffemodel(["conv": [blob(dims: [3, 2, 3, 3]), blob(dims: [3])]])
    let error = try #require(caffeError(Self.convNet, weights: weights))
    #expect(error.message.contains("blob 0 (weights) has shape [3, 2, 3, 3], expected [3, 2, 1, 1]"), "\(error)")
  }

  @Test func blobWithFewerValuesThanItsShapeIsReported() throws {
    let weights = try caffemodel(["conv": [blob([1, 2], dims: [3, 2, 1, 1]), blob(dims: [3])]])
    let error = try #require(caffeError(Self.convNet, weights: weights))
    #expect(error.message.contains("blob 0 (weights) holds 2 values but its shape is [3, 2, 1, 1]"), "\(error)")
  }

  @Test func unsupportedLayersAreListedTogether() throws {
    let net = """
      layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 2 dim: 4 dim: 4 } } }
      layer { name: "lrn" type: "LRN" bottom: "data" top: "lrn" }
      layer { name: "after" type: "ReLU" bottom: "lrn" top: "after" }
      layer { name: "stoch" type: "Pooling" bottom: "data" top: "stoch" pooling_param { pool: STOCHASTIC kernel_size: 2 } }
      layer { name: "mystery" type: "Mystery" bottom: "data" top: "mystery" }
      """
    let error = try #require(caffeError(net, weights: nil))
    #expect(error.kind == .badInput)
    #expect(error.message.hasPrefix("3 layers cannot be converted"), "\(error)")
    #expect(error.message.contains("layer 'lrn' (LRN): layer type 'LRN' is not supported"))
    #expect(error.message.contains("layer 'stoch' (Pooling): STOCHASTIC pooling is not supported"))
    #expect(error.message.contains("layer 'mystery' (Mystery)"))
    #expect(!error.message.contains("'after'"))
  }

  @Test func v0LayersAreRefused() throws {
    let net = "input: \"x\"\ninput_dim: 1 input_dim: 1 input_dim: 2 input_dim: 2\nlayers { layer { name: \"c\" type: \"conv\" } }"
    let error = try #require(caffeError(net, weights: nil))
    #expect(error.message.contains("V0 layer definitions"), "\(error)")
  }

  @Test func truncatedCaffemodelIsRefused() throws {
    let full = try caffemodel(["conv": [blob(dims: [3, 2, 1, 1]), blob(dims: [3])]])
    let error = try #require(caffeError(Self.convNet, weights: full.prefix(full.count - 5)))
    #expect(error.kind == .badInput)
    #expect(error.message.contains("not a valid .caffemodel: malformed protobuf"), "\(error)")
    #expect(error.file?.hasSuffix("net.caffemodel") == true)
  }

  @Test func caffemodelWithoutLayersIsRefused() throws {
    let error = try #require(caffeError(Self.convNet, weights: try Caffe_NetParameter.with { $0.name = "n" }.serializedData()))
    #expect(error.message.contains("holds no layers"), "\(error)")
  }

  @Test func emptyCaffemodelIsRefused() throws {
    let error = try #require(caffeError(Self.convNet, weights: Data()))
    #expect(error.message.contains("empty"), "\(error)")
  }

  @Test func netWithoutInputsIsRefused() throws {
    let error = try #require(caffeError(#"layer { name: "r" type: "ReLU" bottom: "x" top: "x" }"#, weights: nil))
    #expect(error.message.contains("reads blob 'x', which no earlier layer or input writes"), "\(error)")
  }

  @Test func inputDimCountMustMatchTheInputs() throws {
    let error = try #require(caffeError("input: \"a\"\ninput_dim: 1 input_dim: 2", weights: nil))
    #expect(error.message.contains("1 inputs need 4 input_dim values, found 2"), "\(error)")
  }

  @Test func badWindowIsReportedNotCrashed() throws {
    let net = """
      layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 2 dim: 2 dim: 2 } } }
      layer { name: "pool" type: "Pooling" bottom: "data" top: "pool" pooling_param { kernel_size: 5 stride: 0 } }
      layer { name: "shape" type: "Reshape" bottom: "data" top: "shape" reshape_param { shape { dim: -1 dim: -1 } } }
      layer { name: "perm" type: "Permute" bottom: "data" top: "perm" permute_param { order: 7 } }
      """
    let error = try #require(caffeError(net, weights: nil))
    #expect(error.message.hasPrefix("3 layers cannot be converted"), "\(error)")
  }
}
