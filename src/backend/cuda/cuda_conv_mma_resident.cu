/* The FP16 / BF16 tensor-core conv's resident instances: blocks that keep
 * their weights over several tiles (cuda_conv_mma.cuh). */
#include "backend/cuda/cuda_conv_mma.cuh"

cudaError_t gk_conv_mma_resident(const gk_desc *d, void *const *ptrs, gk_store st,
                                 cudaStream_t s) {
    return st == GK_STORE_F16 ? launch_mma<__half, true>(d, ptrs, s)
                              : launch_mma<__nv_bfloat16, true>(d, ptrs, s);
}
