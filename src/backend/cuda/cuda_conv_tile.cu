/* The tiled convolution's float instances and the dispatch over storage
 * types (the kernel: cuda_conv_tile_kernel.cuh). */
#include "backend/cuda/cuda_conv_tile_kernel.cuh"

cudaError_t gk_run_conv_tile(const gk_desc *d, void *const *ptrs, gk_store st, cudaStream_t s) {
    if (d->u.conv.quant) { /* QConvs: float (tests) and half (INT8 engines) storage only */
        switch (st) {
        case GK_STORE_F32: return gk_conv_tile_q_f32(d, ptrs, s);
        case GK_STORE_F16: return gk_conv_tile_q_f16(d, ptrs, s);
        default: return cudaErrorInvalidValue;
        }
    }
    switch (st) {
    case GK_STORE_F16: return gk_conv_tile_f16(d, ptrs, s);
    case GK_STORE_BF16: return gk_conv_tile_bf16(d, ptrs, s);
    default: return gk_launch_tile<float, false>(d, ptrs, s);
    }
}
