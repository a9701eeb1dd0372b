list(APPEND GLINT_SOURCES
  src/common/error.c
  src/common/alloc.c
  src/common/tensor.c
  src/common/util.c)
