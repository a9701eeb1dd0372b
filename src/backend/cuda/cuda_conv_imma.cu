/* The INT8 tensor-core conv's half-storage instances and the dispatch over
 * storage types and inputs (the kernel: cuda_conv_imma.cuh). */
#include "backend/cuda/cuda_conv_imma.cuh"

/* float storage (tests) and half (INT8 engines, which alone hold codes);
 * never bfloat16. */
cudaError_t gk_run_conv_imma(const gk_desc *d, void *const *ptrs, gk_store st, cudaStream_t s) {
    switch (st) {
    case GK_STORE_F32:
        return d->u.conv.x_codes ? cudaErrorInvalidValue : gk_conv_imma_f32(d, ptrs, s);
    case GK_STORE_F16:
        return d->u.conv.x_codes ? gk_conv_imma_codes(d, ptrs, s)
                                 : launch_imma<__half, false>(d, ptrs, s);
    default: return cudaErrorInvalidValue;
    }
}
