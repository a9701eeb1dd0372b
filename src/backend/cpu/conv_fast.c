/* Conv as packed SGEMM with implicit im2col and the epilogue in the store.
 * Work is split into tasks (sample, group, row chunk, column chunk) handed
 * out statically by the thread pool; each task packs the B panel it needs
 * into its thread's scratch, so tasks share nothing but the packed weights. */
#include "backend/cpu/conv_fast.h"

#include <math.h>
#include <string.h>

#include "backend/cpu/epilogue.h"
#include "ops/op.h"

bool gl_cpu_conv_supported(const gl_conv_geom *g) {
    return g->spatial == 2 && g->group >= 1 && g->c_in % g->group == 0 &&
           g->c_out % g->group == 0 && g->n >= 1 && g->out[0] >= 1 && g->out[1] >= 1;
}

static int64_t conv_kg(const gl_conv_geom *g) { return g->c_in / g->group * g->k[0] * g->k[1]; }


/* Floats of the padded input block (plus offsets) a row-conv task may use:
 * it should stay in L2 next to the packed weights. */
#define ROWCONV_FLOATS (96 * 1024)

size_t gl_cpu_conv_scratch_floats(void) {
    return GL_MAX(gl_sgemm_scratch_floats(GL_SGEMM_NC), (size_t)ROWCONV_FLOATS);
}

/* Row-conv block geometry for R output rows. */
static int64_t rc_wp(const gl_conv_geom *g) { return g->out[1] + (g->k[1] - 1) * g->dilation[1]; }
static int64_t rc_rp(const gl_conv_geom *g, int64_t R) { return R + (g->k[0] - 1) * g->dilation[0]; }
static int64_t rc_block_floats(const gl_conv_geom *g, int64_t R, int nr) {
    return g->c_in * rc_rp(g, R) * rc_wp(g) + rc_wp(g) + nr + 16;
}

/* Output rows per row-conv task (≈ GL_SGEMM_NC columns), or 0 when the
 * row conv does not apply or its block does not fit the scratch. */
static int64_t rowconv_rows(const gl_sgemm_kernel *k, const gl_conv_geom *g) {
    /* with a short K (a first layer) the per-task copy and write-back cost more */
    if (!k->fn_off || g->group != 1 || g->stride[0] != 1 || g->stride[1] != 1 || conv_kg(g) < 32)
        return 0;
    const int64_t wp = rc_wp(g), kg = conv_kg(g), nr = k->nr;
    /* Among the block heights that fit, take the one wasting least: columns
     * computed past the block's end (rounding R·Wq up to NR) and the halo
     * rows copied per block, both per output row. */
    int64_t best = 0;
    double best_cost = 0;
    for (int64_t R = 1; R <= g->out[0]; R++) {
        /* block, offsets (kg ints), one MR×NR tile per row panel */
        const int64_t tiles = ((g->c_out + k->mr - 1) / k->mr) * k->mr * k->nr + 16;
        if (rc_block_floats(g, R, k->nr) + kg + tiles > ROWCONV_FLOATS) break;
        const int64_t cols = (R * wp + nr - 1) / nr * nr;
        const double cost = (double)cols / (double)R + 0.25 * (double)wp * (double)(rc_rp(g, R) - R) / (double)R;
        if (!best || cost < best_cost) {
            best = R;
            best_cost = cost;
        }
    }
    return best;
}

/* With one or two output channels per group a GEMM spends more time
 * packing im2col than multiplying (2·M flops per packed value): such convs
 * are computed directly as shifted row AXPYs, unless the row conv (which
 * packs nothing) applies with a one-row kernel. */
static bool use_direct(const gl_sgemm_kernel *k, const gl_conv_geom *g) {
    return g->c_out / g->group <= 2 && g->stride[1] == 1 && rowconv_rows(k, g) == 0;
}

size_t gl_cpu_conv_packed_floats(const gl_sgemm_kernel *k, const gl_conv_geom *g) {
    if (use_direct(k, g)) return (size_t)(g->c_out * conv_kg(g));
    return gl_sgemm_packed_a_floats(k, g->c_out / g->group, conv_kg(g)) * (size_t)g->group;
}

void gl_cpu_conv_pack_weights(const gl_sgemm_kernel *k, const gl_conv_geom *g, const float *w,
                              float *dst) {
    const int64_t mg = g->c_out / g->group, kg = conv_kg(g);
    if (use_direct(k, g)) { /* the direct path reads W as it is */
        memcpy(dst, w, (size_t)(g->c_out * kg) * sizeof(float));
        return;
    }
    const size_t stride = gl_sgemm_packed_a_floats(k, mg, kg);
    /* W is [M, C/g, kh, kw]: group i's rows are contiguous, K = C/g·kh·kw. */
    for (int64_t i = 0; i < g->group; i++)
        gl_sgemm_pack_a(k, mg, kg, w + i * mg * kg, kg, 1, dst + (size_t)i * stride);
}

void gl_cpu_conv_init(gl_cpu_conv *cv, const gl_sgemm_kernel *k, const gl_conv_geom *g,
                      const float *packed_w, const gl_fused_conv_params *fused) {
    memset(cv, 0, sizeof *cv);
    cv->g = *g;
    cv->kern = k;
    cv->packed_w = packed_w;
    cv->mg = g->c_out / g->group;
    cv->kg = conv_kg(g);
    cv->group_stride = gl_sgemm_packed_a_floats(k, cv->mg, cv->kg);
    cv->plane = g->out[0] * g->out[1];
    cv->direct_b = g->k[0] == 1 && g->k[1] == 1 && g->stride[0] == 1 && g->stride[1] == 1 &&
                   g->pad_begin[0] == 0 && g->pad_begin[1] == 0 && g->out[0] == g->in[0] &&
                   g->out[1] == g->in[1];
    cv->fused = fused;
    /* the AVX-512 epilogue goes with the AVX-512 micro-kernels (so the
     * tests of every kernel cover both epilogues) */
    cv->epi_avx512 = strncmp(k->name, "avx512", 6) == 0 && gl_cpu_epi_avx512_supported() &&
                     gl_cpu_epi_in_registers(fused);
    cv->direct = use_direct(k, g);
    cv->rows = cv->direct || cv->direct_b ? 0 : rowconv_rows(k, g);
}


/* ------------------------------------------------------------ B packing */

typedef struct conv_b {
    const float *x;          /* this sample's first channel of this group */
    const gl_conv_geom *g;
} conv_b;

/* Row k of im2col is input channel ci shifted by (ky·dh - pt, kx·dw - pl) and
 * sampled with the stride; a run of columns within one output row maps to a
 * run of input pixels, copied (stride 1) or gathered, with zeros where the
 * window hangs over the padding. */
static void conv_pack_b(const void *vctx, int64_t k0, int64_t kc, int64_t n0, int64_t nc, int nr,
                        float *dst) {
    const conv_b *cb = vctx;
    const gl_conv_geom *g = cb->g;
    const int64_t H = g->in[0], W = g->in[1], Wo = g->out[1];
    const int64_t kh = g->k[0], kw = g->k[1], sh = g->stride[0], sw = g->stride[1];
    int64_t ci = k0 / (kh * kw), ky = (k0 / kw) % kh, kx = k0 % kw;
    const int64_t npanels = (nc + nr - 1) / nr;
    /* Divisions cost tens of cycles and segments are short: every one is
     * hoisted out of the per-segment work. Panel starts are fixed for the
     * call; a k row's valid output columns are [lo0, hi0) whatever the row. */
    int64_t poh[GL_SGEMM_NC / 4 + 2], pow_[GL_SGEMM_NC / 4 + 2];
    for (int64_t p = 0; p < npanels; p++) {
        poh[p] = (n0 + p * nr) / Wo;
        pow_[p] = (n0 + p * nr) % Wo;
    }
    for (int64_t k = 0; k < kc; k++) {
        const float *plane = cb->x + ci * H * W;
        const int64_t dy = ky * g->dilation[0] - g->pad_begin[0];
        const int64_t dx = kx * g->dilation[1] - g->pad_begin[1];
        /* output column ow reads input column ow·sw + dx: inside for ow in [lo0, hi0) */
        const int64_t lo0 = dx >= 0 ? 0 : (-dx + sw - 1) / sw;
        const int64_t hi0 = GL_MAX(lo0, dx >= W ? 0 : (W - dx + sw - 1) / sw);
        for (int64_t p = 0; p < npanels; p++) {
            float *d = dst + p * kc * nr + k * nr;
            const int64_t cnt = GL_MIN((int64_t)nr, nc - p * nr);
            int64_t oh = poh[p], ow = pow_[p], j = 0;
            while (j < cnt) {
                const int64_t seg = GL_MIN(cnt - j, Wo - ow);
                const int64_t iy = oh * sh + dy;
                float *o = d + j;
                if (iy < 0 || iy >= H) {
                    for (int64_t t = 0; t < seg; t++) o[t] = 0.0f;
                } else {
                    /* columns t in [lo, hi) of this segment read inside the row */
                    const int64_t lo = GL_MIN(seg, GL_MAX((int64_t)0, lo0 - ow));
                    const int64_t hi = GL_MAX(lo, GL_MIN(seg, hi0 - ow));
                    for (int64_t t = 0; t < lo; t++) o[t] = 0.0f;
                    for (int64_t t = hi; t < seg; t++) o[t] = 0.0f;
                    const float *row = plane + iy * W + ow * sw + dx;
                    if (sw == 1) {
                        /* a plain loop: segments are short, a memcpy call costs more */
                        for (int64_t t = lo; t < hi; t++) o[t] = row[t];
                    } else if (sw == 2) {
                        for (int64_t t = lo; t < hi; t++) o[t] = row[2 * t];
                    } else {
                        for (int64_t t = lo; t < hi; t++) o[t] = row[t * sw];
                    }
                }
                j += seg;
                ow = 0;
                oh++;
            }
            for (int64_t t = cnt; t < nr; t++) d[t] = 0.0f;
        }
        if (++kx == kw) {
            kx = 0;
            if (++ky == kh) {
                ky = 0;
                ci++;
            }
        }
    }
}

/* ------------------------------------------------------------ epilogue */

typedef struct conv_tile {
    const gl_cpu_conv *cv;
    const float *bias;       /* all c_out channels, or NULL */
    const float *const *operands;
    int64_t n, cbase;        /* sample; first channel of the group */
} conv_tile;

static void conv_tile_fn(const void *vctx, float *c, int64_t ldc, int64_t m0, int64_t mr,
                         int64_t n0, int64_t nr) {
    const conv_tile *t = vctx;
    const gl_cpu_conv *cv = t->cv;
    if (cv->epi_avx512) {
        gl_cpu_epi_tile_avx512(cv->fused, t->bias, t->operands, t->n, t->cbase + m0, cv->g.c_out,
                               cv->plane, c, ldc, c, ldc, mr, n0, nr);
        return;
    }
    for (int64_t i = 0; i < mr; i++) {
        const int64_t ch = t->cbase + m0 + i;
        float *row = c + i * ldc;
        if (t->bias) {
            const float b = t->bias[ch];
            for (int64_t j = 0; j < nr; j++) row[j] += b;
        }
        if (cv->fused)
            for (int s = 0; s < cv->fused->n_epi; s++)
                gl_cpu_epi_row(&cv->fused->epi[s], row, nr, t->operands, t->n, ch, cv->g.c_out, n0,
                        cv->plane);
    }
}

/* ------------------------------------------------------------ driver */

typedef struct conv_job {
    const gl_cpu_conv *cv;
    const float *x, *bias;
    float *y;
    const float *operands[3 + GL_MAX_EPILOGUE];
    int64_t nchunks, ncols, mchunks, mrows;
    int64_t rows;                  /* row conv: output rows per task (≤ cv->rows) */
    float *scratch;
    size_t stride;
} conv_job;

static void conv_task(void *varg, int64_t begin, int64_t end, int tid) {
    const conv_job *jb = varg;
    const gl_cpu_conv *cv = jb->cv;
    const gl_conv_geom *g = &cv->g;
    const int64_t cin_g = g->c_in / g->group, in_plane = g->in[0] * g->in[1];
    float *scratch = jb->scratch + (size_t)tid * jb->stride;
    for (int64_t t = begin; t < end; t++) {
        int64_t r = t;
        const int64_t nc = r % jb->nchunks; r /= jb->nchunks;
        const int64_t mc = r % jb->mchunks; r /= jb->mchunks;
        const int64_t grp = r % g->group, n = r / g->group;
        const float *xg = jb->x + (n * g->c_in + grp * cin_g) * in_plane;
        conv_b cb = {xg, g};
        gl_pack_b_matrix bm = {xg, cv->plane, 1};
        conv_tile tc = {cv, jb->bias, jb->operands, n, grp * cv->mg};
        gl_sgemm_job sj = {
            .kern = cv->kern, .M = cv->mg, .N = cv->plane, .K = cv->kg,
            .packed_a = cv->packed_w + (size_t)grp * cv->group_stride,
            .pack_b = cv->direct_b ? gl_pack_b_from_matrix : conv_pack_b,
            .pack_b_ctx = cv->direct_b ? (const void *)&bm : (const void *)&cb,
            .c = jb->y + (n * g->c_out + grp * cv->mg) * cv->plane, .ldc = cv->plane,
            .tile = (jb->bias || (cv->fused && cv->fused->n_epi > 0)) ? conv_tile_fn : NULL,
            .tile_ctx = &tc};
        const int64_t m0 = mc * jb->mrows, n0 = nc * jb->ncols;
        gl_sgemm_run(&sj, m0, GL_MIN(cv->mg, m0 + jb->mrows), n0,
                     GL_MIN(cv->plane, n0 + jb->ncols), scratch);
    }
}

/* Direct path: task t is one output row (n, m, oh); every (ci, ky, kx)
 * adds a shifted input row times one weight, then bias and epilogue. */
static void direct_task(void *varg, int64_t begin, int64_t end, int tid) {
    const conv_job *jb = varg;
    const gl_cpu_conv *cv = jb->cv;
    const gl_conv_geom *g = &cv->g;
    const int64_t H = g->in[0], W = g->in[1], Ho = g->out[0], Wo = g->out[1];
    const int64_t kh = g->k[0], kw = g->k[1], cin_g = g->c_in / g->group;
    const bool epi = jb->bias || (cv->fused && cv->fused->n_epi > 0);
    for (int64_t t = begin; t < end; t++) {
        const int64_t oh = t % Ho, m = (t / Ho) % g->c_out, n = t / (Ho * g->c_out);
        const int64_t grp = m / cv->mg;
        float *y = jb->y + ((n * g->c_out + m) * Ho + oh) * Wo;
        for (int64_t j = 0; j < Wo; j++) y[j] = 0.0f;
        for (int64_t c = 0; c < cin_g; c++) {
            const float *xc = jb->x + (n * g->c_in + grp * cin_g + c) * H * W;
            const float *wc = cv->packed_w + (m * cin_g + c) * kh * kw;
            for (int64_t ky = 0; ky < kh; ky++) {
                const int64_t iy = oh * g->stride[0] - g->pad_begin[0] + ky * g->dilation[0];
                if (iy < 0 || iy >= H) continue;
                const float *xr = xc + iy * W;
                for (int64_t kx = 0; kx < kw; kx++) {
                    const float wv = wc[ky * kw + kx];
                    const int64_t dx = kx * g->dilation[1] - g->pad_begin[1];
                    const int64_t lo = GL_MAX((int64_t)0, -dx), hi = GL_MIN(Wo, W - dx);
                    const float *xs = xr + dx;
                    for (int64_t j = lo; j < hi; j++) y[j] += wv * xs[j];
                }
            }
        }
        if (epi) {
            conv_tile tc = {cv, jb->bias, jb->operands, n, 0};
            conv_tile_fn(&tc, y, Wo, m, 1, oh * Wo, Wo);
        }
    }
}

/* Row conv: task t is (sample, m chunk, block of output rows). */
static void rowconv_task(void *varg, int64_t begin, int64_t end, int tid) {
    const conv_job *jb = varg;
    const gl_cpu_conv *cv = jb->cv;
    const gl_conv_geom *g = &cv->g;
    const gl_sgemm_kernel *kern = cv->kern;
    const int MR = kern->mr, NR = kern->nr;
    const int64_t H = g->in[0], W = g->in[1], Ho = g->out[0], Wo = g->out[1], C = g->c_in;
    const int64_t R = jb->rows, Rp = rc_rp(g, R), Wp = rc_wp(g), K = cv->kg;
    const int64_t kh = g->k[0], kw = g->k[1], pt = g->pad_begin[0], pl = g->pad_begin[1];
    const int64_t rchunks = (Ho + R - 1) / R, kcb = gl_sgemm_kc(K);
    const int64_t mpad = (cv->mg + MR - 1) / MR * MR, plane = cv->plane;
    float *xp = jb->scratch + (size_t)tid * jb->stride;
    const int64_t block = C * Rp * Wp;
    int32_t *off = (int32_t *)(xp + rc_block_floats(g, R, NR));
    const bool epi = jb->bias || (cv->fused && cv->fused->n_epi > 0);
    /* tiles of every row panel of the task: each K block of B is then read
     * by all of them while it is in L1 */
    float *tiles = (float *)(off + K);
    tiles += (16 - ((uintptr_t)tiles / sizeof(float)) % 16) % 16;
    for (int64_t k = 0, c = 0, ky = 0, kx = 0; k < K; k++) {
        off[k] = (int32_t)(c * Rp * Wp + ky * g->dilation[0] * Wp + kx * g->dilation[1]);
        if (++kx == kw) { kx = 0; if (++ky == kh) { ky = 0; c++; } }
    }
    for (int64_t t = begin; t < end; t++) {
        const int64_t rc = t % rchunks, mc = (t / rchunks) % jb->mchunks;
        const int64_t n = t / (rchunks * jb->mchunks);
        const int64_t oh0 = rc * R, rows = GL_MIN(R, Ho - oh0), ncols = rows * Wp;
        /* the zero-padded input rows oh0 - pt .. of every channel */
        for (int64_t c = 0; c < C; c++) {
            const float *xc = jb->x + (n * C + c) * H * W;
            for (int64_t r = 0; r < Rp; r++) {
                float *d = xp + (c * Rp + r) * Wp;
                const int64_t iy = oh0 - pt + r;
                if (iy < 0 || iy >= H || r >= rows + (kh - 1) * g->dilation[0]) {
                    for (int64_t q = 0; q < Wp; q++) d[q] = 0.0f;
                    continue;
                }
                const float *src = xc + iy * W;
                const int64_t hi = GL_MIN(Wp, pl + W);
                for (int64_t q = 0; q < pl && q < Wp; q++) d[q] = 0.0f;
                for (int64_t q = pl; q < hi; q++) d[q] = src[q - pl];
                for (int64_t q = GL_MAX(hi, pl); q < Wp; q++) d[q] = 0.0f;
            }
        }
        for (int64_t q = block; q < block + Wp + NR + 16; q++) xp[q] = 0.0f;
        const int64_t m0 = mc * jb->mrows, m1 = GL_MIN(cv->mg, m0 + jb->mrows);
        conv_tile tc = {cv, jb->bias, jb->operands, n, 0};
        for (int64_t p0 = 0; p0 < ncols; p0 += NR) {
            for (int64_t k0 = 0; k0 < K; k0 += kcb) {
                const int64_t kc = GL_MIN(kcb, K - k0);
                for (int64_t mm = m0; mm < m1; mm += MR)
                    kern->fn_off(kc, cv->packed_w + k0 * mpad + (mm / MR) * kc * MR, xp + p0,
                                 off + k0, tiles + (mm - m0) * NR, NR, k0 > 0);
            }
            for (int64_t mm = m0; mm < m1; mm += MR) {
                const int64_t mr = GL_MIN((int64_t)MR, m1 - mm);
                const float *tile = tiles + (mm - m0) * NR;
                /* keep the columns that are real outputs, row segment by segment */
                for (int64_t j = 0; j < NR && p0 + j < ncols;) {
                    const int64_t pos = p0 + j, lr = pos / Wp, ow = pos % Wp;
                    const int64_t seg = GL_MIN((int64_t)NR - j, Wp - ow);
                    const int64_t len = GL_MIN(seg, Wo - ow);
                    if (len > 0) {
                        const int64_t s0 = (oh0 + lr) * Wo + ow;
                        float *y = jb->y + (n * g->c_out + mm) * plane + s0;
                        if (cv->epi_avx512) { /* copy out and epilogue in one pass */
                            gl_cpu_epi_tile_avx512(cv->fused, jb->bias, jb->operands, n, mm,
                                                   g->c_out, plane, tile + j, NR, y, plane, mr,
                                                   s0, len);
                        } else {
                            for (int64_t i = 0; i < mr; i++)
                                for (int64_t q = 0; q < len; q++)
                                    y[i * plane + q] = tile[i * NR + j + q];
                            if (epi) conv_tile_fn(&tc, y, plane, mm, mr, s0, len);
                        }
                    }
                    j += seg;
                }
            }
        }
    }
}

void gl_cpu_conv_run(const gl_cpu_conv *cv, const gl_tensor *in, int n_in, gl_tensor *out,
                     gl_pool *pool, float *scratch, size_t scratch_stride) {
    const gl_conv_geom *g = &cv->g;
    conv_job jb = {.cv = cv, .x = in[0].data, .y = out[0].data,
                   .bias = gl_in_present(in, n_in, 2) ? in[2].data : NULL,
                   .scratch = scratch, .stride = scratch_stride};
    for (int k = 3; k < n_in && k < (int)GL_ARRAY_LEN(jb.operands); k++)
        jb.operands[k] = in[k].dtype != GLINT_DTYPE_UNDEFINED ? in[k].data : NULL;
    pool = gl_pool_for_work(pool, 2.0 * (double)g->n * (double)g->c_out * (double)cv->plane *
                                      (double)cv->kg);
    if (cv->direct) {
        gl_pool_for(pool, g->n * g->c_out * g->out[0], direct_task, &jb);
        return;
    }
    const int threads = gl_pool_threads(pool), MR = cv->kern->mr, NR = cv->kern->nr;
    /* Columns: at most NC per task, split evenly in NR multiples, and finer
     * (down to one panel) while there are fewer than two tasks per thread:
     * a column chunk packs its own B, so this adds no repeated work. */
    const int64_t spp = g->n * g->group, cpanels = (cv->plane + NR - 1) / NR;
    int64_t nchunks = (cv->plane + GL_SGEMM_NC - 1) / GL_SGEMM_NC;
    if (threads > 1 && spp * nchunks < 2 * (int64_t)threads)
        nchunks = GL_MIN(cpanels, (2 * (int64_t)threads + spp - 1) / spp);
    jb.ncols = ((cv->plane + nchunks - 1) / nchunks + NR - 1) / NR * NR;
    jb.nchunks = (cv->plane + jb.ncols - 1) / jb.ncols;
    /* Rows of M: split only when that is still too few tasks for every
     * thread (each M chunk packs the same B again). */
    const int64_t base = spp * jb.nchunks, mpanels = (cv->mg + MR - 1) / MR;
    int64_t mchunks = 1;
    if (threads > 1 && base < (int64_t)threads)
        mchunks = GL_MIN(mpanels, ((int64_t)threads + base - 1) / base);
    jb.mrows = (mpanels + mchunks - 1) / mchunks * MR;
    jb.mchunks = (cv->mg + jb.mrows - 1) / jb.mrows;
    if (cv->rows > 0) {
        /* Split rows finer (never M: each M chunk would copy the block
         * again) until every thread has about two tasks. */
        jb.rows = cv->rows;
        if (threads > 1) {
            const int64_t per_sample = (2 * (int64_t)threads + g->n - 1) / g->n;
            if (per_sample > 1)
                jb.rows = GL_MAX((int64_t)1, GL_MIN(jb.rows, (g->out[0] + per_sample - 1) / per_sample));
        }
        const int64_t rchunks = (g->out[0] + jb.rows - 1) / jb.rows;
        const int64_t tasks = g->n * rchunks, mp = (cv->mg + MR - 1) / MR;
        int64_t mch = 1;
        if (threads > 1 && tasks < 2 * (int64_t)threads)
            mch = GL_MIN(mp, (2 * (int64_t)threads + tasks - 1) / tasks);
        jb.mrows = (mp + mch - 1) / mch * MR;
        jb.mchunks = (cv->mg + jb.mrows - 1) / jb.mrows;
        gl_pool_for(pool, tasks * jb.mchunks, rowconv_task, &jb);
        return;
    }
    gl_pool_for(pool, g->n * g->group * jb.mchunks * jb.nchunks, conv_task, &jb);
}
