/* The FP16 / BF16 tensor-core conv's instances of one tile a block, and
 * the dispatch over storage types and forms (the kernel: cuda_conv_mma.cuh). */
#include "backend/cuda/cuda_conv_mma.cuh"

cudaError_t gk_run_conv_mma(const gk_desc *d, void *const *ptrs, gk_store st, cudaStream_t s) {
    if (st != GK_STORE_F16 && st != GK_STORE_BF16)
        return cudaErrorInvalidValue; /* no FP32 form: the lowering never asks */
    if (mma_resident(d->u.conv, ptrs)) return gk_conv_mma_resident(d, ptrs, st, s);
    return st == GK_STORE_F16 ? launch_mma<__half, false>(d, ptrs, s)
                              : launch_mma<__nv_bfloat16, false>(d, ptrs, s);
}
