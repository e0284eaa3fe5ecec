// The one table of Caffe layer types Kiln converts, and the converter of each.

import KilnIR

/// Turns one layer into nodes; returns one value per top (an existing value for an alias).
typealias CaffeLayerConverter = @Sendable (CaffeLayerContext) throws -> [Value]

/// Every supported layer type by Caffe's type string (Input is the reader's own case).
enum CaffeLayerConverters {
  static let byType: [String: CaffeLayerConverter] = [
    "Convolution": CaffeConvolution.convolution,
    "Deconvolution": CaffeConvolution.deconvolution,
    "Pooling": CaffePooling.pooling,
    "InnerProduct": CaffeInnerProduct.innerProduct,
    "ReLU": CaffeActivations.relu,
    "PReLU": CaffeActivations.prelu,
    "Sigmoid": CaffeActivations.sigmoid,
    "TanH": CaffeActivations.tanh,
    "BatchNorm": CaffeNormalization.batchNorm,
    "Scale": CaffeNormalization.scale,
    "Eltwise": CaffeEltwise.eltwise,
    "Concat": CaffeTensorLayers.concat,
    "Slice": CaffeTensorLayers.slice,
    "Split": CaffeTensorLayers.split,
    "Dropout": CaffeTensorLayers.dropout,
    "Flatten": CaffeTensorLayers.flatten,
    "Reshape": CaffeTensorLayers.reshape,
    "Permute": CaffeTensorLayers.permute,
    "Softmax": CaffeTensorLayers.softmax,
    "Upsample": CaffeUpsample.upsample,
  ]
}
