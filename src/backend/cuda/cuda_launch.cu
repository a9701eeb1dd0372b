/* gk_launch: the one entry from the host code into the kernels. */
#include "backend/cuda/cuda_device.cuh"

int gk_launch(const gk_desc *d, void *const *ptrs, gk_store store, void *stream) {
    cudaStream_t s = (cudaStream_t)stream;
    cudaError_t e;
    switch (d->kind) {
    case GK_CONV: e = gk_run_conv(d, ptrs, store, s); break;
    case GK_CONV_WMMA: e = gk_run_conv_wmma(d, ptrs, store, s); break;
    case GK_CONV_TILE: e = gk_run_conv_tile(d, ptrs, store, s); break;
    case GK_CONV_MMA: e = gk_run_conv_mma(d, ptrs, store, s); break;
    case GK_CONV_IMMA: e = gk_run_conv_imma(d, ptrs, store, s); break;
    case GK_CONVT: e = gk_run_convt(d, ptrs, store, s); break;
    case GK_UNARY:
    case GK_BINARY:
    case GK_BATCHNORM: e = gk_run_eltwise(d, ptrs, store, s); break;
    case GK_HOST_IN:
    case GK_HOST_OUT: e = gk_run_host_io(d, ptrs, store, s); break;
    case GK_COPY:
    case GK_CONCAT_PART:
    case GK_SLICE:
    case GK_PAD:
    case GK_RESIZE: e = gk_run_layout(d, ptrs, store, s); break;
    case GK_GEMM:
    case GK_GEMM_GROUP:
    case GK_GAP:
    case GK_NORM: e = gk_run_reduce(d, ptrs, store, s); break;
    default: e = cudaErrorInvalidValue; break;
    }
    return (int)e;
}
