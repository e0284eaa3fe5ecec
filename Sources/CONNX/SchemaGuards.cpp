// SchemaGuards.cpp: a schema registry that keeps libonnx's inference from crashing.
#include "Internal.h"

#include <onnx/defs/shape_inference.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

// ---- a schema registry that keeps libonnx's inference from crashing ----
//
// libonnx 1.12's inference and data propagation functions trust their inputs: several read
// dimensions or attributes that a malformed node does not have, and crash (SIGSEGV, SIGFPE)
// instead of reporting an error. Found by running every schema with inputs of random types
// and ranks and random attribute values:
//   - Shape-15's data propagation (opsets 15 and up) on an input of unknown type, which
//     valid models have too: the output of a custom-domain op or of an op with no schema;
//   - Conv, ConvInteger, ConvTranspose, QLinearConv, the pools and MaxUnpool with inputs of
//     too low or mismatched ranks, attribute lists of the wrong length, or zero strides;
//   - Gemm (version 6) with inputs that are not matrices; RNN, GRU and LSTM with inputs of
//     the wrong rank; LayerNormalization on a scalar or with an axis out of range; GatherND
//     with a negative batch_dims; STFT with inputs of the wrong rank; Scan without a body.
// GuardedSchemaRegistry hands out copies of those schemas whose functions first check what
// the original assumes and report a shape inference error instead (ignored unless strict,
// as libonnx does with node errors). Every other schema comes from libonnx as it is.

namespace connx {

namespace {

using onnx::InferenceContext;

// A copy of `schema` whose inference and data propagation check first.
std::unique_ptr<onnx::OpSchema> guarded_schema(const onnx::OpSchema& schema) {
  auto copy = std::make_unique<onnx::OpSchema>(schema);
  if (Precondition precondition = precondition_for(schema.Name())) {
    if (schema.has_type_and_shape_inference_function()) {
      auto infer = schema.GetTypeAndShapeInferenceFunction();
      copy->TypeAndShapeInferenceFunction([infer, precondition](InferenceContext& context) {
        precondition(context);
        infer(context);
      });
    }
  }
  if (schema.Name() == "Shape" && schema.has_data_propagation_function()) {
    auto propagate = schema.GetDataPropagationFunction();
    copy->PartialDataPropagationFunction([propagate](onnx::DataPropagationContext& context) {
      if (context.getNumInputs() < 1 || context.getInputType(0) == nullptr) return;
      propagate(context);
    });
  }
  return copy;
}

class GuardedSchemaRegistry final : public onnx::ISchemaRegistry {
 public:
  const onnx::OpSchema* GetSchema(const std::string& key, const int maxInclusiveVersion,
                                  const std::string& domain) const override {
    const auto* schema =
        onnx::OpSchemaRegistry::Instance()->GetSchema(key, maxInclusiveVersion, domain);
    if (schema == nullptr || !domain.empty()) return schema;
    if (key != "Shape" && precondition_for(key) == nullptr) return schema;
    static std::mutex mutex;
    static std::map<const onnx::OpSchema*, std::unique_ptr<onnx::OpSchema>> copies;
    std::lock_guard<std::mutex> lock(mutex);
    auto& copy = copies[schema];
    if (!copy) copy = guarded_schema(*schema);
    return copy.get();
  }
};

const GuardedSchemaRegistry guarded_registry_instance{};

} // namespace

const onnx::ISchemaRegistry* guarded_registry() {
  return &guarded_registry_instance;
}

} // namespace connx
