// Inference.cpp: shape inference through the guarded schema registry: connx_infer_shapes.
#include "CONNX.h"
#include "Internal.h"

#include <onnx/shape_inference/implementation.h>

using namespace connx;

extern "C" int connx_infer_shapes(const void* bytes, size_t length, int strict, int data_prop,
                                  void** out, size_t* out_length, char** error) {
  if (out != nullptr) *out = nullptr;
  if (out_length != nullptr) *out_length = 0;
  if (error != nullptr) *error = nullptr;
  return guarded(error, [&] {
    ModelProto model;
    if (int status = parse_model(bytes, length, model, error)) return status;
    // Nodes that no libonnx schema describes are hidden from inference (see Adaptation,
    // NewerModels.cpp).
    Adaptation adaptation;
    adapt_nodes(model, adaptation);
    onnx::shape_inference::InferShapes(
        model, guarded_registry(),
        onnx::ShapeInferenceOptions(strict != 0, strict != 0 ? 1 : 0, data_prop != 0));
    restore_names(model, adaptation);
    return serialize(model, out, out_length, error);
  });
}
