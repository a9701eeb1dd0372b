list(APPEND GLINT_SOURCES
  src/model/protobuf.c
  src/model/graph.c
  src/model/graph_finalize.c
  src/model/onnx_tensor.c
  src/model/onnx_node.c
  src/model/onnx_graph.c
  src/model/onnx_model.c
  src/model/passes.c)
