// ONNXProto holds only generated code: `onnx-ml.pb.swift`, the Swift types (Onnx_ModelProto,
// Onnx_GraphProto, Onnx_NodeProto, Onnx_TensorProto, ...) that apple/swift-protobuf's
// protoc-gen-swift 1.39.0 generates from the `onnx/onnx-ml.proto` shipped in the onnx 1.23.2
// PyPI wheel. The proto is proto2, so optional scalar fields have `has…`/`clear…` accessors,
// and unknown fields are kept and written back. Never edit the generated file by hand; to
// regenerate it (for example after bumping the onnx or swift-protobuf version pinned in the
// script), run `scripts/generate-onnx-proto.sh` from any directory and commit its output.
// Nothing else belongs in this module: conversion to and from the IR lives in KilnONNX.
