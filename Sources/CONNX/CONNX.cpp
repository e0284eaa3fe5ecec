// CONNX.cpp: the extern "C" shim over libonnx 1.12 declared in include/CONNX.h.
#include "CONNX.h"

#include <onnx/checker.h>
#include <onnx/defs/parser.h>
#include <onnx/defs/printer.h>
#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

namespace ONNX_NAMESPACE {
namespace checker {
// Exported by libonnx 1.12 (check_model(path) is built on it) but not declared in checker.h.
// It is the only entry point that checks an in-memory model with a CheckerContext, which is
// how the model folder for external data is passed.
void check_model(const ModelProto& model, CheckerContext& ctx);
} // namespace checker
} // namespace ONNX_NAMESPACE

namespace {

using onnx::GraphProto;
using onnx::ModelProto;
using onnx::NodeProto;
using onnx::TensorProto;
using Opsets = std::unordered_map<std::string, int>;

// Domain given to nodes that libonnx cannot judge, so that its checker and shape inference
// skip their schemas (libonnx only skips schemas of domains it does not know).
const char* const kUncheckedDomain = "connx.unchecked";

// ---- results across the C boundary ----

char* copy_string(const std::string& text) {
  char* copy = static_cast<char*>(std::malloc(text.size() + 1));
  if (copy != nullptr) {
    std::memcpy(copy, text.data(), text.size());
    copy[text.size()] = '\0';
  }
  return copy;
}

int fail(char** error, const std::string& message) {
  if (error != nullptr) *error = copy_string(message);
  return 1;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string joined;
  for (const auto& line : lines) {
    if (!joined.empty()) joined += '\n';
    joined += line;
  }
  return joined;
}

// Runs body (which returns 0 or a failure code) so that no C++ exception leaves the shim.
template <typename Body>
int guarded(char** error, const Body& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    return fail(error, e.what());
  } catch (...) {
    return fail(error, "unknown C++ exception in libonnx");
  }
}

int serialize(const ModelProto& model, void** out, size_t* out_length, char** error) {
  if (out == nullptr || out_length == nullptr) return fail(error, "no output buffer given");
  std::string bytes;
  if (!model.SerializeToString(&bytes)) {
    return fail(error, "cannot serialize the model (protobuf holds 2 GiB at most)");
  }
  void* buffer = std::malloc(bytes.empty() ? 1 : bytes.size());
  if (buffer == nullptr) return fail(error, "out of memory");
  std::memcpy(buffer, bytes.data(), bytes.size());
  *out = buffer;
  *out_length = bytes.size();
  return 0;
}

// ---- reading models ----

int parse_model(const void* bytes, size_t length, ModelProto& model, char** error) {
  if (bytes == nullptr || length == 0) return fail(error, "empty input: not an ONNX model");
  if (length > static_cast<size_t>(INT_MAX)) {
    return fail(error, "model larger than 2 GiB: protobuf cannot hold it; use external data");
  }
  if (!model.ParseFromArray(bytes, static_cast<int>(length))) {
    return fail(error, "not an ONNX model: the bytes do not parse as an ONNX ModelProto");
  }
  return 0;
}

int read_file(const char* path, std::string& bytes, char** error) {
  if (path == nullptr) return fail(error, "no model path given");
  std::ifstream stream(path, std::ios::in | std::ios::binary);
  if (!stream.good()) return fail(error, "cannot open the model file");
  bytes.assign(std::istreambuf_iterator<char>{stream}, std::istreambuf_iterator<char>{});
  if (stream.bad()) return fail(error, "cannot read the model file");
  return 0;
}

// The folder libonnx resolves external data against, as check_model(path) computes it.
std::string folder_of(const std::string& path) {
  size_t slash = path.find_last_of("\\/");
  return slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
}

// ---- versions libonnx knows ----

std::string canonical_domain(const std::string& domain) {
  return domain == "ai.onnx" ? std::string() : domain;
}

std::string domain_label(const std::string& domain) {
  return domain.empty() ? std::string("ai.onnx") : domain;
}

int max_known_opset(const std::string& domain) {
  const auto& ranges = onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  auto found = ranges.find(canonical_domain(domain));
  return found == ranges.end() ? -1 : found->second.second;
}

Opsets opsets_of(const google::protobuf::RepeatedPtrField<onnx::OperatorSetIdProto>& imports) {
  Opsets opsets;
  for (const auto& import : imports) opsets[import.domain()] = static_cast<int>(import.version());
  return opsets;
}

// ---- walking a model ----

// Calls visit(node) for each node of `nodes` and, after it, the nodes of its subgraphs.
template <typename Visit>
void walk_nodes(google::protobuf::RepeatedPtrField<NodeProto>& nodes, const Visit& visit) {
  for (auto& node : nodes) {
    visit(node);
    for (auto& attribute : *node.mutable_attribute()) {
      if (attribute.has_g()) walk_nodes(*attribute.mutable_g()->mutable_node(), visit);
      for (auto& graph : *attribute.mutable_graphs()) walk_nodes(*graph.mutable_node(), visit);
    }
  }
}

// Calls visit(node, opsets) for every node of the model, graph first, then each function,
// with the opset imports that apply to the node.
template <typename Visit>
void walk_model_nodes(ModelProto& model, const Visit& visit) {
  const Opsets model_opsets = opsets_of(model.opset_import());
  walk_nodes(*model.mutable_graph()->mutable_node(),
             [&](NodeProto& node) { visit(node, model_opsets); });
  for (auto& function : *model.mutable_functions()) {
    const Opsets function_opsets = opsets_of(function.opset_import());
    walk_nodes(*function.mutable_node(), [&](NodeProto& node) { visit(node, function_opsets); });
  }
}

// Calls visit(tensor) for every tensor stored in `graph` and its subgraphs.
template <typename Visit>
void walk_tensors(GraphProto& graph, const Visit& visit);

template <typename Visit>
void walk_node_tensors(google::protobuf::RepeatedPtrField<NodeProto>& nodes, const Visit& visit) {
  for (auto& node : nodes) {
    for (auto& attribute : *node.mutable_attribute()) {
      if (attribute.has_t()) visit(*attribute.mutable_t());
      for (auto& tensor : *attribute.mutable_tensors()) visit(tensor);
      if (attribute.has_sparse_tensor()) {
        visit(*attribute.mutable_sparse_tensor()->mutable_values());
      }
      if (attribute.has_g()) walk_tensors(*attribute.mutable_g(), visit);
      for (auto& graph : *attribute.mutable_graphs()) walk_tensors(graph, visit);
    }
  }
}

template <typename Visit>
void walk_tensors(GraphProto& graph, const Visit& visit) {
  for (auto& tensor : *graph.mutable_initializer()) visit(tensor);
  for (auto& sparse : *graph.mutable_sparse_initializer()) visit(*sparse.mutable_values());
  walk_node_tensors(*graph.mutable_node(), visit);
}

// ---- making a newer model fit libonnx ----
//
// What libonnx 1.12 does with a model newer than itself:
//   - IR version > 8: check_model refuses the whole model ("Your model ir_version is higher
//     than the checker's"). Shape inference accepts it. Tensors with element types added
//     after IR 8 (float8, int4, ...) fail the checker when stored in typed fields and make
//     shape inference throw "Invalid tensor data type".
//   - an opset above the newest it knows (ai.onnx 17, ai.onnx.ml 3): nothing refuses the
//     import itself. Each node is checked against the newest schema libonnx has at or below
//     the imported version, so an op unchanged since then passes, an op added later fails
//     ("No Op registered for Gelu with domain_version of 21"), and an op whose signature
//     changed later fails against the old schema (Split-18's num_outputs: "Unrecognized
//     attribute"; ReduceMean-18's axes input: "input size 2 not in range"). Shape inference
//     skips ops without a schema and runs the old schema's function on the others.
//
// The choice here: check a copy, never the caller's model. The copy gets IR version 8 and
// unknown element types are relabelled uint8 (so only their contents go unchecked). For every
// node in a domain whose imported opset is newer than libonnx knows, the node is verified
// against libonnx's schema first; when there is no schema or it does not fit, the node is
// moved to kUncheckedDomain, so the checker still checks its inputs, outputs, attributes and
// subgraphs but not its signature, and shape inference leaves it alone instead of applying
// a schema that does not describe it. Each of these steps adds a warning. Ops that fit an
// old schema keep being checked by it. Everything else libonnx reports stays an error.

using OpsetImports = google::protobuf::RepeatedPtrField<onnx::OperatorSetIdProto>;

struct Adaptation {
  std::vector<std::string> warnings;
  bool newer = false;                     // the model is newer than libonnx in some way
  std::map<size_t, std::string> renamed;  // node walk index -> its domain before adapting
  OpsetImports model_imports;             // the imports before adapting
  std::vector<OpsetImports> function_imports;
};

// Why libonnx cannot judge this node, or "" when it can (or when the node is not newer).
std::string why_unverifiable(const NodeProto& node, const Opsets& opsets) {
  auto imported = opsets.find(node.domain());
  if (imported == opsets.end()) return "";  // libonnx reports a missing import itself
  const int known = max_known_opset(node.domain());
  if (known < 0 || imported->second <= known) return "";
  const std::string domain = canonical_domain(node.domain());
  const auto* schema = onnx::OpSchemaRegistry::Schema(node.op_type(), imported->second, domain);
  if (schema == nullptr) {
    return "libonnx knows no such op up to opset " + std::to_string(known);
  }
  if (schema->Deprecated()) return "";  // deprecated ops stay deprecated: libonnx's error
  try {
    schema->Verify(node);
  } catch (const std::exception& e) {
    std::string message = e.what();
    message = message.substr(0, message.find('\n'));
    return "it does not fit libonnx's " + node.op_type() + "-" +
           std::to_string(schema->since_version()) + " schema (" + message + ")";
  }
  return "";
}

void warn_newer_opsets(const ModelProto& model, Adaptation& adaptation) {
  std::map<std::string, int> newest;  // canonical domain -> highest version imported
  auto note = [&](const onnx::OperatorSetIdProto& import) {
    const std::string domain = canonical_domain(import.domain());
    const int version = static_cast<int>(import.version());
    if (newest.count(domain) == 0 || newest[domain] < version) newest[domain] = version;
  };
  for (const auto& import : model.opset_import()) note(import);
  for (const auto& function : model.functions()) {
    for (const auto& import : function.opset_import()) note(import);
  }
  for (const auto& entry : newest) {
    const int known = max_known_opset(entry.first);
    if (known < 0 || entry.second <= known) continue;
    adaptation.newer = true;
    adaptation.warnings.push_back(
        domain_label(entry.first) + " opset " + std::to_string(entry.second) +
        " is newer than libonnx knows (" + std::to_string(known) +
        "): checks for ops newer than opset " + std::to_string(known) + " are limited");
  }
}

void add_unchecked_import(OpsetImports& imports) {
  auto* import = imports.Add();
  import->set_domain(kUncheckedDomain);
  import->set_version(1);
}

// libonnx 1.12 treats "ai.onnx" as a domain of its own, while ONNX defines it as another
// name of the default domain "": it refuses a node in "ai.onnx" ("No Op registered") and
// shape inference skips it. The adapted copy uses "" for both.
void canonicalize_imports(OpsetImports& imports) {
  bool has_default = false;
  for (const auto& import : imports) has_default = has_default || import.domain().empty();
  for (int i = imports.size() - 1; i >= 0; --i) {
    if (imports.Get(i).domain() != "ai.onnx") continue;
    if (has_default) {
      imports.DeleteSubrange(i, 1);
    } else {
      imports.Mutable(i)->set_domain("");
      has_default = true;
    }
  }
}

// Renames "ai.onnx" to "", then moves the nodes libonnx cannot judge to kUncheckedDomain,
// recording every node renamed (in walk_model_nodes' order, which restore_names relies on)
// and the imports as they were.
void adapt_nodes(ModelProto& model, Adaptation& adaptation) {
  adaptation.model_imports = model.opset_import();
  adaptation.function_imports.clear();
  for (const auto& function : model.functions()) {
    adaptation.function_imports.push_back(function.opset_import());
  }
  canonicalize_imports(*model.mutable_opset_import());
  for (auto& function : *model.mutable_functions()) {
    canonicalize_imports(*function.mutable_opset_import());
  }
  std::vector<std::string> order;                          // op keys, first seen first
  std::map<std::string, std::pair<int, std::string>> ops;  // key -> (nodes, reason)
  size_t index = 0;
  auto consider = [&](NodeProto& node, const Opsets& opsets) {
    const size_t this_index = index++;
    if (node.domain() == "ai.onnx") {
      adaptation.renamed[this_index] = node.domain();
      node.set_domain("");
    }
    const std::string reason = why_unverifiable(node, opsets);
    if (reason.empty()) return false;
    const std::string key = node.op_type() + " (" + domain_label(node.domain()) + " opset " +
                            std::to_string(opsets.at(node.domain())) + ")";
    if (ops.count(key) == 0) order.push_back(key);
    auto& entry = ops[key];
    entry.first += 1;
    entry.second = reason;
    adaptation.renamed.emplace(this_index, node.domain());  // keeps "ai.onnx" if renamed
    node.set_domain(kUncheckedDomain);
    return true;
  };
  bool moved_any = false;
  const Opsets model_opsets = opsets_of(model.opset_import());
  walk_nodes(*model.mutable_graph()->mutable_node(),
             [&](NodeProto& node) { moved_any |= consider(node, model_opsets); });
  for (auto& function : *model.mutable_functions()) {
    const Opsets function_opsets = opsets_of(function.opset_import());
    bool moved_here = false;
    walk_nodes(*function.mutable_node(),
               [&](NodeProto& node) { moved_here |= consider(node, function_opsets); });
    if (moved_here) add_unchecked_import(*function.mutable_opset_import());
    moved_any |= moved_here;
  }
  if (!moved_any) return;
  add_unchecked_import(*model.mutable_opset_import());
  for (const auto& key : order) {
    const auto& entry = ops[key];
    adaptation.warnings.push_back(key + ": not checked, " + entry.second + " (" +
                                  std::to_string(entry.first) +
                                  (entry.first == 1 ? " node)" : " nodes)"));
  }
}

// Lowers IR version > 8 to 8 and relabels element types libonnx does not know.
void lower_ir_version(ModelProto& model, Adaptation& adaptation) {
  const int64_t known = static_cast<int64_t>(onnx::Version::IR_VERSION);
  if (model.ir_version() <= known) return;
  adaptation.newer = true;
  adaptation.warnings.push_back("IR version " + std::to_string(model.ir_version()) +
                                " is newer than libonnx's checker supports (" +
                                std::to_string(known) + "): checked as IR version " +
                                std::to_string(known));
  model.set_ir_version(known);
  int relabelled = 0;
  auto relabel = [&](TensorProto& tensor) {
    if (onnx::TensorProto_DataType_IsValid(tensor.data_type())) return;
    tensor.set_data_type(TensorProto::UINT8);
    ++relabelled;
  };
  walk_tensors(*model.mutable_graph(), relabel);
  for (auto& function : *model.mutable_functions()) {
    walk_node_tensors(*function.mutable_node(), relabel);
  }
  if (relabelled > 0) {
    adaptation.warnings.push_back(std::to_string(relabelled) +
                                  " tensor(s) use element types newer than libonnx knows: "
                                  "their contents are not checked");
  }
}

// Gives the renamed nodes their domains back and the model and functions their imports.
void restore_names(ModelProto& model, const Adaptation& adaptation) {
  size_t index = 0;
  walk_model_nodes(model, [&](NodeProto& node, const Opsets&) {
    auto renamed = adaptation.renamed.find(index++);
    if (renamed != adaptation.renamed.end()) node.set_domain(renamed->second);
  });
  *model.mutable_opset_import() = adaptation.model_imports;
  for (int f = 0; f < model.functions_size(); ++f) {
    if (static_cast<size_t>(f) < adaptation.function_imports.size()) {
      *model.mutable_functions(f)->mutable_opset_import() = adaptation.function_imports[f];
    }
  }
}

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

// The check to run before libonnx's inference function for op `name` (default domain).
using Precondition = void (*)(InferenceContext&);
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

const GuardedSchemaRegistry guarded_registry{};

// ---- checking ----

int check(ModelProto& model, const std::string& model_dir, int full_check, char** warnings,
          char** error) {
  Adaptation adaptation;
  lower_ir_version(model, adaptation);
  warn_newer_opsets(model, adaptation);
  adapt_nodes(model, adaptation);
  auto notes = [&] {
    std::string text;
    for (const auto& warning : adaptation.warnings) text += "\nnote: " + warning;
    return text;
  };
  try {
    onnx::checker::CheckerContext context;
    context.set_model_dir(model_dir);
    onnx::checker::check_model(model, context);
  } catch (const std::exception& e) {
    return fail(error, std::string(e.what()) + notes());
  }
  if (full_check) {
    // What onnx.checker.check_model(full_check=True) adds: strict, type-checking inference.
    try {
      onnx::shape_inference::InferShapes(model, &guarded_registry,
                                         onnx::ShapeInferenceOptions(true, 1, false));
    } catch (const std::exception& e) {
      if (!adaptation.newer) return fail(error, std::string("shape inference: ") + e.what());
      std::string message = e.what();
      adaptation.warnings.push_back(
          "shape inference failed, which may come from the model being newer than libonnx: " +
          message.substr(0, message.find('\n')));
    }
  }
  if (warnings != nullptr && !adaptation.warnings.empty()) {
    *warnings = copy_string(join_lines(adaptation.warnings));
  }
  return 0;
}

// ---- printing ----

// libonnx 1.12's printer drops node domains; writing them as "domain.Op" keeps them, in the
// form its parser reads back.
void fold_domains_into_op_types(ModelProto& model) {
  walk_model_nodes(model, [](NodeProto& node, const Opsets&) {
    if (node.domain().empty()) return;
    node.set_op_type(node.domain() + "." + node.op_type());
    node.clear_domain();
  });
}

// Escapes quotes and backslashes as newer ONNX parsers read them; libonnx 1.12's parser has
// no escapes, so strings holding those characters do not read back there.
std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// The <...> header: the model's own fields, in the parser's keywords.
std::string model_header(const ModelProto& model) {
  std::vector<std::string> fields;
  fields.push_back("ir_version: " + std::to_string(model.ir_version()));
  std::string opsets = "opset_import: [";
  for (int i = 0; i < model.opset_import_size(); ++i) {
    const auto& import = model.opset_import(i);
    if (i > 0) opsets += ", ";
    opsets += quoted(import.domain()) + " : " + std::to_string(import.version());
  }
  fields.push_back(opsets + "]");
  if (model.has_producer_name()) {
    fields.push_back("producer_name: " + quoted(model.producer_name()));
  }
  if (model.has_producer_version()) {
    fields.push_back("producer_version: " + quoted(model.producer_version()));
  }
  if (model.has_domain()) fields.push_back("domain: " + quoted(model.domain()));
  if (model.has_model_version()) {
    fields.push_back("model_version: " + std::to_string(model.model_version()));
  }
  if (model.has_doc_string()) fields.push_back("doc_string: " + quoted(model.doc_string()));
  std::string header = "<\n";
  for (size_t i = 0; i < fields.size(); ++i) {
    header += "  " + fields[i] + (i + 1 < fields.size() ? ",\n" : "\n");
  }
  return header + ">\n";
}

} // namespace

extern "C" {

int connx_check_model(const void* bytes, size_t length, int full_check, char** warnings,
                      char** error) {
  if (warnings != nullptr) *warnings = nullptr;
  if (error != nullptr) *error = nullptr;
  return guarded(error, [&] {
    ModelProto model;
    if (int status = parse_model(bytes, length, model, error)) return status;
    return check(model, "", full_check, warnings, error);
  });
}

int connx_check_model_path(const char* path, int full_check, char** warnings, char** error) {
  if (warnings != nullptr) *warnings = nullptr;
  if (error != nullptr) *error = nullptr;
  return guarded(error, [&] {
    std::string bytes;
    if (int status = read_file(path, bytes, error)) return status;
    ModelProto model;
    if (parse_model(bytes.data(), bytes.size(), model, nullptr) != 0) {
      return fail(error, "the file is not an ONNX model: it does not parse as a ModelProto");
    }
    return check(model, folder_of(path), full_check, warnings, error);
  });
}

int connx_infer_shapes(const void* bytes, size_t length, int strict, int data_prop, void** out,
                       size_t* out_length, char** error) {
  if (out != nullptr) *out = nullptr;
  if (out_length != nullptr) *out_length = 0;
  if (error != nullptr) *error = nullptr;
  return guarded(error, [&] {
    ModelProto model;
    if (int status = parse_model(bytes, length, model, error)) return status;
    // Nodes that no libonnx schema describes are hidden from inference (see Adaptation).
    Adaptation adaptation;
    adapt_nodes(model, adaptation);
    onnx::shape_inference::InferShapes(
        model, &guarded_registry,
        onnx::ShapeInferenceOptions(strict != 0, strict != 0 ? 1 : 0, data_prop != 0));
    restore_names(model, adaptation);
    return serialize(model, out, out_length, error);
  });
}

int connx_parse_model_text(const char* text, void** out, size_t* out_length, char** error) {
  if (out != nullptr) *out = nullptr;
  if (out_length != nullptr) *out_length = 0;
  if (error != nullptr) *error = nullptr;
  return guarded(error, [&] {
    if (text == nullptr) return fail(error, "no text given");
    ModelProto model;
    onnx::Status status = onnx::OnnxParser::Parse(model, text);
    if (!status.IsOK()) return fail(error, status.ErrorMessage());
    return serialize(model, out, out_length, error);
  });
}

int connx_print_model_text(const void* bytes, size_t length, char** out_text, char** error) {
  if (out_text != nullptr) *out_text = nullptr;
  if (error != nullptr) *error = nullptr;
  return guarded(error, [&] {
    if (out_text == nullptr) return fail(error, "no output buffer given");
    ModelProto model;
    if (int status = parse_model(bytes, length, model, error)) return status;
    fold_domains_into_op_types(model);
    std::ostringstream text;
    text << model_header(model) << model.graph();
    for (const auto& function : model.functions()) text << "\n" << function;
    *out_text = copy_string(text.str());
    if (*out_text == nullptr) return fail(error, "out of memory");
    return 0;
  });
}

int connx_max_known_opset(const char* domain) {
  try {
    return max_known_opset(domain == nullptr ? std::string() : std::string(domain));
  } catch (...) {
    return -1;
  }
}

void connx_free(void* pointer) {
  std::free(pointer);
}

} // extern "C"
