/* The direct convolution's per-work-item computation, as __host__ __device__
 * code: the CUDA kernel (cuda_conv.cu) calls gkc_point in its grid-stride
 * loop, and the host test (tests/gpu/test_conv_host.cu) calls the very same
 * function for every work item on the CPU and compares with the reference
 * kernels, so the indexing is proven without a GPU.
 *
 * A work item is one output pixel (n, oy, ox) times MB consecutive output
 * channels of one group: the MB accumulators share every input load. Items
 * are numbered pixel-fastest, so the threads of a warp read neighbouring
 * input pixels (coalesced) and the same weights (one broadcast load).
 *
 * Cost per multiply-add: everything that depends only on the output position
 * (the group's first channel, the input rows and columns the taps hit, the
 * folded-upsample shift, which taps fall in the padding, the concat split) is
 * worked out once per item. The hot loop over input channels then does
 * int32 offset loads and FMAs: for kh == kw == K in {1, 3, 5} the taps are
 * unrolled with precomputed offsets (a separate loop without the padding
 * test for interior pixels); any other kernel runs over precomputed valid
 * ky/kx ranges. Sums are formed in the order of the previous kernel and of
 * the reference (input channel, then ky, then kx; a padded tap adds +-0,
 * which changes nothing), so FP32 results are those of the old kernel. */
#ifndef GL_CUDA_CONV_DIRECT_CUH
#define GL_CUDA_CONV_DIRECT_CUH

#include "backend/cuda/cuda_device.cuh"

#define GKC_MAX_MB 8
/* Fewest threads a launch should keep while MB grows: about 8 warps per SM
 * of an H200 (132 SMs), 12 of an RTX 3090 (82). Below it MB shrinks, so a
 * small batch-1 layer still spreads over the GPU. A prediction, to be tuned
 * against measurements (bench/NOTES.md). */
#define GKC_MIN_THREADS 32768

/* Per-launch constants, derived once on the host (gkc_setup). */
struct gkc_geom {
    int mb;        /* output channels per work item (divides mpg) */
    int kpath;     /* K of the unrolled path (1, 3, 5), 0 = general */
    int cpg, mpg;  /* input / output channels per group */
    int khw;       /* kh * kw */
    int up_shift;  /* 1 when up == 2: source coordinate = logical >> 1 */
    int hs, ws;    /* source tensor height and width (h / up, w / up) */
    int plane_src; /* hs * ws */
    int plane;     /* oh * ow */
    int n_mb;      /* c_out / mb */
    int items;     /* n * n_mb * plane */
    int c_a, c_b;  /* channels stored in x and in x2 (c_b = 0 without a concat) */
    int wstride;   /* cpg * khw: weight elements between consecutive output channels */
};

/* The unrolled path for this geometry: K when kh == kw == K in {1, 3, 5}. */
static inline int gkc_kpath(const gk_conv &p) {
    if (p.kh == p.kw && (p.kh == 1 || p.kh == 3 || p.kh == 5)) return p.kh;
    return 0;
}

/* Most output channels per item on path kpath: a 5x5 takes at most 2 (its
 * 25 unrolled taps already fill the registers; 8 would need all 255). */
static inline int gkc_max_mb(int kpath) { return kpath == 5 ? 2 : GKC_MAX_MB; }

/* Output channels per item: the largest power of two up to gkc_max_mb that
 * divides the group's channels and still leaves GKC_MIN_THREADS items;
 * else 1. */
static inline int gkc_pick_mb(const gk_conv &p) {
    if (p.group <= 0 || p.c_out % p.group) return 1;
    int mpg = p.c_out / p.group;
    int64_t outputs = (int64_t)p.n * p.c_out * p.oh * p.ow;
    for (int mb = gkc_max_mb(gkc_kpath(p)); mb > 1; mb /= 2)
        if (mpg % mb == 0 && outputs / mb >= GKC_MIN_THREADS) return mb;
    return 1;
}

/* Fills g for descriptor p with mb channels per item and unrolled path
 * kpath (gkc_kpath's value, or 0 to force the general path). False when the
 * geometry is not one this kernel handles: every offset must fit in int32
 * (the lowering caps activations at 2^30 elements; weights are checked
 * here), mb must divide the group's channels and be at most
 * gkc_max_mb(kpath), up must be 1 or 2. */
static inline bool gkc_setup(const gk_conv &p, int mb, int kpath, gkc_geom *g) {
    if (p.group <= 0 || p.c_in % p.group || p.c_out % p.group || (p.up != 1 && p.up != 2) ||
        p.h % p.up || p.w % p.up || mb < 1 || mb > gkc_max_mb(kpath) || (p.c_out / p.group) % mb ||
        (kpath != 0 && (p.kh != kpath || p.kw != kpath)) || p.n < 0 || p.oh < 0 || p.ow < 0)
        return false;
    if (p.split_arg >= 0 && (p.c_split <= 0 || p.c_split >= p.c_in)) return false;
    /* one shift for both parts of a concat */
    if (p.split_arg >= 0 ? p.up2 != p.up : p.up2 != 1) return false;
    const int64_t lim = INT32_MAX;
    int64_t cpg = p.c_in / p.group, khw = (int64_t)p.kh * p.kw;
    int64_t plane_src = (int64_t)(p.h / p.up) * (p.w / p.up), plane = (int64_t)p.oh * p.ow;
    if ((int64_t)p.n * p.c_in * plane_src > lim || (int64_t)p.n * p.c_out * plane > lim ||
        (int64_t)p.c_out * cpg * khw > lim)
        return false;
    g->mb = mb;
    g->kpath = kpath;
    g->cpg = (int)cpg;
    g->mpg = p.c_out / p.group;
    g->khw = (int)khw;
    g->up_shift = p.up == 2;
    g->hs = p.h / p.up;
    g->ws = p.w / p.up;
    g->plane_src = (int)plane_src;
    g->plane = (int)plane;
    g->n_mb = p.c_out / mb;
    g->items = (int)((int64_t)p.n * g->n_mb * plane);
    g->c_a = p.split_arg >= 0 ? p.c_split : p.c_in;
    g->c_b = p.c_in - g->c_a;
    g->wstride = (int)(cpg * khw);
    return true;
}

/* Unrolled K x K taps over nc input channels starting at xc (one channel
 * every plane_src elements) with weights wp (K*K per channel; output channel
 * j at wp + j * wstride). off[t] is tap t's offset in a channel; MASKED:
 * taps whose bit is clear in tmask are padding and add nothing. */
template <typename T, int K, int MB, bool MASKED>
__host__ __device__ __forceinline__ void gkc_taps(const T *xc, int nc, int plane_src,
                                                  const int (&off)[K * K], unsigned tmask,
                                                  const T *wp, int wstride, float (&acc)[MB]) {
    for (int c = 0; c < nc; c++) {
        float v[K * K];
GK_UNROLL
        for (int t = 0; t < K * K; t++) {
            float xv = gk_ld(xc, off[t]); /* off[t] is a valid element even for padding */
            v[t] = (!MASKED || ((tmask >> t) & 1u)) ? xv : 0.0f;
        }
GK_UNROLL
        for (int j = 0; j < MB; j++) {
            const T *wj = wp + j * wstride;
            float a = acc[j];
GK_UNROLL
            for (int t = 0; t < K * K; t++) a += v[t] * gk_ld(wj, t);
            acc[j] = a;
        }
        xc += plane_src;
        wp += K * K;
    }
}

/* Unrolled path: offsets and the padding mask of the K x K taps, once. */
template <typename T, int K, int MB>
__host__ __device__ __forceinline__ void gkc_sum_k(const gk_conv &p, const gkc_geom &g,
                                                   const T *xa, int na, const T *xb, int nb,
                                                   const T *wp, int oy, int ox,
                                                   float (&acc)[MB]) {
    const int iy0 = oy * p.sh - p.ph, ix0 = ox * p.sw - p.pw;
    int roff[K], coff[K];
    unsigned rmask = 0, cmask = 0;
GK_UNROLL
    for (int k = 0; k < K; k++) {
        int iy = iy0 + k * p.dh, ix = ix0 + k * p.dw;
        bool ry = iy >= 0 && iy < p.h, rx = ix >= 0 && ix < p.w;
        roff[k] = ry ? (iy >> g.up_shift) * g.ws : 0;
        coff[k] = rx ? ix >> g.up_shift : 0;
        rmask |= (unsigned)ry << k;
        cmask |= (unsigned)rx << k;
    }
    int off[K * K];
    unsigned tmask = 0;
GK_UNROLL
    for (int ky = 0; ky < K; ky++)
GK_UNROLL
        for (int kx = 0; kx < K; kx++) {
            off[ky * K + kx] = roff[ky] + coff[kx];
            tmask |= (((rmask >> ky) & (cmask >> kx)) & 1u) << (ky * K + kx);
        }
    const unsigned full = (1u << (K * K)) - 1u;
    if (tmask == full) {
        if (na > 0) gkc_taps<T, K, MB, false>(xa, na, g.plane_src, off, tmask, wp, g.wstride, acc);
        if (nb > 0)
            gkc_taps<T, K, MB, false>(xb, nb, g.plane_src, off, tmask, wp + na * K * K, g.wstride,
                                      acc);
    } else if (tmask) {
        if (na > 0) gkc_taps<T, K, MB, true>(xa, na, g.plane_src, off, tmask, wp, g.wstride, acc);
        if (nb > 0)
            gkc_taps<T, K, MB, true>(xb, nb, g.plane_src, off, tmask, wp + na * K * K, g.wstride,
                                     acc);
    }
}

/* First k in [0, kn) with lo <= o0 + k * d, and one past the last with
 * o0 + k * d < hi (d >= 1): the taps of one axis that read inside. */
__host__ __device__ __forceinline__ void gkc_range(int o0, int d, int kn, int hi, int *k0,
                                                   int *k1) {
    int a = o0 >= 0 ? 0 : (-o0 + d - 1) / d;
    int b = o0 > hi - 1 ? 0 : (hi - 1 - o0) / d + 1;
    *k0 = a;
    *k1 = b < kn ? b : kn;
}

/* General path: any kh x kw, over the valid tap ranges only. */
template <typename T, int MB>
__host__ __device__ __forceinline__ void gkc_sum_general(const gk_conv &p, const gkc_geom &g,
                                                         const T *xa, int na, const T *xb,
                                                         int nb, const T *wp, int oy, int ox,
                                                         float (&acc)[MB]) {
    const int iy0 = oy * p.sh - p.ph, ix0 = ox * p.sw - p.pw;
    int ky0, ky1, kx0, kx1;
    gkc_range(iy0, p.dh, p.kh, p.h, &ky0, &ky1);
    gkc_range(ix0, p.dw, p.kw, p.w, &kx0, &kx1);
    const int s = g.up_shift;
    for (int part = 0; part < 2; part++) {
        const T *xc = part ? xb : xa;
        int nc = part ? nb : na;
        const T *wc = part ? wp + na * g.khw : wp;
        for (int c = 0; c < nc; c++) {
            for (int ky = ky0; ky < ky1; ky++) {
                const T *xr = xc + ((iy0 + ky * p.dh) >> s) * g.ws;
                const T *wr = wc + ky * p.kw;
                for (int kx = kx0; kx < kx1; kx++) {
                    float xv = gk_ld(xr, (ix0 + kx * p.dw) >> s);
GK_UNROLL
                    for (int j = 0; j < MB; j++) acc[j] += xv * gk_ld(wr, j * g.wstride + kx);
                }
            }
            xc += g.plane_src;
            wc += g.khw;
        }
    }
}

/* Work item `item` (0 <= item < g.items) of descriptor p: computes and
 * stores MB outputs, epilogue included. ops.p[k] is step input k (the
 * epilogue operands at their operand index). x2 is NULL without a concat. */
template <typename T, int K, int MB>
__host__ __device__ __forceinline__ void gkc_point(const gk_conv &p, const gkc_geom &g,
                                                   const T *x, const T *x2, const T *w,
                                                   const T *b, const gk_ptrs &ops, T *y,
                                                   int item) {
    const int pix = item % g.plane;
    const int t = item / g.plane;
    const int mb = t % g.n_mb, n = t / g.n_mb;
    const int oy = pix / p.ow, ox = pix - oy * p.ow;
    const int m0 = mb * MB;
    const int c0 = (m0 / g.mpg) * g.cpg; /* the group's first input channel */
    /* This group's channels [c0, c0 + cpg) split at c_a: the first na come
     * from x, the other nb from x2 (nb = 0 without a concat). */
    int na = g.c_a - c0;
    na = na < 0 ? 0 : na > g.cpg ? g.cpg : na;
    const int nb = g.cpg - na;
    const T *xa = na > 0 ? x + ((int64_t)n * g.c_a + c0) * g.plane_src : x;
    const T *xb = nb > 0 ? x2 + ((int64_t)n * g.c_b + (c0 + na - g.c_a)) * g.plane_src : x;
    const T *wp = w + (int64_t)m0 * g.wstride;
    float acc[MB];
GK_UNROLL
    for (int j = 0; j < MB; j++) acc[j] = 0.0f;
    if constexpr (K > 0) gkc_sum_k<T, K, MB>(p, g, xa, na, xb, nb, wp, oy, ox, acc);
    else gkc_sum_general<T, MB>(p, g, xa, na, xb, nb, wp, oy, ox, acc);
    int m[MB], px[MB];
GK_UNROLL
    for (int j = 0; j < MB; j++) {
        if (b) acc[j] += gk_ld(b, m0 + j);
        m[j] = m0 + j;
        px[j] = pix;
    }
    for (int e = 0; e < p.n_epi; e++) gk_conv_epi_n<T, MB>(p, e, acc, ops, n, m, px, g.plane);
    T *yp = y + ((int64_t)n * p.c_out + m0) * g.plane + pix;
GK_UNROLL
    for (int j = 0; j < MB; j++) gk_st(yp, j * g.plane, acc[j]);
}

#endif
