// What the ONNX reader remembers about each entity, so the writer can reproduce it exactly.
//
// Nodes, value infos, attributes, graphs and models keep their original protobuf message in
// `origin`; tensors keep the message below. The writer starts from the original and changes
// only the fields whose IR value differs, so field presence and unknown fields survive.

import ONNXProto

/// The original tensor message with its data fields cleared, and whether the data was in
/// `raw_data` (otherwise in the typed fields such as `float_data`).
struct TensorOrigin {
  var header: Onnx_TensorProto
  var usedRawData: Bool
}
