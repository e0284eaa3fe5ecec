// Opsets.cpp: the opset versions libonnx knows, domain names, and connx_max_known_opset.
#include "CONNX.h"
#include "Internal.h"

namespace connx {

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

} // namespace connx

extern "C" int connx_max_known_opset(const char* domain) {
  try {
    return connx::max_known_opset(domain == nullptr ? std::string() : std::string(domain));
  } catch (...) {
    return -1;
  }
}
