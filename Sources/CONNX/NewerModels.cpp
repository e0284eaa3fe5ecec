// NewerModels.cpp: making a model newer than libonnx (IR version, opsets) fit its checks.
#include "Internal.h"
#include "ModelWalk.h"

#include <exception>
#include <map>
#include <string>
#include <utility>
#include <vector>

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

// (Adaptation, which records all of this, is declared in Internal.h.)

namespace connx {

namespace {

// Domain given to nodes that libonnx cannot judge, so that its checker and shape inference
// skip their schemas (libonnx only skips schemas of domains it does not know).
const char* const kUncheckedDomain = "connx.unchecked";

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

// Records the imports as they were; the adapted copy then uses "" for "ai.onnx".
void save_and_canonicalize_imports(ModelProto& model, Adaptation& adaptation) {
  adaptation.model_imports = model.opset_import();
  adaptation.function_imports.clear();
  for (const auto& function : model.functions()) {
    adaptation.function_imports.push_back(function.opset_import());
  }
  canonicalize_imports(*model.mutable_opset_import());
  for (auto& function : *model.mutable_functions()) {
    canonicalize_imports(*function.mutable_opset_import());
  }
}

} // namespace

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

// Renames "ai.onnx" to "", then moves the nodes libonnx cannot judge to kUncheckedDomain,
// recording every node renamed (in walk_model_nodes' order, which restore_names relies on)
// and the imports as they were.
void adapt_nodes(ModelProto& model, Adaptation& adaptation) {
  save_and_canonicalize_imports(model, adaptation);
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
} // namespace connx
