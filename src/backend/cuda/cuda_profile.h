/* Per-kernel timing of the CUDA backend (bench/cuda/cuda_profile.c). No CUDA
 * types, so plain C tools can include it. */
#ifndef GL_CUDA_PROFILE_H
#define GL_CUDA_PROFILE_H

#include "common/common.h"

typedef struct gl_cuda_kernel_time {
    const char *kind;    /* "conv", "gemm", ... */
    char label[96];      /* the graph node, or "staging" */
    char shape[128];      /* convolution geometry, else empty */
    double flops;        /* convolutions only, else 0 */
    double us;           /* device time per launch, inside a graph */
} gl_cuda_kernel_time;

/* Kernels of a prepared plan. */
int gl_cuda_kernel_count(const void *prepared);
/* Times every kernel of `prepared`, bound to context ctx, into
 * times[0 .. gl_cuda_kernel_count). Overwrites the context's activations. */
glint_status gl_cuda_profile_kernels(void *ctx, const void *prepared, int reps,
                                     gl_cuda_kernel_time *times, gl_err *err);

#endif
