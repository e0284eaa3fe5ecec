// Reading.cpp: reading models: parsing the caller's bytes and reading model files.
#include "Internal.h"

#include <climits>
#include <fstream>
#include <iterator>

namespace connx {

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

} // namespace connx
