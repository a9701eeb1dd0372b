/* The INT8 tensor-core conv's instances that read int8 codes, half storage
 * (cuda_conv_imma.cuh). */
#include "backend/cuda/cuda_conv_imma.cuh"

cudaError_t gk_conv_imma_codes(const gk_desc *d, void *const *ptrs, cudaStream_t s) {
    return launch_imma<__half, true>(d, ptrs, s);
}
