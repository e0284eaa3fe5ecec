// ModelWalk.h: visiting every node or stored tensor of a model, subgraphs and functions included.
#ifndef CONNX_MODEL_WALK_H
#define CONNX_MODEL_WALK_H

#include "Internal.h"

namespace connx {

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

} // namespace connx

#endif // CONNX_MODEL_WALK_H
