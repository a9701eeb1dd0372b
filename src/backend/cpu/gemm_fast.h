/* The CPU fast path for Gemm and 2-D-weight MatMul through the packed
 * SGEMM: op(A) is packed per run into the arena's extra bytes (A is the
 * activation: a style vector, a batch of rows), B is packed per task, and
 * alpha, beta·C are applied to each tile as it is stored. */
#ifndef GL_CPU_GEMM_FAST_H
#define GL_CPU_GEMM_FAST_H

#include "backend/cpu/sgemm.h"
#include "backend/cpu/threadpool.h"

typedef struct gl_cpu_gemm {
    const gl_sgemm_kernel *kern;
    int64_t M, N, K;
    bool trans_a, trans_b;
    float alpha, beta;
    /* how C broadcasts: C(m, n) = c[m * c_rs + n * c_cs]; has_c false: none */
    bool has_c;
    int64_t c_rs, c_cs;
} gl_cpu_gemm;

/* Fills g for Gemm with A [M,K] (or [K,M] when trans_a), B [K,N] (or
 * [N,K]), C of shape c (NULL: none; rank ≤ 2, one-way broadcast to [M,N]).
 * False when the shapes are not a Gemm this path handles. */
bool gl_cpu_gemm_init(gl_cpu_gemm *g, const gl_sgemm_kernel *k, const gl_shape *a,
                      const gl_shape *b, const gl_shape *c, bool trans_a, bool trans_b,
                      float alpha, float beta);
/* MatMul with A [..., M, K] (any leading dims, flattened into rows) and a
 * 2-D B [K, N]. False when not of that form. */
bool gl_cpu_matmul_init(gl_cpu_gemm *g, const gl_sgemm_kernel *k, const gl_shape *a,
                        const gl_shape *b);

/* Floats of A-packing space the run needs. */
size_t gl_cpu_gemm_pack_floats(const gl_cpu_gemm *g);
/* y = alpha·op(a)·op(b) + beta·C. packed_a: gl_cpu_gemm_pack_floats
 * floats; scratch: per-thread blocks of scratch_stride ≥
 * gl_sgemm_scratch_floats(GL_SGEMM_NC) floats. Allocates nothing. */
void gl_cpu_gemm_run(const gl_cpu_gemm *g, const float *a, const float *b, const float *c,
                     float *y, float *packed_a, gl_pool *pool, float *scratch,
                     size_t scratch_stride);

#endif
