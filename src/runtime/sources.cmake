list(APPEND GLINT_SOURCES
  src/runtime/engine.c
  src/runtime/engine_info.c
  src/runtime/context.c
  src/backend/no_cuda.c)
