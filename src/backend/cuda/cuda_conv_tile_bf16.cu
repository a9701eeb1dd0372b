/* The tiled convolution's bfloat16 instances (cuda_conv_tile_kernel.cuh). */
#include "backend/cuda/cuda_conv_tile_kernel.cuh"

cudaError_t gk_conv_tile_bf16(const gk_desc *d, void *const *ptrs, cudaStream_t s) {
    return gk_launch_tile<__nv_bfloat16, false>(d, ptrs, s);
}
