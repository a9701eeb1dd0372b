list(APPEND GLINT_SOURCES
  src/ops/nn_common.c
  src/ops/op_conv.c
  src/ops/op_conv_transpose.c
  src/ops/op_fused_conv.c
  src/ops/op_pool.c
  src/ops/op_norm.c
  src/ops/op_gemm.c
  src/ops/op_matmul.c
  src/ops/op_pad.c
  src/ops/op_resize.c)
