# Elementwise, shape and tensor-manipulation operators (op_list_basic.h).
list(APPEND GLINT_SOURCES
  src/ops/registry.c
  src/ops/op_util.c
  src/ops/op_identity.c
  src/ops/op_unary.c
  src/ops/op_clip.c
  src/ops/op_binary.c
  src/ops/op_compare.c
  src/ops/op_cast.c
  src/ops/op_shape.c
  src/ops/op_reshape.c
  src/ops/op_transpose.c
  src/ops/op_slice.c
  src/ops/op_gather_concat.c
  src/ops/op_reduce.c
  src/ops/op_softmax.c)
