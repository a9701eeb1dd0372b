/* The tiled direct convolution (NCHW, FP32 arithmetic, float, half or bfloat16 storage):
 * the fast path for group-1, 1x1 and 3x3, stride 1 or 2, undilated
 * convolutions, the whole of a FiLM U-Net. (FP16 and BF16 launches with blocks of
 * 16+ channels take the same blocks on tensor cores, cuda_conv_mma.cuh.)
 *
 * A block computes an 8x8 tile of output pixels of one image for MT output
 * channels. It walks the input channels in chunks of CK: the chunk's input
 * patch (the tile's receptive field, padding as zeros, the folded upsample
 * and concat applied while loading; an NHWC input 8 channels a load) and
 * its weights (which the engine keeps as [c][tap][m], cuda_backend.c) go
 * to shared memory; then each thread accumulates PM output channels of
 * one pixel, reading one input value and PM/4 four-wide weight vectors
 * (the same address across the warp: a broadcast) per tap, or one weight
 * in the 1-channel blocks of a last layer. Every index that depends on
 * the chunk is worked out at load time, once per element; the
 * multiply-add loop is fully unrolled over the taps.
 *
 * Small launches (batch 1) split the input channels of a chunk over
 * `ksplit` thread groups, which add their partial sums through shared
 * memory at the end: a 16x16 layer is only 4 tiles, and the split puts up
 * to 8x more warps on the GPU's SMs.
 *
 * The lowering (cuda_lower_nn.c, tile_pick) picks MT, PM and ksplit per
 * layer; GK_TILE_* and gk_tile_smem_bytes in cuda_kernels.h hold the
 * arithmetic that both sides need. QConvs (gk_conv.quant) run the same
 * loop on their codes (the Q instances): quantised while loading, or in
 * half-storage engines read as int8 codes that the conv before wrote
 * (gk_conv.x_codes); any conv's epilogue may write such codes (y_codes).
 *
 * This header holds the kernel and its launchers as templates; each
 * storage type's instances are compiled in a file of their own
 * (cuda_conv_tile.cu float, _f16, _bf16, _q for the QConvs), so that an
 * engine's first launches load only its own type's kernels: the driver
 * loads a whole file's module at its first kernel (the suite's first
 * engine took 61.6 ms to ready with every type in one file, 2026-12-02). */
#ifndef GL_CUDA_CONV_TILE_KERNEL_CUH
#define GL_CUDA_CONV_TILE_KERNEL_CUH

#include <type_traits>

#include "backend/cuda/cuda_conv_tile.cuh"

#define GT_TILE GK_TILE_EDGE
#define GT_PIX (GT_TILE * GT_TILE)
#define GT_BATCH 8  /* global loads in flight per thread while filling a chunk */
#define GT_VBATCH 4 /* the same for 16-byte loads (NHWC) */

/* The patch of chunk c0 from an NHWC input read by 16-byte vectors: of
 * 16-bit values (gk_nhwc_vectors), 8 channels a vector, or of int8 codes
 * (gk_conv.x_codes), 16; nv vectors, vector e = channels EV * h .. of
 * position e % PATCH (h = e / PATCH), consecutive threads at consecutive
 * positions (their shared stores conflict-free), up to GT_VBATCH loads in
 * flight a thread; zeros in the padding. Q: the values as their codes
 * minus the zero point (the kernel's patch for QConvs), quantised here
 * unless they are codes already. */
template <bool Q, int PATCH, int PW, typename T>
__device__ __forceinline__ void gt_fill_vectors(const gk_conv &p, const gk_tile_src<T> &src,
                                                int c0, int nv, const gk_tile_pos &tp,
                                                float *xs, int tid, int nthreads) {
    constexpr int EV = 16 / sizeof(T);
    constexpr bool CODES = std::is_same_v<T, int8_t>;
    for (int e0 = tid; e0 < nv; e0 += GT_VBATCH * nthreads) {
        uint4 v[GT_VBATCH];
        unsigned inside = 0; /* bit u set when v[u] was read (not padding) */
#pragma unroll
        for (int u = 0; u < GT_VBATCH; u++) {
            const int e = e0 + u * nthreads, h = e / PATCH, r = e - h * PATCH;
            const int iy = tp.iy0 + r / PW, ix = tp.ix0 + r % PW;
            const bool in = e < nv && iy >= 0 && iy < src.h && ix >= 0 && ix < src.w;
            v[u] = in ? *reinterpret_cast<const uint4 *>(src.at(c0 + EV * h, iy, ix))
                      : make_uint4(0u, 0u, 0u, 0u);
            inside |= (unsigned)in << u;
        }
#pragma unroll
        for (int u = 0; u < GT_VBATCH; u++) {
            const int e = e0 + u * nthreads, h = e / PATCH, r = e - h * PATCH;
            if (e >= nv) break;
            const T *hv = reinterpret_cast<const T *>(&v[u]);
            const bool in = inside >> u & 1u;
            float f[EV];
#pragma unroll
            for (int k = 0; k < EV; k++) {
                if constexpr (CODES) f[k] = in ? (float)(hv[k] - p.x_zp) : 0.0f;
                else f[k] = gk_ld(hv, k);
            }
            if constexpr (Q && !CODES) {
                int q[EV];
                gk_quantize_n<EV>(f, p.q_scale, p.q_inv, p.q_zp, q);
#pragma unroll
                for (int k = 0; k < EV; k++) f[k] = in ? (float)(q[k] - p.x_zp) : 0.0f;
            }
#pragma unroll
            for (int k = 0; k < EV; k++) xs[(EV * h + k) * PATCH + r] = f[k];
        }
    }
}

/* Q: a QConv (gk_conv.quant). The patch holds each input's code minus the
 * zero point (padding 0) and the weights their int8 codes, both as the
 * floats they equal, so the sums are the exact integer ones (every partial
 * sum under 2^24) and the epilogue scales them by x_scale * w_scale[m]. */
template <typename T, int KS, int S, int MT, int PM, bool Q>
__global__ void __launch_bounds__(GT_PIX * (MT / PM) * GK_TILE_KSPLIT_CAP(MT))
conv_tile_kernel(const __grid_constant__ gk_conv p, const T *__restrict__ x,
                 const T *__restrict__ x2,
                 const std::conditional_t<Q, int8_t, T> *__restrict__ w,
                 const T *__restrict__ b, const __grid_constant__ gk_ptrs ops,
                 T *__restrict__ y) {
    using TW = std::conditional_t<Q, int8_t, T>;
    constexpr int PH = GK_TILE_PATCH(KS, S), PW = PH, PATCH = PH * PW;
    constexpr int KK = KS * KS;
    constexpr int CK = GK_TILE_CK(KS, S, MT);
    constexpr int NG = MT / PM; /* channel groups per block */
    /* Sized at launch for min(CK, c_in) channels (gk_tile_smem_bytes): a
     * 1-channel first layer must not hold 35 KB per block, or few blocks fit
     * on an SM. */
    extern __shared__ __align__(16) float smem[];
    const int ck = min(CK, p.c_in);
    float *xs = smem, *ws = smem + GK_TILE_PAD4(ck * PATCH);

    const int ksplit = p.tile_ksplit;
    const int nthreads = GT_PIX * NG * ksplit;
    const int tid = threadIdx.x;
    const int pix = tid % GT_PIX, grp = (tid / GT_PIX) % NG, part = tid / (GT_PIX * NG);
    const int ly = pix / GT_TILE, lx = pix % GT_TILE;

    const gk_tile_pos tp = gk_tile_origin(p);
    const int m0 = blockIdx.y * MT, n = blockIdx.z;
    const gk_tile_src<T> src(p, x, x2, n);
    const int mp = GK_TILE_MP(p.c_out);
    /* An NHWC input of 16-bit values and parts of 8 channels (every chunk
     * then a multiple of 8 channels) is read by 16-byte vectors; any other
     * element by element, consecutive threads at consecutive positions of
     * one channel. */
    const bool by_vector = gk_nhwc_vectors(src);
    /* The QConvs of half-storage engines may read int8 codes instead
     * (gk_conv.x_codes: NHWC, parts and chunks of multiples of 16 channels). */
    constexpr bool CODES_OK = Q && std::is_same_v<T, __half>;
    const bool codes_in = CODES_OK && p.x_codes;

    float acc[PM];
#pragma unroll
    for (int j = 0; j < PM; j++) acc[j] = 0.0f;

    for (int c0 = 0; c0 < p.c_in; c0 += ck) {
        const int cn = min(ck, p.c_in - c0);
        __syncthreads(); /* the previous chunk has been read */
        /* Loads in batches of GT_BATCH independent reads per thread before
         * any store: one memory round trip per batch, not per element. The
         * raw values are kept and converted to float only at the store: a
         * conversion next to its load made the compiler wait for each load
         * in turn (FP16 at batch 1 ran 15-35% behind FP32, ncu: 6x the
         * long-scoreboard stalls, bench/NOTES.md). */
        const int xn = cn * PATCH;
        const T zero = gk_cvt<T>(0.0f);
        TW wzero;
        if constexpr (Q) wzero = 0;
        else wzero = zero;
        if (codes_in) { /* int8 codes, NHWC: 16 channels of a position a load */
            if constexpr (CODES_OK) {
                const gk_tile_src<int8_t> codes(p, reinterpret_cast<const int8_t *>(x),
                                                reinterpret_cast<const int8_t *>(x2), n);
                gt_fill_vectors<Q, PATCH, PW>(p, codes, c0, xn / 16, tp, xs, tid, nthreads);
            }
        } else if (by_vector) /* NHWC, 16-bit: 8 channels of a position a load */
            gt_fill_vectors<Q, PATCH, PW>(p, src, c0, xn / 8, tp, xs, tid, nthreads);
        else
            for (int e0 = tid; e0 < xn; e0 += GT_BATCH * nthreads) {
                T v[GT_BATCH];
                unsigned inside = 0; /* Q: bit u set when v[u] was read (not padding) */
#pragma unroll
                for (int u = 0; u < GT_BATCH; u++) {
                    const int e = e0 + u * nthreads, c = e / PATCH, r = e - c * PATCH;
                    const bool in =
                        e < xn && src.read(c0 + c, tp.iy0 + r / PW, tp.ix0 + r % PW, &v[u]);
                    if (!in) v[u] = zero;
                    if constexpr (Q) inside |= (unsigned)in << u;
                }
                float f[GT_BATCH];
#pragma unroll
                for (int u = 0; u < GT_BATCH; u++) f[u] = gk_ld(v, u);
                if constexpr (Q) {
                    int q[GT_BATCH];
                    gk_quantize_n<GT_BATCH>(f, p.q_scale, p.q_inv, p.q_zp, q);
#pragma unroll
                    for (int u = 0; u < GT_BATCH; u++)
                        f[u] = (inside >> u & 1u) ? (float)(q[u] - p.x_zp) : 0.0f;
                }
#pragma unroll
                for (int u = 0; u < GT_BATCH; u++) {
                    if (e0 + u * nthreads >= xn) break;
                    xs[e0 + u * nthreads] = f[u];
                }
            }
        /* Weights as stored by the engine (cuda_backend.c): rows of
         * (c, tap), each mp output channels; this block's MT are contiguous. */
        const int wn = cn * KK * MT;
        const TW *wc0 = w + (size_t)c0 * KK * mp + m0;
        for (int e0 = tid; e0 < wn; e0 += GT_BATCH * nthreads) {
            TW v[GT_BATCH];
#pragma unroll
            for (int u = 0; u < GT_BATCH; u++) {
                const int e = e0 + u * nthreads;
                v[u] = e < wn ? wc0[(e / MT) * mp + e % MT] : wzero;
            }
#pragma unroll
            for (int u = 0; u < GT_BATCH; u++)
                if (e0 + u * nthreads < wn) ws[e0 + u * nthreads] = gk_ld(v, u);
        }
        __syncthreads();
        for (int c = part; c < cn; c += ksplit) {
            const float *xc = xs + c * PATCH + (ly * S) * PW + lx * S;
            const float *wc = ws + c * KK * MT + grp * PM;
#pragma unroll
            for (int ky = 0; ky < KS; ky++)
#pragma unroll
                for (int kx = 0; kx < KS; kx++) {
                    const float xv = xc[ky * PW + kx];
                    if constexpr (PM % 4 != 0) { /* the 1-channel blocks */
#pragma unroll
                        for (int j = 0; j < PM; j++) acc[j] += xv * wc[(ky * KS + kx) * MT + j];
                    } else {
                        const float4 *w4 =
                            reinterpret_cast<const float4 *>(wc + (ky * KS + kx) * MT);
#pragma unroll
                        for (int q = 0; q < PM / 4; q++) {
                            const float4 wv = w4[q];
                            acc[4 * q + 0] += xv * wv.x;
                            acc[4 * q + 1] += xv * wv.y;
                            acc[4 * q + 2] += xv * wv.z;
                            acc[4 * q + 3] += xv * wv.w;
                        }
                    }
                }
        }
    }

    if (ksplit > 1) { /* parts 1.. hand their sums to part 0 */
        __syncthreads();
        float *red = smem; /* (ksplit - 1) x (GT_PIX * NG) x PM floats (gk_tile_smem_bytes) */
        const int slot = pix + grp * GT_PIX;
        if (part > 0) {
#pragma unroll
            for (int j = 0; j < PM; j++) red[((part - 1) * PM + j) * (GT_PIX * NG) + slot] = acc[j];
        }
        __syncthreads();
        if (part > 0) return;
        for (int k = 1; k < ksplit; k++)
#pragma unroll
            for (int j = 0; j < PM; j++) acc[j] += red[((k - 1) * PM + j) * (GT_PIX * NG) + slot];
    }

    const int oy = tp.oy0 + ly, ox = tp.ox0 + lx;
    if (oy >= p.oh || ox >= p.ow) return;
    const int plane = p.oh * p.ow, i = oy * p.ow + ox;
    /* Epilogue step by step over all PM channels, stores last: the operand
     * loads of one step are independent, so they go out together (a store
     * in between would order them, one memory round trip per channel). */
    int mc[PM]; /* channel, clamped so that padding lanes load in bounds */
    float r[PM];
    const float *dq = Q ? (const float *)ops.p[p.qaux_arg] : nullptr;
#pragma unroll
    for (int j = 0; j < PM; j++) {
        mc[j] = min(m0 + grp * PM + j, p.c_out - 1);
        const float bias = b ? gk_ld(b, mc[j]) : 0.0f;
        r[j] = Q ? acc[j] * dq[mc[j]] + bias : acc[j] + bias;
    }
    int px[PM];
#pragma unroll
    for (int j = 0; j < PM; j++) px[j] = i;
    for (int e = 0; e < p.n_epi; e++) gk_conv_epi_n<T, PM>(p, e, r, ops, n, mc, px, plane);
    if constexpr (std::is_same_v<T, __half>)
        if (p.y_codes) { /* NHWC (cuda_lower_layout.c) */
            gk_st_codes<PM>(p, reinterpret_cast<int8_t *>(y),
                            gk_out_at(p, n, m0 + grp * PM, i, plane), r, p.c_out - m0 - grp * PM);
            return;
        }
    if (p.y_nhwc) {
        gk_st_pixel<T, PM>(y, gk_out_at(p, n, m0 + grp * PM, i, plane), r, p.c_out - m0 - grp * PM);
        return;
    }
#pragma unroll
    for (int j = 0; j < PM; j++)
        if (m0 + grp * PM + j < p.c_out) gk_st(y, gk_out_at(p, n, mc[j], i, plane), r[j]);
}

template <typename T, int KS, int S, int MT, int PM, bool Q>
static void launch_cfg(const gk_conv &p, void *const *ptrs, const T *x, const T *x2,
                       cudaStream_t s) {
    const dim3 grid = gk_tile_grid(p, MT);
    unsigned threads = (unsigned)(GT_PIX * (MT / PM) * p.tile_ksplit);
    gk_ptrs ops;
    for (int i = 0; i < GK_MAX_ARGS; i++) ops.p[i] = ptrs[i];
    conv_tile_kernel<T, KS, S, MT, PM, Q><<<grid, threads, gk_tile_smem_bytes(&p), s>>>(
        p, x, x2, (const std::conditional_t<Q, int8_t, T> *)ptrs[1], (const T *)ptrs[2], ops,
        (T *)ptrs[p.out_arg]);
}

template <typename T, int KS, int S, bool Q>
static cudaError_t launch_ks(const gk_conv &p, void *const *ptrs, const T *x, const T *x2,
                             cudaStream_t s) {
    switch (p.tile_mt * 100 + p.tile_pm) {
    case 101: launch_cfg<T, KS, S, 1, 1, Q>(p, ptrs, x, x2, s); break;
    case 404: launch_cfg<T, KS, S, 4, 4, Q>(p, ptrs, x, x2, s); break;
    case 1608: launch_cfg<T, KS, S, 16, 8, Q>(p, ptrs, x, x2, s); break;
    case 3216: launch_cfg<T, KS, S, 32, 16, Q>(p, ptrs, x, x2, s); break;
    case 4816: launch_cfg<T, KS, S, 48, 16, Q>(p, ptrs, x, x2, s); break;
    case 6416: launch_cfg<T, KS, S, 64, 16, Q>(p, ptrs, x, x2, s); break;
    default: return cudaErrorInvalidValue;
    }
    return cudaGetLastError();
}

template <typename T, bool Q>
static cudaError_t gk_launch_tile(const gk_desc *d, void *const *ptrs, cudaStream_t s) {
    const gk_conv &p = d->u.conv;
    if (!gk_conv_tile_ok(&p) || p.tile_ksplit < 1 || p.tile_ksplit > GK_TILE_KSPLIT_CAP(p.tile_mt))
        return cudaErrorInvalidValue;
    const void *x = ptrs[0], *x2 = p.split_arg >= 0 ? ptrs[p.split_arg] : nullptr;
    /* codes: QConvs of half storage, chunks of multiples of 16 channels */
    if (p.x_codes && !(Q && std::is_same_v<T, __half> && gk_tile_chunk(&p) % 16 == 0 &&
                       gk_code_inputs(p, &x, &x2)))
        return cudaErrorInvalidValue;
    if (p.n == 0 || p.oh == 0 || p.ow == 0 || p.c_out == 0) return cudaSuccess;
    return gk_tile_by_shape(p, [&](auto ks, auto st) {
        return launch_ks<T, ks(), st(), Q>(p, ptrs, (const T *)x, (const T *)x2, s);
    });
}

/* The instances compiled apart (see above). */
cudaError_t gk_conv_tile_f16(const gk_desc *d, void *const *ptrs, cudaStream_t s);
cudaError_t gk_conv_tile_bf16(const gk_desc *d, void *const *ptrs, cudaStream_t s);
cudaError_t gk_conv_tile_q_f32(const gk_desc *d, void *const *ptrs, cudaStream_t s);
cudaError_t gk_conv_tile_q_f16(const gk_desc *d, void *const *ptrs, cudaStream_t s);

#endif
