// Internal.h: what the shim's files share; private, unlike the public C header in include/.
#ifndef CONNX_INTERNAL_H
#define CONNX_INTERNAL_H

#include "Buffers.h"

#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>

#include <cstddef>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace connx {

using onnx::GraphProto;
using onnx::ModelProto;
using onnx::NodeProto;
using onnx::TensorProto;
using Opsets = std::unordered_map<std::string, int>;
using OpsetImports = google::protobuf::RepeatedPtrField<onnx::OperatorSetIdProto>;

// ---- reading models (Reading.cpp) ----

int parse_model(const void* bytes, size_t length, ModelProto& model, char** error);
int read_file(const char* path, std::string& bytes, char** error);
// The folder libonnx resolves external data against, as check_model(path) computes it.
std::string folder_of(const std::string& path);

// ---- versions libonnx knows (Opsets.cpp) ----

std::string canonical_domain(const std::string& domain);
std::string domain_label(const std::string& domain);
int max_known_opset(const std::string& domain);
Opsets opsets_of(const OpsetImports& imports);

// ---- making a newer model fit libonnx (NewerModels.cpp, which explains the choices) ----

struct Adaptation {
  std::vector<std::string> warnings;
  bool newer = false;                     // the model is newer than libonnx in some way
  std::map<size_t, std::string> renamed;  // node walk index -> its domain before adapting
  OpsetImports model_imports;             // the imports before adapting
  std::vector<OpsetImports> function_imports;
};

// Lowers IR version > 8 to 8 and relabels element types libonnx does not know.
void lower_ir_version(ModelProto& model, Adaptation& adaptation);
void warn_newer_opsets(const ModelProto& model, Adaptation& adaptation);
// Renames "ai.onnx" to "", then moves the nodes libonnx cannot judge to an unchecked domain.
void adapt_nodes(ModelProto& model, Adaptation& adaptation);
// Gives the renamed nodes their domains back and the model and functions their imports.
void restore_names(ModelProto& model, const Adaptation& adaptation);

// ---- keeping libonnx's inference from crashing (Preconditions.cpp, SchemaGuards.cpp) ----

// The check to run before libonnx's inference function for op `name` (default domain).
using Precondition = void (*)(onnx::InferenceContext&);
Precondition precondition_for(const std::string& name);

// The schema registry to give libonnx's shape inference instead of its own.
const onnx::ISchemaRegistry* guarded_registry();

} // namespace connx

#endif // CONNX_INTERNAL_H
