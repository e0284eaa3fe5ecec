// TextFormat.cpp: the ONNX text format: connx_parse_model_text and connx_print_model_text.
#include "CONNX.h"
#include "Internal.h"
#include "ModelWalk.h"

#include <onnx/defs/parser.h>
#include <onnx/defs/printer.h>

#include <sstream>
#include <string>
#include <vector>

namespace connx {

namespace {

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

} // namespace connx

using namespace connx;

extern "C" {

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

} // extern "C"
