# CPU backend: vtable, thread pool, SGEMM and the conv/gemm fast path.
list(APPEND GLINT_SOURCES
  src/backend/cpu/cpu_backend.c
  src/backend/cpu/threadpool.c
  src/backend/cpu/sgemm.c
  src/backend/cpu/sgemm_x86.c
  src/backend/cpu/conv_fast.c
  src/backend/cpu/epilogue.c
  src/backend/cpu/epilogue_x86.c
  src/backend/cpu/qconv_fast.c
  src/backend/cpu/qconv_x86.c
  src/backend/cpu/upsample_fast.c
  src/backend/cpu/gemm_fast.c
  src/backend/cpu/batch_split.c
  src/backend/cpu/cpu_chunks.c
)
