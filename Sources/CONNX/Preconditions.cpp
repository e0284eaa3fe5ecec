// Preconditions.cpp: checks run before libonnx inference functions that crash on bad nodes.
#include "Internal.h"

#include <onnx/defs/shape_inference.h>

#include <climits>
#include <cstdint>
#include <map>
#include <string>

// Each check reports what a malformed node lacks as a shape inference error, where libonnx
// 1.12's own function would crash; SchemaGuards.cpp says which ops and how they are found.

namespace connx {

namespace {

using onnx::InferenceContext;

// The rank of input `index` when its shape is known, or -1.
int input_rank(InferenceContext& context, size_t index) {
  if (!onnx::hasInputShape(context, index)) return -1;
  const auto* type = context.getInputType(index);
  if (type->has_tensor_type()) return type->tensor_type().shape().dim_size();
  if (type->has_sparse_tensor_type()) return type->sparse_tensor_type().shape().dim_size();
  return -1;
}

void require_rank(InferenceContext& context, size_t index, int lowest, int highest) {
  const int rank = input_rank(context, index);
  if (rank < 0 || (rank >= lowest && rank <= highest)) return;
  if (lowest == highest) {
    fail_shape_inference("input ", index, " has rank ", rank, ", expected rank ", lowest);
  }
  fail_shape_inference("input ", index, " has rank ", rank, ", expected rank ", lowest, "..",
                       highest);
}

const onnx::AttributeProto* attribute(InferenceContext& context, const char* name) {
  return context.getAttribute(name);
}

int64_t int_attribute(InferenceContext& context, const char* name, int64_t fallback) {
  const auto* found = attribute(context, name);
  return found != nullptr && found->has_i() ? found->i() : fallback;
}

// Checks that the ints attribute `name`, when present, has `length` values (when length
// >= 0) and, with `positive`, that they are all above zero.
void require_ints(InferenceContext& context, const char* name, int length, bool positive) {
  const auto* found = attribute(context, name);
  if (found == nullptr) return;
  if (length >= 0 && found->ints_size() != length) {
    fail_shape_inference("attribute ", name, " has ", found->ints_size(), " values, expected ",
                         length);
  }
  for (int64_t value : found->ints()) {
    if (positive && value <= 0) fail_shape_inference("attribute ", name, " must be positive");
  }
}

// Conv-like ops and pools: data input 0 of rank >= 3, weights (input `weights`, or -1 for
// none) of the same rank, and spatial attributes that match the spatial rank.
void check_spatial(InferenceContext& context, int weights) {
  require_rank(context, 0, 3, INT_MAX);
  int rank = input_rank(context, 0);
  if (weights >= 0) {
    require_rank(context, weights, 3, INT_MAX);
    const int weights_rank = input_rank(context, weights);
    if (rank >= 0 && weights_rank >= 0 && rank != weights_rank) {
      fail_shape_inference("input ", weights, " has rank ", weights_rank, ", expected rank ",
                           rank);
    }
    if (rank < 0) rank = weights_rank;
  }
  const int spatial = rank < 0 ? -1 : rank - 2;
  require_ints(context, "kernel_shape", spatial, true);
  require_ints(context, "strides", spatial, true);
  require_ints(context, "dilations", spatial, true);
  require_ints(context, "pads", spatial < 0 ? -1 : 2 * spatial, false);
  require_ints(context, "output_padding", spatial, false);
  const auto* output_shape = attribute(context, "output_shape");
  if (output_shape != nullptr && spatial >= 0 && output_shape->ints_size() != spatial &&
      output_shape->ints_size() != rank) {
    fail_shape_inference("attribute output_shape has ", output_shape->ints_size(),
                         " values, expected ", spatial);
  }
  if (int_attribute(context, "group", 1) <= 0) {
    fail_shape_inference("attribute group must be positive");
  }
}

void check_gemm(InferenceContext& context) {
  require_rank(context, 0, 2, 2);
  require_rank(context, 1, 2, 2);
}

void check_recurrent(InferenceContext& context) {
  const int ranks[] = {3, 3, 3, 2, 1, 3, 3, 2};  // X W R B sequence_lens initial_h initial_c P
  for (size_t i = 0; i < 8 && i < context.getNumInputs(); ++i) {
    require_rank(context, i, ranks[i], ranks[i]);
  }
  if (int_attribute(context, "hidden_size", 1) <= 0) {
    fail_shape_inference("attribute hidden_size must be positive");
  }
}

void check_layer_normalization(InferenceContext& context) {
  require_rank(context, 0, 1, INT_MAX);
  const int rank = input_rank(context, 0);
  const int64_t axis = int_attribute(context, "axis", -1);
  if (rank > 0 && (axis < -rank || axis >= rank)) {
    fail_shape_inference("attribute axis ", axis, " is out of range for rank ", rank);
  }
}

void check_gather_nd(InferenceContext& context) {
  const int64_t batch_dims = int_attribute(context, "batch_dims", 0);
  const int data_rank = input_rank(context, 0);
  const int indices_rank = input_rank(context, 1);
  if (batch_dims < 0 || (data_rank >= 0 && batch_dims >= data_rank) ||
      (indices_rank >= 0 && batch_dims >= indices_rank)) {
    fail_shape_inference("attribute batch_dims ", batch_dims, " is out of range");
  }
}

void check_stft(InferenceContext& context) {
  const int ranks[] = {3, 0, 1, 0};  // signal frame_step window frame_length
  for (size_t i = 0; i < 4 && i < context.getNumInputs(); ++i) {
    require_rank(context, i, ranks[i], ranks[i]);
  }
}

void check_scan(InferenceContext& context) {
  const auto* body = attribute(context, "body");
  if (body == nullptr || !body->has_g()) fail_shape_inference("attribute body is missing");
}

} // namespace

// The check to run before libonnx's inference function for op `name` (default domain).
Precondition precondition_for(const std::string& name) {
  static const std::map<std::string, Precondition> table = {
      {"Conv", [](InferenceContext& c) { check_spatial(c, 1); }},
      {"ConvInteger", [](InferenceContext& c) { check_spatial(c, 1); }},
      {"ConvTranspose", [](InferenceContext& c) { check_spatial(c, 1); }},
      {"QLinearConv", [](InferenceContext& c) { check_spatial(c, 3); }},
      {"AveragePool", [](InferenceContext& c) { check_spatial(c, -1); }},
      {"MaxPool", [](InferenceContext& c) { check_spatial(c, -1); }},
      {"LpPool", [](InferenceContext& c) { check_spatial(c, -1); }},
      {"MaxUnpool", [](InferenceContext& c) { check_spatial(c, -1); }},
      {"Gemm", check_gemm},
      {"RNN", check_recurrent},
      {"GRU", check_recurrent},
      {"LSTM", check_recurrent},
      {"LayerNormalization", check_layer_normalization},
      {"GatherND", check_gather_nd},
      {"STFT", check_stft},
      {"Scan", check_scan},
  };
  auto found = table.find(name);
  return found == table.end() ? nullptr : found->second;
}

} // namespace connx
