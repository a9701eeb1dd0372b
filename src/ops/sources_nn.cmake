list(APPEND GLINT_SOURCES
  src/ops/nn_common.c
  src/ops/op_conv.c
  src/ops/op_conv_transpose.c
  src/ops/op_fused_conv.c
  src/ops/op_pool.c
  src/ops/op_norm.c)
