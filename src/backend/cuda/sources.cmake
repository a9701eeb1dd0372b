# The CUDA backend; included only when a CUDA toolkit is found.
list(APPEND GLINT_CUDA_SOURCES
  src/backend/cuda/cuda_util.c
  src/backend/cuda/cuda_backend.c
  src/backend/cuda/cuda_lower.c
  src/backend/cuda/cuda_lower_ops.c
  src/backend/cuda/cuda_lower_nn.c
  src/backend/cuda/cuda_lower_layout.c
  src/backend/cuda/cuda_context.c
  src/backend/cuda/cuda_profile.c
  src/backend/cuda/cuda_launch.cu
  src/backend/cuda/cuda_conv.cu
  src/backend/cuda/cuda_conv_wmma.cu
  src/backend/cuda/cuda_conv_tile.cu
  src/backend/cuda/cuda_conv_tile_f16.cu
  src/backend/cuda/cuda_conv_tile_bf16.cu
  src/backend/cuda/cuda_conv_tile_q.cu
  src/backend/cuda/cuda_conv_mma.cu
  src/backend/cuda/cuda_conv_mma_resident.cu
  src/backend/cuda/cuda_conv_imma.cu
  src/backend/cuda/cuda_conv_imma_codes.cu
  src/backend/cuda/cuda_conv_imma_f32.cu
  src/backend/cuda/cuda_eltwise.cu
  src/backend/cuda/cuda_host_io.cu
  src/backend/cuda/cuda_layout.cu
  src/backend/cuda/cuda_reduce.cu)
# Device code warning-clean (nvcc's own diagnostics) when warnings are errors.
if(GLINT_WERROR)
  set_source_files_properties(
    src/backend/cuda/cuda_launch.cu src/backend/cuda/cuda_conv.cu
    src/backend/cuda/cuda_conv_wmma.cu src/backend/cuda/cuda_conv_tile.cu
    src/backend/cuda/cuda_conv_tile_f16.cu src/backend/cuda/cuda_conv_tile_bf16.cu
    src/backend/cuda/cuda_conv_tile_q.cu
    src/backend/cuda/cuda_conv_mma.cu src/backend/cuda/cuda_conv_mma_resident.cu
    src/backend/cuda/cuda_conv_imma.cu
    src/backend/cuda/cuda_conv_imma_codes.cu src/backend/cuda/cuda_conv_imma_f32.cu
    src/backend/cuda/cuda_eltwise.cu src/backend/cuda/cuda_host_io.cu
    src/backend/cuda/cuda_layout.cu src/backend/cuda/cuda_reduce.cu
    PROPERTIES COMPILE_OPTIONS "--Werror=all-warnings;-Xcompiler=-Wall")
endif()
