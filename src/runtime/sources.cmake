list(APPEND GLINT_SOURCES
  src/runtime/engine.c
  src/runtime/engine_info.c
  src/runtime/context.c
  src/runtime/host_memory.c
  src/backend/no_cuda.c)
