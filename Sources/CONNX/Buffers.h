// Buffers.h: results across the C boundary: malloc'd copies, error messages, no exceptions.
#ifndef CONNX_BUFFERS_H
#define CONNX_BUFFERS_H

#include <onnx/onnx_pb.h>

#include <cstddef>
#include <exception>
#include <string>
#include <vector>

namespace connx {

// A malloc'd, NUL-terminated copy of `text` (NULL when out of memory).
char* copy_string(const std::string& text);

// Hands `message` to the caller through `error` (when not NULL) and returns failure (1).
int fail(char** error, const std::string& message);

std::string join_lines(const std::vector<std::string>& lines);

// Serializes `model` into a malloc'd buffer in `*out` (`*out_length` bytes).
int serialize(const onnx::ModelProto& model, void** out, size_t* out_length, char** error);

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

} // namespace connx

#endif // CONNX_BUFFERS_H
