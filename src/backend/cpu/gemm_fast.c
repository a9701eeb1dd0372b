/* Gemm / MatMul over the packed SGEMM. Work splits over column chunks and,
 * when there are too few, over MR-aligned row chunks. */
#include "backend/cpu/gemm_fast.h"

#include <string.h>

bool gl_cpu_gemm_init(gl_cpu_gemm *g, const gl_sgemm_kernel *k, const gl_shape *a,
                      const gl_shape *b, const gl_shape *c, bool trans_a, bool trans_b,
                      float alpha, float beta) {
    memset(g, 0, sizeof *g);
    if (a->rank != 2 || b->rank != 2) return false;
    g->kern = k;
    g->trans_a = trans_a;
    g->trans_b = trans_b;
    g->alpha = alpha;
    g->beta = beta;
    g->M = trans_a ? a->d[1] : a->d[0];
    g->K = trans_a ? a->d[0] : a->d[1];
    g->N = trans_b ? b->d[0] : b->d[1];
    if ((trans_b ? b->d[1] : b->d[0]) != g->K || g->M < 1 || g->N < 1 || g->K < 0) return false;
    if (c && c->rank >= 0 && beta != 0.0f) {
        /* one-way broadcast of C to [M, N]: a missing or size-1 dim repeats */
        int64_t cm = c->rank == 2 ? c->d[0] : 1, cn = c->rank >= 1 ? c->d[c->rank - 1] : 1;
        if (c->rank > 2 || (cm != 1 && cm != g->M) || (cn != 1 && cn != g->N)) return false;
        g->has_c = true;
        g->c_cs = cn == 1 ? 0 : 1;
        g->c_rs = cm == 1 ? 0 : cn;
    }
    return true;
}

bool gl_cpu_matmul_init(gl_cpu_gemm *g, const gl_sgemm_kernel *k, const gl_shape *a,
                        const gl_shape *b) {
    memset(g, 0, sizeof *g);
    if (a->rank < 2 || b->rank != 2 || a->d[a->rank - 1] != b->d[0]) return false;
    int64_t rows = 1;
    for (int i = 0; i < a->rank - 1; i++) rows *= a->d[i];
    g->kern = k;
    g->M = rows;
    g->K = b->d[0];
    g->N = b->d[1];
    g->alpha = 1.0f;
    return g->M >= 1 && g->N >= 1;
}

size_t gl_cpu_gemm_pack_floats(const gl_cpu_gemm *g) {
    return gl_sgemm_packed_a_floats(g->kern, g->M, g->K);
}

typedef struct gemm_job {
    const gl_cpu_gemm *g;
    gl_sgemm_job sj;
    gl_pack_b_matrix bm;
    const float *c;
    int64_t nchunks, ncols, mrows;
    float *scratch;
    size_t stride;
} gemm_job;

static void gemm_tile(const void *vctx, float *y, int64_t ldc, int64_t m0, int64_t mr, int64_t n0,
                      int64_t nr) {
    const gemm_job *jb = vctx;
    const gl_cpu_gemm *g = jb->g;
    for (int64_t i = 0; i < mr; i++) {
        float *row = y + i * ldc;
        if (g->alpha != 1.0f)
            for (int64_t j = 0; j < nr; j++) row[j] *= g->alpha;
        if (g->has_c) {
            const float *c = jb->c + (m0 + i) * g->c_rs + n0 * g->c_cs;
            for (int64_t j = 0; j < nr; j++) row[j] += g->beta * c[j * g->c_cs];
        }
    }
}

static void gemm_task(void *varg, int64_t begin, int64_t end, int tid) {
    const gemm_job *jb = varg;
    for (int64_t t = begin; t < end; t++) {
        const int64_t nc = t % jb->nchunks, mc = t / jb->nchunks;
        const int64_t m0 = mc * jb->mrows, n0 = nc * jb->ncols;
        gl_sgemm_run(&jb->sj, m0, GL_MIN(jb->g->M, m0 + jb->mrows), n0,
                     GL_MIN(jb->g->N, n0 + jb->ncols), jb->scratch + (size_t)tid * jb->stride);
    }
}

void gl_cpu_gemm_run(const gl_cpu_gemm *g, const float *a, const float *b, const float *c,
                     float *y, float *packed_a, gl_pool *pool, float *scratch,
                     size_t scratch_stride) {
    gl_sgemm_pack_a(g->kern, g->M, g->K, a, g->trans_a ? 1 : g->K, g->trans_a ? g->M : 1,
                    packed_a);
    gemm_job jb = {.g = g, .c = c, .scratch = scratch, .stride = scratch_stride};
    jb.bm = (gl_pack_b_matrix){b, g->trans_b ? 1 : g->N, g->trans_b ? g->K : 1};
    jb.sj = (gl_sgemm_job){.kern = g->kern, .M = g->M, .N = g->N, .K = g->K,
                           .packed_a = packed_a, .pack_b = gl_pack_b_from_matrix,
                           .pack_b_ctx = &jb.bm, .c = y, .ldc = g->N,
                           .tile = (g->alpha != 1.0f || g->has_c) ? gemm_tile : NULL,
                           .tile_ctx = &jb};
    pool = gl_pool_for_work(pool, 2.0 * (double)g->M * (double)g->N * (double)g->K);
    const int threads = gl_pool_threads(pool), MR = g->kern->mr, NR = g->kern->nr;
    int64_t nchunks = (g->N + GL_SGEMM_NC - 1) / GL_SGEMM_NC;
    jb.ncols = ((g->N + nchunks - 1) / nchunks + NR - 1) / NR * NR;
    jb.nchunks = (g->N + jb.ncols - 1) / jb.ncols;
    const int64_t mpanels = (g->M + MR - 1) / MR;
    int64_t mchunks = 1;
    if (threads > 1 && jb.nchunks < 2 * (int64_t)threads)
        mchunks = GL_MIN(mpanels, (2 * (int64_t)threads + jb.nchunks - 1) / jb.nchunks);
    jb.mrows = (mpanels + mchunks - 1) / mchunks * MR;
    mchunks = (g->M + jb.mrows - 1) / jb.mrows;
    gl_pool_for(pool, jb.nchunks * mchunks, gemm_task, &jb);
}
