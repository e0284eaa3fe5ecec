/* CONNX: a small C interface over Debian's libonnx (ONNX 1.12): checker, shape inference,
 * the ONNX text format, and the opset versions libonnx knows.
 *
 * Conventions for every function here:
 *   - 0 is success, nonzero is failure;
 *   - on failure, when `error` is not NULL, `*error` receives a malloc'd NUL-terminated message;
 *   - every out buffer is malloc'd; release it (and every error message) with connx_free;
 *   - out parameters are set to NULL (lengths to 0) first, so they are safe to free whatever
 *     the result;
 *   - no C++ exception ever leaves these functions, and inference runs with guards against
 *     the malformed nodes known to crash libonnx 1.12's shape inference (see SchemaGuards.cpp).
 *
 * libonnx 1.12 refuses IR versions above 8 and knows opsets up to 17 (ai.onnx) and 3
 * (ai.onnx.ml). The checker treats a newer model as advisory rather than refusing it; see
 * connx_check_model. */
#ifndef CONNX_H
#define CONNX_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Checks a serialized ModelProto with onnx::checker::check_model. With `full_check` it also
 * runs strict, type-checking shape inference (what onnx.checker.check_model(full_check=True)
 * does). A model newer than libonnx (IR version > 8, or an opset above the newest libonnx
 * knows) is checked as far as libonnx can and is not refused for being newer: `*warnings`
 * then says what was not checked. `*warnings` receives newline-separated warnings, or NULL
 * when there are none (and always NULL on failure, where the warnings are appended to the
 * error message). External data is looked up relative to the current directory; use
 * connx_check_model_path to check it next to the model file. */
int connx_check_model(const void *bytes, size_t length, int full_check, char **warnings,
                      char **error);

/* Like connx_check_model, for the model file at `path`; external data is resolved relative to
 * the folder that holds the file. */
int connx_check_model_path(const char *path, int full_check, char **warnings, char **error);

/* Runs onnx::shape_inference::InferShapes on a copy of the serialized model and returns the
 * inferred model, serialized, in `*out` (`*out_length` bytes). `strict` makes node-level
 * inference errors and type mismatches fail; `data_prop` enables libonnx's data propagation
 * (shape computations through Shape, Gather, Concat and similar). */
int connx_infer_shapes(const void *bytes, size_t length, int strict, int data_prop, void **out,
                       size_t *out_length, char **error);

/* Parses the ONNX text syntax (onnx::OnnxParser), for example
 *   <ir_version: 8, opset_import: ["" : 15]> agraph (float[N, 128] X) => (float[N] Y) { ... }
 * and returns the serialized ModelProto in `*out` (`*out_length` bytes). */
int connx_parse_model_text(const char *text, void **out, size_t *out_length, char **error);

/* Prints a serialized model in the ONNX text syntax (libonnx's printer for the graph and the
 * functions, preceded by a <...> header with the model's fields) into `*out_text`. */
int connx_print_model_text(const void *bytes, size_t length, char **out_text, char **error);

/* The highest opset version libonnx knows for `domain` ("" and "ai.onnx" are the default
 * domain; NULL means ""), or -1 when libonnx does not know the domain. */
int connx_max_known_opset(const char *domain);

/* Releases a buffer or message returned by this interface; NULL is allowed. */
void connx_free(void *pointer);

#ifdef __cplusplus
}
#endif

#endif /* CONNX_H */
