// One layer of a Caffe net, in the current (LayerParameter) form whatever format it came in.

import CaffeProto

/// A layer of the deploy net: its name, type string, blobs read and written, and parameters.
///
/// V1 layers (`layers { type: CONVOLUTION ... }`) are upgraded to this form as Caffe's own
/// `UpgradeV1LayerParameter` does, so converters see one shape of layer.
struct CaffeLayer {
  var name: String
  var type: String
  var bottoms: [String]
  var tops: [String]
  var parameter: Caffe_LayerParameter

  init(_ parameter: Caffe_LayerParameter) {
    name = parameter.name
    type = parameter.type
    bottoms = parameter.bottom
    tops = parameter.top
    self.parameter = parameter
  }

  /// Whether Caffe runs this layer in the TEST phase (its include/exclude rules by phase).
  var runsAtInference: Bool {
    if !parameter.include.isEmpty {
      return parameter.include.contains { !$0.hasPhase || $0.phase == .test }
    }
    return !parameter.exclude.contains { !$0.hasPhase || $0.phase == .test }
  }
}

extension CaffeLayer {
  /// Upgrades a V1 layer: the type enum becomes Caffe's type string, parameters move over.
  init(v1 layer: Caffe_V1LayerParameter) throws {
    guard !layer.hasLayer else {
      throw KilnCaffeProblem("V0 layer definitions (layers { layer { ... } }) are not supported")
    }
    var parameter = Caffe_LayerParameter()
    parameter.name = layer.name
    parameter.type = Self.v1TypeNames[layer.type] ?? "\(layer.type)"
    parameter.bottom = layer.bottom
    parameter.top = layer.top
    parameter.blobs = layer.blobs
    parameter.include = layer.include
    parameter.exclude = layer.exclude
    if layer.hasConcatParam { parameter.concatParam = layer.concatParam }
    if layer.hasConvolutionParam { parameter.convolutionParam = layer.convolutionParam }
    if layer.hasDropoutParam { parameter.dropoutParam = layer.dropoutParam }
    if layer.hasEltwiseParam { parameter.eltwiseParam = layer.eltwiseParam }
    if layer.hasInnerProductParam { parameter.innerProductParam = layer.innerProductParam }
    if layer.hasPoolingParam { parameter.poolingParam = layer.poolingParam }
    if layer.hasReluParam { parameter.reluParam = layer.reluParam }
    if layer.hasSigmoidParam { parameter.sigmoidParam = layer.sigmoidParam }
    if layer.hasSoftmaxParam { parameter.softmaxParam = layer.softmaxParam }
    if layer.hasSliceParam { parameter.sliceParam = layer.sliceParam }
    if layer.hasTanhParam { parameter.tanhParam = layer.tanhParam }
    if layer.hasBatchNormParam { parameter.batchNormParam = layer.batchNormParam }
    self.init(parameter)
  }

  /// Caffe's names for the V1 layer types (`UpgradeV1LayerType`).
  private static let v1TypeNames: [Caffe_V1LayerParameter.LayerType: String] = [
    .absval: "AbsVal", .accuracy: "Accuracy", .argmax: "ArgMax", .bnll: "BNLL", .concat: "Concat",
    .contrastiveLoss: "ContrastiveLoss", .convolution: "Convolution", .data: "Data",
    .deconvolution: "Deconvolution", .dropout: "Dropout", .dummyData: "DummyData",
    .euclideanLoss: "EuclideanLoss", .eltwise: "Eltwise", .exp: "Exp", .flatten: "Flatten",
    .hdf5Data: "HDF5Data", .hdf5Output: "HDF5Output", .hingeLoss: "HingeLoss", .im2Col: "Im2col",
    .imageData: "ImageData", .infogainLoss: "InfogainLoss", .innerProduct: "InnerProduct",
    .lrn: "LRN", .memoryData: "MemoryData", .multinomialLogisticLoss: "MultinomialLogisticLoss",
    .mvn: "MVN", .pooling: "Pooling", .power: "Power", .relu: "ReLU", .sigmoid: "Sigmoid",
    .sigmoidCrossEntropyLoss: "SigmoidCrossEntropyLoss", .silence: "Silence", .softmax: "Softmax",
    .softmaxLoss: "SoftmaxWithLoss", .split: "Split", .slice: "Slice", .tanh: "TanH",
    .windowData: "WindowData", .threshold: "Threshold",
  ]
}
