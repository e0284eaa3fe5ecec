// Buffers.cpp: results across the C boundary: malloc'd copies and messages, and connx_free.
#include "Buffers.h"

#include "CONNX.h"

#include <cstdlib>
#include <cstring>

namespace connx {

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

int serialize(const onnx::ModelProto& model, void** out, size_t* out_length, char** error) {
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

} // namespace connx

extern "C" void connx_free(void* pointer) {
  std::free(pointer);
}
