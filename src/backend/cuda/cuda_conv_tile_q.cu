/* The tiled convolution's QConv instances, float and half storage
 * (cuda_conv_tile_kernel.cuh). */
#include "backend/cuda/cuda_conv_tile_kernel.cuh"

cudaError_t gk_conv_tile_q_f32(const gk_desc *d, void *const *ptrs, cudaStream_t s) {
    return gk_launch_tile<float, true>(d, ptrs, s);
}

cudaError_t gk_conv_tile_q_f16(const gk_desc *d, void *const *ptrs, cudaStream_t s) {
    return gk_launch_tile<__half, true>(d, ptrs, s);
}
