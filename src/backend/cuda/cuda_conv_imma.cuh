/* INT8 convolution on tensor cores (mma.sync m16n8k32, s8 x s8 -> s32): a
 * glint::QConv (gk_conv.quant) with the blocks of the FP16 tensor-core
 * conv (cuda_conv_mma.cuh): an 8x8 output tile x MT channels per group of 4
 * warps, chunks of input channels through shared memory, the folded
 * upsample / concat addressing and the fused epilogue, and for the few
 * blocks of small batches the input channels split over 2 or 4 groups.
 * The lowering takes it where it takes the FP16 one (cuda_lower_nn.c,
 * mma_pick).
 *
 * Its input is one of two kinds. Codes (gk_conv.x_codes): a conv before
 * it wrote the activation as this conv's own int8 codes, NHWC
 * (cuda_lower_layout.c), so a position's 16 or 32 channels are one or two
 * 16-byte cp.async copies straight into the patch, and a group keeps up to
 * 4 chunks in flight while it multiplies one, as the FP16 kernel does.
 * Otherwise the engine's float storage: each chunk's input rows are
 * copied by cp.async into a staging area as whole 16-byte vectors (half
 * storage, rows a multiple of 8; an NHWC input is read straight as 8
 * channels of a position a load; else gathered element by element), then
 * quantised as QuantizeLinear would (gk_quantize_n) into the patch,
 * channel-innermost. Padding gets the QConv's zero point either way, so
 * that the sum of code x weight over the whole window less x_zp x (the
 * channel's weight sum) is the reference's exact sum of (code - x_zp) x
 * weight (gl_qconv_accumulate). Then y = (float)acc * (x_scale *
 * w_scale[m]) + B[m], the epilogue, and the store: floats, or the codes
 * of the convs that read the output (gk_conv.y_codes).
 *
 * GEMM view per group as in cuda_conv_mma.cuh (rows: the tile's 64 pixels,
 * 16 per warp; columns: the block's MT channels); k runs tap-major,
 * k = tap * CK + c over a chunk of CK input channels (GK_IMMA_CK: 16 or
 * 32), padded to a multiple of 32 with zero weights. A k step's A fragment
 * is one ldmatrix.x4 over the patch ([position][CK codes]); the weights
 * lie in global memory as the kernel reads them ([chunk][channel][k],
 * qconv_consts), so each block copies whole rows by cp.async, and B is
 * one ldmatrix.x4 per two fragments.
 *
 * This header holds the kernel and its launchers as templates; the
 * instances are compiled in three files, so that they build in parallel
 * and an INT8 engine loads no float-storage (test) instances:
 * cuda_conv_imma.cu (half storage, and the dispatch), _codes.cu (half
 * storage reading codes), _f32.cu (float storage). */
#ifndef GL_CUDA_CONV_IMMA_CUH
#define GL_CUDA_CONV_IMMA_CUH

#include <type_traits>

#include "backend/cuda/cuda_conv_tile.cuh"

/* d += a * b on one m16n8k32 tile of signed bytes, four to a register. */
__device__ __forceinline__ void imma_16832(int (&d)[4], const uint32_t (&a)[4], uint32_t b0,
                                           uint32_t b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
        "{%8,%9}, {%0,%1,%2,%3};\n"
        : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

/* The shared memory of one group of 4 warps, in bytes. A buffer holds
 * one chunk: its patch as codes ([position][CK], gi_patch_at) and its
 * weight rows ([channel][k], KP bytes apart: the 8 rows an ldmatrix phase
 * reads fall in distinct banks). An input of codes (gk_conv.x_codes) is
 * filled by cp.async alone, so a group keeps `stages` such buffers and has
 * the next chunks in flight while it multiplies one; a float input is
 * quantised by the threads into one buffer (stages 0), half storage
 * through a staging area first (CK channels of each patch row as the
 * aligned 8-element vectors of the input row that cover it). */
template <typename T, int KS, int S, int MT, int CK>
struct gi_layout {
    static constexpr int PH = GK_TILE_PATCH(KS, S), PW = PH, PATCH = PH * PW;
    static constexpr int RV = (PW + 14) / 8, RW = RV * 8, XP = PH * RW;
    static constexpr int KK = KS * KS, K = GK_IMMA_K(KS, CK), KP = K + 16;
    static constexpr int STAGE = sizeof(T) == 2 ? CK * XP * 2 : 0, XS = PATCH * CK, WS = MT * KP;
    static constexpr int BUF = XS + WS; /* a multiple of 16: buffers stay 16-byte aligned */
    /* one group's bytes; its staging area (stages 0) first */
    __host__ __device__ static constexpr int group(int stages) {
        return stages ? stages * BUF : STAGE + BUF;
    }
};

/* Dynamic shared memory of a launch: each group's buffers, which the
 * groups after the first then reuse for their partial sums. */
template <typename T, int KS, int S, int MT, int CK, int KSPLIT>
constexpr size_t gi_smem_bytes(int stages) {
    const size_t bufs = (size_t)KSPLIT * gi_layout<T, KS, S, MT, CK>::group(stages);
    const size_t sums = (size_t)(KSPLIT - 1) * MT / 2 * GK_TC_THREADS * sizeof(int);
    return bufs > sums ? bufs : sums;
}

/* Where the 16 codes of channels 16h .. 16h + 15 of patch position pos
 * lie, in bytes: with 32 channels a position is two 16-byte rows
 * (gk_patch_row); with 16 the 8 rows an ldmatrix phase reads are
 * contiguous. */
template <int CK>
__device__ __forceinline__ int gi_patch_at(int pos, int h) {
    return CK == 32 ? gk_patch_row(pos, h) * 16 : pos * 16;
}

/* 16 values' codes, packed four to a word, lowest channel first. */
__device__ __forceinline__ uint4 gi_quantize16(const float (&v)[16], const gk_conv &p) {
    int q[16];
    gk_quantize_n<16>(v, p.q_scale, p.q_inv, p.q_zp, q);
    return make_uint4(gk_code_word(q), gk_code_word(q + 4), gk_code_word(q + 8),
                      gk_code_word(q + 12));
}

/* The patch of chunk c0 (cn channels) from a float input, quantised by the
 * threads, 16 channels of one position a store; padding x_zp; channels
 * past cn meet zero weights (their codes do not matter). Half storage read
 * by 8-channel vectors when NHWC, else from the staging area when whole
 * rows were copied there (by_vector), else element by element. */
template <typename T, int CK, int PATCH, int PW, int XP, int RW>
__device__ __forceinline__ void gi_quantize_patch(const gk_conv &p, const gk_tile_src<T> &src,
                                                  const gk_tile_pos &tp, int c0, int cn,
                                                  bool nhwc_vectors, bool by_vector,
                                                  const T *stage, int shift, int8_t *xs, int tid) {
    for (int e = tid; e < (CK / 16) * PATCH; e += GK_TC_THREADS) {
        const int h = e / PATCH, pos = e - h * PATCH, r = pos / PW, col = pos - r * PW;
        const int iy = tp.iy0 + r, ix = tp.ix0 + col;
        uint4 codes;
        if (iy < 0 || iy >= p.h || ix < 0 || ix >= p.w) {
            const uint32_t z = (uint32_t)(p.x_zp & 0xff) * 0x01010101u;
            codes = make_uint4(z, z, z, z);
        } else {
            float v[16];
            if (nhwc_vectors) { /* two vectors of 8 channels; zeros past cn */
#pragma unroll
                for (int hv = 0; hv < 2; hv++) {
                    uint4 raw = make_uint4(0u, 0u, 0u, 0u);
                    if (16 * h + 8 * hv < cn)
                        raw = *reinterpret_cast<const uint4 *>(src.at(c0 + 16 * h + 8 * hv, iy, ix));
                    const T *e8 = reinterpret_cast<const T *>(&raw);
#pragma unroll
                    for (int u = 0; u < 8; u++) v[8 * hv + u] = gk_ld(e8, u);
                }
            } else if (by_vector) {
                const T *s = stage + 16 * h * XP + r * RW + shift + col;
#pragma unroll
                for (int u = 0; u < 16; u++) v[u] = gk_ld(s, u * XP);
            } else {
#pragma unroll
                for (int u = 0; u < 16; u++) {
                    T e1;
                    v[u] = 16 * h + u < cn && src.read(c0 + 16 * h + u, iy, ix, &e1) ? gk_ld(&e1, 0)
                                                                                     : 0.0f;
                }
            }
            codes = gi_quantize16(v, p);
        }
        *reinterpret_cast<uint4 *>(xs + gi_patch_at<CK>(pos, h)) = codes;
    }
}

/* CODES: X (and the split part) hold int8 codes, NHWC, parts of 16
 * channels (gk_conv.x_codes), and stages > 0; else they are float (T)
 * and stages 0. */
template <typename T, int KS, int S, int MT, int CK, int KSPLIT, bool CODES>
__global__ void __launch_bounds__(GK_TC_THREADS * KSPLIT)
conv_imma_kernel(const __grid_constant__ gk_conv p,
                 const std::conditional_t<CODES, int8_t, T> *__restrict__ x,
                 const std::conditional_t<CODES, int8_t, T> *__restrict__ x2,
                 const int8_t *__restrict__ w, const T *__restrict__ b,
                 const __grid_constant__ gk_ptrs ops, T *__restrict__ y, int stages) {
    static_assert(KSPLIT == 1 || KSPLIT == 2 || KSPLIT == 4, "gk_group_sync has 4 barriers");
    using TX = std::conditional_t<CODES, int8_t, T>;
    using L = gi_layout<T, KS, S, MT, CK>;
    constexpr int PH = L::PH, PW = L::PW, PATCH = L::PATCH, RV = L::RV, RW = L::RW, XP = L::XP;
    constexpr int KK = L::KK, K = L::K, KP = L::KP;
    constexpr int NF = MT / 8; /* n fragments per warp */
    constexpr int STEPS = K / 32;
    extern __shared__ __align__(16) unsigned char gi_shared[];
    const int grp = threadIdx.x / GK_TC_THREADS, tid = threadIdx.x % GK_TC_THREADS;
    const int nbuf = stages ? stages : 1;
    /* the group's staging area [channel][row][RW] (stages 0), then its buffers */
    unsigned char *const gbase = gi_shared + grp * L::group(stages);
    T *const stage = reinterpret_cast<T *>(gbase);
    int8_t *const buf0 = reinterpret_cast<int8_t *>(stages ? gbase : gbase + L::STAGE);

    const int lane = tid & 31, warp = tid >> 5;
    const int g = lane >> 2, t = lane & 3;
    const gk_tile_pos tp = gk_tile_origin(p);
    const int m0 = blockIdx.y * MT, n = blockIdx.z;
    const gk_tile_src<TX> src(p, x, x2, n);
    const int mp = GK_TILE_MP(p.c_out);
    const int xv = tp.ix0 & ~7, shift = tp.ix0 - xv; /* first stored column, patch origin */
    const bool nhwc_vectors = gk_nhwc_vectors(src);
    const bool by_vector = sizeof(TX) == 2 && !src.nhwc && (p.w & 7) == 0 &&
                           (((uintptr_t)src.xa | (uintptr_t)src.xb) & 15) == 0;
    const auto [p0, p1, base0, base1] = gk_frag_pixels_of<S, PW>(warp, g);

    /* A of step s: k 32s .. 32s + 31, lanes 8i .. 8i + 7 naming pixels
     * (i & 1) * 8 .. + 7 of the warp at k 32s + 16 (i >> 1): a tap and
     * channel half (padding k: tap 0, met by zero weights); in buffer 0. */
    unsigned a_at[STEPS];
    {
        const int i = lane >> 3, px = warp * 16 + (i & 1) * 8 + (lane & 7);
        const int pos0 = (px / GK_TILE_EDGE) * S * PW + (px % GK_TILE_EDGE) * S;
#pragma unroll
        for (int s = 0; s < STEPS; s++) {
            const int kk = 32 * s + 16 * (i >> 1), tap = kk / CK < KK ? kk / CK : 0;
            a_at[s] = gk_smem(buf0 + gi_patch_at<CK>(pos0 + (tap / KS) * PW + tap % KS,
                                                     (kk % CK) / 16));
        }
    }
    /* B, two fragments per ldmatrix.x4: lanes 0-15 name channels 0-7 of
     * the pair at k halves 0 and 1, lanes 16-31 channels 8-15. */
    const unsigned b_at =
        gk_smem(buf0 + L::XS + ((lane >> 4) * 8 + (lane & 7)) * KP + ((lane >> 3) & 1) * 16);
    const gk_nhwc_fill<CK / 16, PATCH, PW, TX> nhwc(src, tp.iy0, tp.ix0, tid);
    const uint32_t zp_pad = (uint32_t)(p.x_zp & 0xff) * 0x01010101u;

    /* Chunk q of this group (input channels c0 .. c0 + CK - 1) into buffer
     * bi: the block's weight rows (zeros past mp), then the patch. Only the
     * fill of codes is left in flight; the others end with a barrier. */
    auto fill = [&](int q, int bi) {
        const int c0 = (grp + q * KSPLIT) * CK, cn = min(CK, p.c_in - c0);
        int8_t *const xs = buf0 + bi * L::BUF, *const ws = xs + L::XS;
        const int8_t *wq = w + ((size_t)(c0 / CK) * mp + m0) * K;
        for (int e = tid; e < MT * (K / 16); e += GK_TC_THREADS) {
            const int m = e / (K / 16), v = e % (K / 16);
            const bool ok = m0 + m < mp;
            gk_copy16(ws + m * KP + 16 * v, ok ? wq + (size_t)m * K + 16 * v : w, ok);
        }
        if constexpr (CODES) {
            nhwc.chunk(src, c0, cn, xs, gi_patch_at<CK>, tid, zp_pad);
        } else {
            if constexpr (sizeof(T) == 2)
                if (by_vector) {
                    gk_fill_rows<CK, PH, RV, RW, XP>(src, c0, cn, tp.iy0, xv, stage, tid);
                    gk_fill_wait();
                    gk_group_sync<KSPLIT>(grp);
                }
            gi_quantize_patch<T, CK, PATCH, PW, XP, RW>(p, src, tp, c0, cn, nhwc_vectors, by_vector,
                                                       stage, shift, xs, tid);
        }
        gk_fill_commit();
    };

    int acc[NF][4];
#pragma unroll
    for (int j = 0; j < NF; j++) acc[j][0] = acc[j][1] = acc[j][2] = acc[j][3] = 0;

    /* The group's chunks, up to nbuf in flight (gk_chunk_loop). */
    const int chunks = (p.c_in - grp * CK + CK * KSPLIT - 1) / (CK * KSPLIT);
    gk_chunk_loop<KSPLIT>(chunks, nbuf, grp, fill, [&](int bq) {
        const unsigned off = (unsigned)(bq * L::BUF);
#pragma unroll
        for (int s = 0; s < STEPS; s++) {
            uint32_t a[4];
            gk_ldsm_x4(a, a_at[s] + off, false);
#pragma unroll
            for (int j = 0; j < NF; j += 2) {
                uint32_t b4[4];
                gk_ldsm_x4(b4, b_at + off + j * 8 * KP + 32 * s, false);
                imma_16832(acc[j], a, b4[0], b4[1]);
                imma_16832(acc[j + 1], a, b4[2], b4[3]);
            }
        }
    });

    if (!gk_split_sum<KSPLIT>(acc, reinterpret_cast<int *>(gi_shared), grp, tid)) return;

    /* acc[j][h * 2 + q]: pixel h ? p1 : p0, channel m0 + j * 8 + 2 * t + q;
     * dequantised as the reference does */
    const float *dq = (const float *)ops.p[p.qaux_arg];
    const int *corr = (const int *)(dq + mp);
    float r[NF][4];
#pragma unroll
    for (int j = 0; j < NF; j++)
#pragma unroll
        for (int q = 0; q < 2; q++) {
            const int m = gk_frag_channel(p, m0, t, j, q);
            const float bias = b ? gk_ld(b, m) : 0.0f;
            r[j][q] = (float)(acc[j][q] - corr[m]) * dq[m] + bias;
            r[j][2 + q] = (float)(acc[j][2 + q] - corr[m]) * dq[m] + bias;
        }
    gk_frag_store<T, NF>(p, tp, ops, n, m0, t, p0, p1, r, y);
}

/* Buffers per group for an input of codes: gk_tc_stages; 0 for a float
 * input (one buffer). */
template <typename T, int KS, int S, int MT, int CK, int KSPLIT>
static int imma_stages(const gk_conv &p) {
    if (!p.x_codes) return 0;
    return gk_tc_stages((p.c_in + CK - 1) / CK, KSPLIT,
                        (size_t)KSPLIT * gi_layout<T, KS, S, MT, CK>::BUF);
}

/* One instance's launch; blocks over 48 KB of shared memory have to be
 * allowed it first. */
template <typename T, int KS, int S, int MT, int CK, int KSPLIT, bool CODES>
static void launch_imma_instance(dim3 grid, const gk_conv &p, const void *x, const void *x2,
                                 void *const *ptrs, const gk_ptrs &ops, cudaStream_t s) {
    using TX = std::conditional_t<CODES, int8_t, T>;
    const int stages = imma_stages<T, KS, S, MT, CK, KSPLIT>(p);
    const size_t bytes = gi_smem_bytes<T, KS, S, MT, CK, KSPLIT>(stages);
    auto kernel = conv_imma_kernel<T, KS, S, MT, CK, KSPLIT, CODES>;
    if (!gk_allow_smem(kernel, bytes)) return;
    kernel<<<grid, GK_TC_THREADS * KSPLIT, bytes, s>>>(p, (const TX *)x, (const TX *)x2,
                                                       (const int8_t *)ptrs[1], (const T *)ptrs[2],
                                                       ops, (T *)ptrs[p.out_arg], stages);
}

/* Chunks of GK_IMMA_CK channels (the weights' layout). */
template <typename T, bool CODES>
static cudaError_t launch_imma(const gk_desc *d, void *const *ptrs, cudaStream_t s) {
    const gk_conv &p = d->u.conv;
    if (!p.quant || !gk_conv_tile_ok(&p) || !gk_tc_block_ok(p)) return cudaErrorInvalidValue;
    if ((uintptr_t)ptrs[1] & 15) return cudaErrorInvalidValue; /* cp.async of weight rows */
    const void *x = ptrs[0], *x2 = p.split_arg >= 0 ? ptrs[p.split_arg] : nullptr;
    if (CODES && !gk_code_inputs(p, &x, &x2)) return cudaErrorInvalidValue;
    if (p.n == 0 || p.oh == 0 || p.ow == 0 || p.c_out == 0) return cudaSuccess;
    const dim3 grid = gk_tile_grid(p, p.tile_mt);
    gk_ptrs ops;
    for (int i = 0; i < GK_MAX_ARGS; i++) ops.p[i] = ptrs[i];
    return gk_tile_by_shape(p, [&](auto ks, auto st) {
        return gk_tc_by_block(p, [&](auto mt, auto ksplit) {
            if (GK_IMMA_CK(p.c_in) == 16)
                launch_imma_instance<T, ks(), st(), mt(), 16, ksplit(), CODES>(grid, p, x, x2, ptrs,
                                                                         ops, s);
            else
                launch_imma_instance<T, ks(), st(), mt(), 32, ksplit(), CODES>(grid, p, x, x2, ptrs,
                                                                         ops, s);
        });
    });
}

/* The instances compiled apart (see above). */
cudaError_t gk_conv_imma_codes(const gk_desc *d, void *const *ptrs, cudaStream_t s);
cudaError_t gk_conv_imma_f32(const gk_desc *d, void *const *ptrs, cudaStream_t s);

#endif
