/* The tiled convolution's half instances (cuda_conv_tile_kernel.cuh). */
#include "backend/cuda/cuda_conv_tile_kernel.cuh"

cudaError_t gk_conv_tile_f16(const gk_desc *d, void *const *ptrs, cudaStream_t s) {
    return gk_launch_tile<__half, false>(d, ptrs, s);
}
