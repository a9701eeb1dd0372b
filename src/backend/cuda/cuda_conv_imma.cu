/* INT8 convolution on tensor cores (mma.sync m16n8k32, s8 x s8 -> s32): a
 * glint::QConv (gk_conv.quant) with the blocks of the FP16 tensor-core
 * conv (cuda_conv_mma.cu): an 8x8 output tile x MT channels per block of 4
 * warps, chunks of input channels through shared memory, the folded
 * upsample / concat addressing and the fused epilogue. The lowering takes
 * it where it takes the FP16 one (blocks of 16+ channels, 16+ input
 * channels, batch 8 and up).
 *
 * Activations stay in the engine's float storage between layers: the
 * patch loader quantises each input as QuantizeLinear would
 * (gk_quantize) and stores the int8 code; padding gets the QConv's zero
 * point, so that the sum of code x weight over the whole window less
 * x_zp x (the channel's weight sum) is the reference's exact
 * sum of (code - x_zp) x weight (gl_qconv_accumulate). Then
 * y = (float)acc * (x_scale * w_scale[m]) + B[m] and the epilogue.
 *
 * GEMM view per block as in cuda_conv_mma.cu (rows: the tile's 64 pixels,
 * 16 per warp; columns: the block's MT channels), but k runs tap-major,
 * k = tap * CK + c over a chunk of CK input channels (16 or 32), padded to
 * a multiple of 32 with zero weights. The patch is kept channel-innermost
 * in shared memory ([position][CK channels], rows padded to CK + 4 bytes
 * against bank conflicts), so the four consecutive k of an A register are
 * four channels at one tap: one 32-bit load, the tap's offset a
 * compile-time constant of the unrolled step. B comes from the weights
 * kept as [channel][k] bytes, four k per 32-bit load. */
#include "backend/cuda/cuda_conv_tile.cuh"

#define GI_TILE GK_TILE_EDGE
#define GI_THREADS 128 /* 4 warps x 16 pixels */
#define GI_BATCH 8     /* global loads in flight per thread while filling a chunk */

/* d += a * b on one m16n8k32 tile of signed bytes, four to a register. */
__device__ __forceinline__ void imma_16832(int (&d)[4], const uint32_t (&a)[4], uint32_t b0,
                                           uint32_t b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
        "{%8,%9}, {%0,%1,%2,%3};\n"
        : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

template <typename T, int KS, int S, int MT, int CK>
__global__ void __launch_bounds__(GI_THREADS)
conv_imma_kernel(const __grid_constant__ gk_conv p, const T *__restrict__ x,
                 const T *__restrict__ x2, const int8_t *__restrict__ w,
                 const T *__restrict__ b, const __grid_constant__ gk_ptrs ops,
                 T *__restrict__ y) {
    constexpr int PH = GK_TILE_PATCH(KS, S), PW = PH, PATCH = PH * PW;
    constexpr int KK = KS * KS;
    constexpr int K = (KK * CK + 31) / 32 * 32; /* k = tap * CK + c, padded */
    constexpr int XR = CK + 4;                  /* bytes per patch position */
    constexpr int KP = K + 16;                  /* bytes per weight row */
    constexpr int NF = MT / 8;                  /* n fragments per warp */
    __shared__ __align__(16) int8_t xs[PATCH * XR];
    __shared__ __align__(16) int8_t ws[MT * KP];

    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int g = lane >> 2, t = lane & 3;
    const gk_tile_pos tp = gk_tile_origin(p);
    const int m0 = blockIdx.y * MT, n = blockIdx.z;
    const gk_tile_src<T> src(p, x, x2, n);
    const int mp = GK_TILE_MP(p.c_out);

    const auto [p0, p1, base0, base1] = gk_frag_pixels_of<S, PW>(warp, g);

    int acc[NF][4];
#pragma unroll
    for (int j = 0; j < NF; j++) acc[j][0] = acc[j][1] = acc[j][2] = acc[j][3] = 0;

    for (int c0 = 0; c0 < p.c_in; c0 += CK) {
        const int cn = min(CK, p.c_in - c0);
        __syncthreads(); /* the previous chunk has been read */
        /* The patch, quantised, position-major; the loads of a batch go out
         * before any conversion (cuda_conv_tile_kernel.cuh says why). Channels past
         * cn meet zero weights: their codes do not matter. */
        for (int e0 = tid; e0 < CK * PATCH; e0 += GI_BATCH * GI_THREADS) {
            T v[GI_BATCH];
            unsigned inside = 0;
#pragma unroll
            for (int u = 0; u < GI_BATCH; u++) {
                const int e = e0 + u * GI_THREADS, c = e / PATCH, r = e - c * PATCH;
                if (e < CK * PATCH && c < cn &&
                    src.read(c0 + c, tp.iy0 + r / PW, tp.ix0 + r % PW, &v[u]))
                    inside |= 1u << u;
                else
                    v[u] = gk_cvt<T>(0.0f);
            }
#pragma unroll
            for (int u = 0; u < GI_BATCH; u++) {
                const int e = e0 + u * GI_THREADS, c = e / PATCH, r = e - c * PATCH;
                if (e < CK * PATCH)
                    xs[r * XR + c] =
                        (int8_t)((inside >> u & 1u)
                                     ? gk_quantize(gk_ld(v, u), p.q_scale, p.q_inv, p.q_zp)
                                     : p.x_zp);
            }
        }
        /* weights [c][tap][mp] codes in memory -> ws[channel][tap * CK + c],
         * four channels (one 32-bit word: mp and m0 are multiples of 16) a
         * load; zero past cn and in the padding of k */
        const int8_t *wc0 = w + (size_t)c0 * KK * mp + m0;
        constexpr int MW = MT / 4; /* words per (c, tap) row of the block */
        for (int e0 = tid; e0 < K * MW; e0 += GI_BATCH * GI_THREADS) {
            uint32_t v[GI_BATCH];
#pragma unroll
            for (int u = 0; u < GI_BATCH; u++) {
                const int e = e0 + u * GI_THREADS, k = e / MW, m4 = (e % MW) * 4;
                const int tap = k / CK, c = k % CK;
                v[u] = e < K * MW && tap < KK && c < cn
                           ? *reinterpret_cast<const uint32_t *>(wc0 + ((size_t)c * KK + tap) * mp + m4)
                           : 0u;
            }
#pragma unroll
            for (int u = 0; u < GI_BATCH; u++) {
                const int e = e0 + u * GI_THREADS, k = e / MW, m4 = (e % MW) * 4;
                if (e < K * MW)
#pragma unroll
                    for (int i = 0; i < 4; i++) ws[(m4 + i) * KP + k] = (int8_t)(v[u] >> (8 * i));
            }
        }
        __syncthreads();
#pragma unroll
        for (int k0 = 0; k0 < K; k0 += 32) {
            /* a[0], a[1]: k0 + 4t .. + 3 (pixels p0, p1); a[2], a[3]: 16 on */
            uint32_t a[4];
#pragma unroll
            for (int h = 0; h < 2; h++) {
                const int kk = k0 + 16 * h;                   /* + 4t: channel 4t of the tap */
                const int tap = kk / CK < KK ? kk / CK : 0;   /* padding k: any tap, zero weight */
                const int off = ((tap / KS) * PW + tap % KS) * XR + kk % CK + 4 * t;
                a[2 * h] = *reinterpret_cast<const uint32_t *>(xs + base0 * XR + off);
                a[2 * h + 1] = *reinterpret_cast<const uint32_t *>(xs + base1 * XR + off);
            }
#pragma unroll
            for (int j = 0; j < NF; j++) {
                const int8_t *wr = ws + (j * 8 + g) * KP + k0 + 4 * t;
                const uint32_t b0 = *reinterpret_cast<const uint32_t *>(wr);
                const uint32_t b1 = *reinterpret_cast<const uint32_t *>(wr + 16);
                imma_16832(acc[j], a, b0, b1);
            }
        }
    }

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

template <typename T>
static cudaError_t launch_imma(const gk_desc *d, void *const *ptrs, cudaStream_t s) {
    const gk_conv &p = d->u.conv;
    if (!p.quant || !gk_conv_tile_ok(&p) || p.tile_ksplit != 1) return cudaErrorInvalidValue;
    if (p.n == 0 || p.oh == 0 || p.ow == 0 || p.c_out == 0) return cudaSuccess;
    const T *x2 = p.split_arg >= 0 ? (const T *)ptrs[p.split_arg] : nullptr;
    dim3 grid((unsigned)(((p.oh + GI_TILE - 1) / GI_TILE) * ((p.ow + GI_TILE - 1) / GI_TILE)),
              (unsigned)((p.c_out + p.tile_mt - 1) / p.tile_mt), (unsigned)p.n);
    gk_ptrs ops;
    for (int i = 0; i < GK_MAX_ARGS; i++) ops.p[i] = ptrs[i];
    return gk_tile_by_shape(p, [&](auto ks, auto st) {
        return gk_frag_by_width(p.tile_mt, [&](auto mt) {
            /* 16-channel chunks for 16 input channels or fewer: 32 would pad half the k */
            auto kernel = p.c_in <= 16 ? conv_imma_kernel<T, ks(), st(), mt(), 16>
                                       : conv_imma_kernel<T, ks(), st(), mt(), 32>;
            kernel<<<grid, GI_THREADS, 0, s>>>(p, (const T *)ptrs[0], x2, (const int8_t *)ptrs[1],
                                               (const T *)ptrs[2], ops, (T *)ptrs[p.out_arg]);
        });
    });
}

/* float storage (tests) and half (INT8 engines); never bfloat16. */
cudaError_t gk_run_conv_imma(const gk_desc *d, void *const *ptrs, gk_store st, cudaStream_t s) {
    switch (st) {
    case GK_STORE_F32: return launch_imma<float>(d, ptrs, s);
    case GK_STORE_F16: return launch_imma<__half>(d, ptrs, s);
    default: return cudaErrorInvalidValue;
    }
}
