/* SGEMM driver, packers, the portable micro-kernel and run-time kernel
 * choice. The x86 micro-kernels live in sgemm_x86.c. */
#include "backend/cpu/sgemm.h"

#include <string.h>

#include "backend/cpu/sgemm_kernels.h"

/* Portable 4×16 kernel: fixed trip counts so the compiler keeps the tile in
 * vector registers with whatever SIMD the baseline target has. */
static void uk_generic_4x16(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                            int accumulate) {
    float acc[4][16];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 16; j++) acc[i][j] = accumulate ? c[i * ldc + j] : 0.0f;
    for (int64_t k = 0; k < kc; k++) {
        const float *ak = a + k * 4, *bk = b + k * 16;
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 16; j++) acc[i][j] += ak[i] * bk[j];
    }
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 16; j++) c[i * ldc + j] = acc[i][j];
}

static void uk_generic_4x16_off(int64_t kc, const float *a, const float *b, const int32_t *off,
                                float *c, int64_t ldc, int accumulate) {
    float acc[4][16];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 16; j++) acc[i][j] = accumulate ? c[i * ldc + j] : 0.0f;
    for (int64_t k = 0; k < kc; k++) {
        const float *ak = a + k * 4, *bk = b + off[k];
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 16; j++) acc[i][j] += ak[i] * bk[j];
    }
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 16; j++) c[i * ldc + j] = acc[i][j];
}

static const gl_sgemm_kernel k_generic = {"generic", 4, 16, uk_generic_4x16, uk_generic_4x16_off};

const gl_sgemm_kernel *gl_sgemm_kernel_named(const char *name) {
    if (!name) return NULL;
    if (strcmp(name, "generic") == 0) return &k_generic;
    return gl_sgemm_x86_kernel(name);
}

const gl_sgemm_kernel *gl_sgemm_best(void) {
    const gl_sgemm_kernel *k = gl_sgemm_x86_kernel("avx512");
    if (!k) k = gl_sgemm_x86_kernel("avx2");
    return k ? k : &k_generic;
}

const gl_sgemm_kernel *gl_sgemm_for_m(const gl_sgemm_kernel *k, int64_t M) {
    if (M == 1 && strcmp(k->name, "avx512") == 0) {
        const gl_sgemm_kernel *one = gl_sgemm_x86_kernel("avx512_1x32");
        if (one) return one;
    }
    return k;
}

int64_t gl_sgemm_kc(int64_t K) {
    if (K <= GL_SGEMM_KC) return K > 0 ? K : 1;
    int64_t blocks = (K + GL_SGEMM_KC - 1) / GL_SGEMM_KC;
    return (K + blocks - 1) / blocks;
}

size_t gl_sgemm_packed_a_floats(const gl_sgemm_kernel *k, int64_t M, int64_t K) {
    int64_t mpad = (M + k->mr - 1) / k->mr * k->mr;
    return (size_t)mpad * (size_t)(K > 0 ? K : 1);
}

void gl_sgemm_pack_a(const gl_sgemm_kernel *k, int64_t M, int64_t K, const float *src,
                     int64_t rs, int64_t cs, float *dst) {
    const int mr = k->mr;
    const int64_t mpad = (M + mr - 1) / mr * mr, kcb = gl_sgemm_kc(K);
    for (int64_t k0 = 0; k0 < K; k0 += kcb) {
        int64_t kc = GL_MIN(kcb, K - k0);
        float *blk = dst + k0 * mpad;
        for (int64_t m0 = 0; m0 < mpad; m0 += mr) {
            float *panel = blk + (m0 / mr) * kc * mr;
            for (int64_t kk = 0; kk < kc; kk++)
                for (int i = 0; i < mr; i++) {
                    int64_t m = m0 + i;
                    panel[kk * mr + i] = m < M ? src[m * rs + (k0 + kk) * cs] : 0.0f;
                }
        }
    }
}

void gl_pack_b_from_matrix(const void *ctx, int64_t k0, int64_t kc, int64_t n0, int64_t nc,
                           int nr, float *dst) {
    const gl_pack_b_matrix *m = ctx;
    for (int64_t p0 = 0; p0 < nc; p0 += nr) {
        int64_t cnt = GL_MIN((int64_t)nr, nc - p0);
        float *panel = dst + (p0 / nr) * kc * nr;
        for (int64_t k = 0; k < kc; k++) {
            const float *row = m->src + (k0 + k) * m->rs;
            float *d = panel + k * nr;
            if (m->cs == 1) {
                memcpy(d, row + n0 + p0, (size_t)cnt * sizeof(float));
            } else {
                for (int64_t j = 0; j < cnt; j++) d[j] = row[(n0 + p0 + j) * m->cs];
            }
            for (int64_t j = cnt; j < nr; j++) d[j] = 0.0f;
        }
    }
}

size_t gl_sgemm_scratch_floats(int64_t nc) {
    int64_t panels = (nc + 15) / 16 * 16; /* room for the widest NR rounding */
    return (size_t)GL_SGEMM_KC * (size_t)(panels + GL_SGEMM_MAX_NR);
}

void gl_sgemm_run(const gl_sgemm_job *j, int64_t m0, int64_t m1, int64_t n0, int64_t n1,
                  float *scratch) {
    const gl_sgemm_kernel *kern = j->kern;
    const int MR = kern->mr, NR = kern->nr;
    const int64_t mpad = (j->M + MR - 1) / MR * MR, kcb = gl_sgemm_kc(j->K);
    const int64_t nc = n1 - n0, npanels = (nc + NR - 1) / NR;
    _Alignas(64) float tile[GL_SGEMM_MAX_MR * GL_SGEMM_MAX_NR];

    if (j->K <= 0) { /* an empty sum: zeros, then the epilogue */
        for (int64_t m = m0; m < m1; m++)
            memset(j->c + m * j->ldc + n0, 0, (size_t)nc * sizeof(float));
        if (j->tile)
            for (int64_t m = m0; m < m1; m += MR)
                j->tile(j->tile_ctx, j->c + m * j->ldc + n0, j->ldc, m, GL_MIN(MR, m1 - m), n0,
                        nc);
        return;
    }
    for (int64_t k0 = 0; k0 < j->K; k0 += kcb) {
        const int64_t kc = GL_MIN(kcb, j->K - k0);
        const int acc = k0 > 0, last = k0 + kc >= j->K;
        j->pack_b(j->pack_b_ctx, k0, kc, n0, nc, NR, scratch);
        const float *ablk = j->packed_a + k0 * mpad;
        for (int64_t p = 0; p < npanels; p++) {
            const int64_t nn = n0 + p * NR, nr = GL_MIN((int64_t)NR, n1 - nn);
            const float *b = scratch + p * kc * NR;
            for (int64_t mm = m0; mm < m1; mm += MR) {
                const int64_t mr = GL_MIN((int64_t)MR, m1 - mm);
                const float *a = ablk + (mm / MR) * kc * MR;
                float *c = j->c + mm * j->ldc + nn;
                if (mr == MR && nr == NR) {
                    kern->fn(kc, a, b, c, j->ldc, acc);
                } else {
                    /* Edge tile: compute a full tile aside, keep the valid part. */
                    if (acc)
                        for (int64_t i = 0; i < mr; i++)
                            memcpy(tile + i * NR, c + i * j->ldc, (size_t)nr * sizeof(float));
                    kern->fn(kc, a, b, tile, NR, acc);
                    for (int64_t i = 0; i < mr; i++)
                        memcpy(c + i * j->ldc, tile + i * NR, (size_t)nr * sizeof(float));
                }
                if (last && j->tile) j->tile(j->tile_ctx, c, j->ldc, mm, mr, nn, nr);
            }
        }
    }
}
