/* The CPU fast path for 2-D convolution (Conv and glint::FusedConv, NCHW
 * float32): a packed SGEMM per (sample, group) with the weights as A
 * (packed once per engine) and the im2col matrix as B, packed panel by panel
 * straight from the input so it is never materialised. Bias and the fused
 * epilogue are applied to each output tile as it leaves the micro-kernel.
 * Convs with one or two output channels per group and no row conv (below)
 * run as a direct conv.
 * Stride-1 convs skip im2col altogether: each task copies the input rows it
 * needs once into a zero-padded block, and the micro-kernel reads the
 * shifted rows in place through a table of offsets (k → c, ky, kx). */
#ifndef GL_CPU_CONV_FAST_H
#define GL_CPU_CONV_FAST_H

#include "backend/cpu/sgemm.h"
#include "backend/cpu/threadpool.h"
#include "ops/nn_params.h"

typedef struct gl_cpu_conv {
    gl_conv_geom g;
    const gl_sgemm_kernel *kern;
    const float *packed_w;   /* group-major: group i at packed_w + i * group_stride */
    size_t group_stride;     /* floats */
    int64_t mg, kg, plane;   /* out channels per group, K per group, Ho*Wo */
    bool direct_b;           /* 1x1, stride 1, no pad: B is the input itself */
    bool direct;             /* ≤ 2 outputs per group: direct conv, packed_w is W as is */
    int64_t rows;            /* > 0: stride-1 "row conv", this many output rows per task */
    const gl_fused_conv_params *fused; /* NULL for a plain Conv */
    bool epi_avx512;         /* bias and epilogue in AVX-512 registers */
} gl_cpu_conv;

/* Does the fast path handle this geometry? (2-D, float32.) */
bool gl_cpu_conv_supported(const gl_conv_geom *g);

/* Packs W [M, C/g, kh, kw] for kernel k into dst (gl_cpu_conv_packed_floats
 * floats). */
size_t gl_cpu_conv_packed_floats(const gl_sgemm_kernel *k, const gl_conv_geom *g);
void gl_cpu_conv_pack_weights(const gl_sgemm_kernel *k, const gl_conv_geom *g, const float *w,
                              float *dst);
/* Fills cv from a geometry, packed weights and (for FusedConv) its params. */
void gl_cpu_conv_init(gl_cpu_conv *cv, const gl_sgemm_kernel *k, const gl_conv_geom *g,
                      const float *packed_w, const gl_fused_conv_params *fused);

/* Scratch floats per thread gl_cpu_conv_run needs (64-byte aligned blocks). */
size_t gl_cpu_conv_scratch_floats(void);

/* Runs the step: in = [X, W, B?, operands...] as for the reference op (W is
 * ignored: the packed copy is used), out[0] = Y. scratch holds
 * gl_pool_threads(pool) blocks of scratch_stride floats. Allocates nothing. */
void gl_cpu_conv_run(const gl_cpu_conv *cv, const gl_tensor *in, int n_in, gl_tensor *out,
                     gl_pool *pool, float *scratch, size_t scratch_stride);

#endif
