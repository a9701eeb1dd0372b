/* Packed single-precision GEMM for the CPU fast path: C = A·B (+ C), where A
 * (M×K, the weights) is packed once into MR-row panels and B (K×N, the
 * activations or im2col columns) is packed per task into NR-column panels by
 * a caller-supplied packer, so convolutions never materialise im2col. A
 * register-blocked micro-kernel computes one MR×NR tile; variants for
 * AVX-512, AVX2+FMA and portable C are chosen at run time. An epilogue
 * callback sees each finished tile while it is still in L1 (the fused conv
 * epilogue). */
#ifndef GL_CPU_SGEMM_H
#define GL_CPU_SGEMM_H

#include "common/common.h"

/* K is processed in blocks of at most this many (B panel kc×NR stays in L1). */
#define GL_SGEMM_KC 256
/* Columns per task and per B pack (a multiple of every NR). */
#define GL_SGEMM_NC 192
#define GL_SGEMM_MAX_MR 16
#define GL_SGEMM_MAX_NR 32

/* c[MR×NR] (row stride ldc) = a·b, or += when accumulate. a: kc×MR packed
 * (MR values per k), b: kc×NR packed. */
typedef void (*gl_ukernel_fn)(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                              int accumulate);

/* The same with B read in place: row k is the NR floats at b + off[k]
 * (a conv's shifted input rows, so nothing is packed). */
typedef void (*gl_ukernel_off_fn)(int64_t kc, const float *a, const float *b, const int32_t *off,
                                  float *c, int64_t ldc, int accumulate);

typedef struct gl_sgemm_kernel {
    const char *name; /* "avx512", "avx512_1x32", "avx2", "generic" */
    int mr, nr;
    gl_ukernel_fn fn;
    gl_ukernel_off_fn fn_off; /* may be NULL */
} gl_sgemm_kernel;

/* The fastest kernel this CPU supports. */
const gl_sgemm_kernel *gl_sgemm_best(void);
/* A kernel by name, or NULL when unknown or not supported by this CPU
 * (tests use it to cover every variant). */
const gl_sgemm_kernel *gl_sgemm_kernel_named(const char *name);

/* The kernel to use for an M-row problem with preferred kernel k: a
 * one-row variant of the same instruction set for M = 1 where there is one
 * ("avx512_1x32"), else k itself. */
const gl_sgemm_kernel *gl_sgemm_for_m(const gl_sgemm_kernel *k, int64_t M);

/* Floats of a packed A for M×K (panels padded to MR rows). */
size_t gl_sgemm_packed_a_floats(const gl_sgemm_kernel *k, int64_t M, int64_t K);
/* The K block size for K: ≤ GL_SGEMM_KC, blocks nearly equal. */
int64_t gl_sgemm_kc(int64_t K);
/* Packs A(m, k) = src[m*rs + k*cs] (so either layout of A works). Layout:
 * for each K block, for each MR panel, kc × MR floats, zero-padded rows. */
void gl_sgemm_pack_a(const gl_sgemm_kernel *k, int64_t M, int64_t K, const float *src,
                     int64_t rs, int64_t cs, float *dst);

/* Fills dst with B rows [k0, k0+kc) and columns [n0, n0+nc) as NR-column
 * panels (panel p holds columns n0+p*NR.., kc × NR floats, zero-padded past
 * nc). */
typedef void (*gl_pack_b_fn)(const void *ctx, int64_t k0, int64_t kc, int64_t n0, int64_t nc,
                             int nr, float *dst);

/* Packs B(k, n) = src[k*rs + n] (row-major with row stride rs). */
typedef struct gl_pack_b_matrix {
    const float *src;
    int64_t rs, cs; /* B(k, n) = src[k*rs + n*cs] */
} gl_pack_b_matrix;
void gl_pack_b_from_matrix(const void *ctx, int64_t k0, int64_t kc, int64_t n0, int64_t nc,
                           int nr, float *dst);

/* Called on each finished tile: rows [m0, m0+mr), columns [n0, n0+nr) of
 * C, stored at c with row stride ldc. */
typedef void (*gl_tile_fn)(const void *ctx, float *c, int64_t ldc, int64_t m0, int64_t mr,
                           int64_t n0, int64_t nr);

typedef struct gl_sgemm_job {
    const gl_sgemm_kernel *kern;
    int64_t M, N, K;
    const float *packed_a;     /* gl_sgemm_pack_a of the whole M×K */
    gl_pack_b_fn pack_b;
    const void *pack_b_ctx;
    float *c;                  /* C(m, n) = c[m*ldc + n] */
    int64_t ldc;
    gl_tile_fn tile;           /* optional epilogue */
    const void *tile_ctx;
} gl_sgemm_job;

/* Scratch floats gl_sgemm_run needs for nc columns. */
size_t gl_sgemm_scratch_floats(int64_t nc);
/* Computes rows [m0, m1) (m0 a multiple of MR) and columns [n0, n1)
 * (n1 - n0 ≤ GL_SGEMM_NC) of C, single-threaded, using scratch of
 * gl_sgemm_scratch_floats(n1 - n0) floats (64-byte aligned). */
void gl_sgemm_run(const gl_sgemm_job *j, int64_t m0, int64_t m1, int64_t n0, int64_t n1,
                  float *scratch);

#endif
