/* The ONNX decoder's pieces, one file per message family:
 *   onnx_model.c   ModelProto, opset_import, metadata_props, gl_onnx_load
 *   onnx_graph.c   GraphProto, ValueInfoProto / TypeProto
 *   onnx_node.c    NodeProto, AttributeProto
 *   onnx_tensor.c  TensorProto
 * Field numbers are onnx.proto's. Every decoder works on a gl_pb_reader
 * positioned on its message and names what it was decoding in errors. */
#ifndef GL_ONNX_INTERNAL_H
#define GL_ONNX_INTERNAL_H

#include "model/graph.h"
#include "model/protobuf.h"

/* Decodes a TensorProto (the LEN field f read from parent) into a new
 * constant. `what` names it in messages ("initializer", "node 3 'c'
 * (Constant) attribute 'value'"); *name gets a copy of the tensor's name
 * (may be ""; NULL to ignore). */
glint_status gl_onnx_tensor(const gl_pb_reader *parent, const gl_pb_field *f,
                            const glint_allocator *a, const char *what, char **name,
                            gl_const **out, gl_err *err);

/* Decodes a NodeProto and appends it (with its attributes) to g. */
glint_status gl_onnx_node(gl_graph *g, const gl_pb_reader *parent, const gl_pb_field *f,
                          gl_err *err);

/* Decodes a GraphProto into g (nodes, initializers, inputs, outputs,
 * value_info); does not finalize. */
glint_status gl_onnx_graph(gl_graph *g, const gl_pb_reader *parent, const gl_pb_field *f,
                           gl_err *err);

/* A copy of a LEN field's bytes as a NUL-terminated string. */
char *gl_onnx_string(const glint_allocator *a, const gl_pb_field *f);

#endif
