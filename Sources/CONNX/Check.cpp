// Check.cpp: checking a model with libonnx's checker: connx_check_model and _path.
#include "CONNX.h"
#include "Internal.h"

#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include <exception>
#include <string>

namespace ONNX_NAMESPACE {
namespace checker {
// Exported by libonnx 1.12 (check_model(path) is built on it) but not declared in checker.h.
// It is the only entry point that checks an in-memory model with a CheckerContext, which is
// how the model folder for external data is passed.
void check_model(const ModelProto& model, CheckerContext& ctx);
} // namespace checker
} // namespace ONNX_NAMESPACE

namespace connx {

namespace {

// What onnx.checker.check_model(full_check=True) adds: strict, type-checking inference.
// On a model newer than libonnx, a failure becomes a warning.
int infer_strictly(ModelProto& model, Adaptation& adaptation, char** error) {
  try {
    onnx::shape_inference::InferShapes(model, guarded_registry(),
                                       onnx::ShapeInferenceOptions(true, 1, false));
  } catch (const std::exception& e) {
    if (!adaptation.newer) return fail(error, std::string("shape inference: ") + e.what());
    std::string message = e.what();
    adaptation.warnings.push_back(
        "shape inference failed, which may come from the model being newer than libonnx: " +
        message.substr(0, message.find('\n')));
  }
  return 0;
}

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
    if (int status = infer_strictly(model, adaptation, error)) return status;
  }
  if (warnings != nullptr && !adaptation.warnings.empty()) {
    *warnings = copy_string(join_lines(adaptation.warnings));
  }
  return 0;
}

} // namespace

} // namespace connx

using namespace connx;

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

} // extern "C"
