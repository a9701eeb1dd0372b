# Extra operators for ONNX conformance coverage (op_list_extra.h).
list(APPEND GLINT_SOURCES
  src/ops/op_extra_index.c
  src/ops/op_extra_act.c
  src/ops/op_extra_gather.c
  src/ops/op_extra_scatter.c
  src/ops/op_extra_layout.c
  src/ops/op_extra_scan.c
  src/ops/op_extra_topk.c
  src/ops/op_extra_refuse.c)
