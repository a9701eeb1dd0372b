/* The INT8 tensor-core conv's float-storage instances, for the tests'
 * exact comparisons (cuda_conv_imma.cuh). */
#include "backend/cuda/cuda_conv_imma.cuh"

cudaError_t gk_conv_imma_f32(const gk_desc *d, void *const *ptrs, cudaStream_t s) {
    return launch_imma<float, false>(d, ptrs, s);
}
