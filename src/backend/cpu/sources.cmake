# CPU backend: vtable, thread pool, SGEMM and the conv/gemm fast path.
list(APPEND GLINT_SOURCES
  src/backend/cpu/threadpool.c
  src/backend/cpu/sgemm.c
  src/backend/cpu/sgemm_x86.c
)
