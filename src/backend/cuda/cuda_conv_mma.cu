/* FP16 and BF16 tiled convolution on tensor cores (mma.sync m16n8k16, FP32
 * accumulation): the tiled conv of cuda_conv_tile_kernel.cuh with its inner loop as
 * an implicit GEMM. Same blocks (an 8x8 output tile x MT channels), same
 * chunks of input channels through shared memory, same folded input
 * addressing and epilogue; the lowering takes it for FP16 and BF16 launches
 * with blocks of 16 channels or more over 16+ input channels (batch 8 and
 * up), where the SIMT loop is bound by its FMAs. The two types share the
 * fragment layout and the rate; only the instruction's operand type differs
 * (.f16 or .bf16), so one kernel template serves both.
 *
 * GEMM view per block: rows are the 64 pixels (each of the 4 warps owns 16,
 * two rows of the tile), columns the MT channels (MT / 8 fragments of 8),
 * k runs over (input channel, tap) of a chunk: 16 channels x KS*KS taps, a
 * multiple of 16. The A fragment is gathered from the input patch through
 * a table of k -> patch offsets (im2col in registers, nothing written); B
 * comes from the weights kept as [channel][k] in shared memory, so each
 * register holds two consecutive k (one 32-bit load).
 *
 * GLINT_CUDA_NO_MMA=1 (read when a plan is prepared) keeps FP16 and BF16 on
 * the SIMT loop, for comparing the two. */
#include <type_traits>

#include "backend/cuda/cuda_conv_tile.cuh"

#define GM_TILE GK_TILE_EDGE
#define GM_THREADS 128 /* 4 warps x 16 pixels */
#define GM_CK 16       /* input channels per chunk */

/* d += a * b on one m16n8k16 tile; T (__half or __nv_bfloat16) picks the
 * operand type, both packed two to a register. */
template <typename T>
__device__ __forceinline__ void mma_16816(float (&d)[4], const uint32_t (&a)[4], uint32_t b0,
                                          uint32_t b1) {
    if constexpr (std::is_same_v<T, __nv_bfloat16>)
        asm volatile(
            "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
            "{%8,%9}, {%0,%1,%2,%3};\n"
            : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
            : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
    else
        asm volatile(
            "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
            "{%8,%9}, {%0,%1,%2,%3};\n"
            : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
            : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ uint32_t bits16(__half v) { return __half_as_ushort(v); }
__device__ __forceinline__ uint32_t bits16(__nv_bfloat16 v) { return __bfloat16_as_ushort(v); }
template <typename T>
__device__ __forceinline__ uint32_t pack2(T lo, T hi) {
    return bits16(lo) | (bits16(hi) << 16);
}

/* One 8-element vector of the patch: input channel ci, row iy, columns
 * ix .. ix + 7 (ix a multiple of 8, as the row length is) into dst (16-byte
 * aligned shared memory); zeros in the padding and for channels past the
 * chunk (ok false). A full-size input is copied by cp.async, which also
 * writes the zeros; a folded 2x upsample reads 4 elements and doubles
 * each. */
template <typename T>
__device__ __forceinline__ void gm_fill_vector(const gk_tile_src<T> &src, int ci, bool ok, int iy,
                                               int ix, T *dst) {
    const bool in_a = ci < src.c_a;
    const int up = in_a ? src.sa : src.sb, hs = in_a ? src.hsa : src.hsb, ws = in_a ? src.wsa : src.wsb;
    const T *plane = in_a ? src.xa + (size_t)ci * hs * ws : src.xb + (size_t)(ci - src.c_a) * hs * ws;
    ok = ok && iy >= 0 && iy < src.h && ix >= 0 && ix < src.w;
    const T *from = ok ? plane + (size_t)(iy >> up) * ws + (ix >> up) : src.xa;
    if (!up) { /* nothing is read when the size is 0 */
        const unsigned d = (unsigned)__cvta_generic_to_shared(dst);
        asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(d), "l"(from),
                     "r"(ok ? 16 : 0));
        return;
    }
    uint2 h = make_uint2(0u, 0u); /* 4 elements, each stored twice */
    if (ok) h = *reinterpret_cast<const uint2 *>(from);
    const uint32_t lo = h.x & 0xffffu, mid = h.x >> 16, hi = h.y & 0xffffu, top = h.y >> 16;
    *reinterpret_cast<uint4 *>(dst) =
        make_uint4(lo | lo << 16, mid | mid << 16, hi | hi << 16, top | top << 16);
}

/* The vector fill's copies have landed (the caller's barrier then makes
 * them visible to the block). */
__device__ __forceinline__ void gm_fill_wait() {
    asm volatile("cp.async.commit_group;\ncp.async.wait_group 0;\n" ::: "memory");
}

template <typename T, int KS, int S, int MT>
__global__ void __launch_bounds__(GM_THREADS)
conv_mma_kernel(const __grid_constant__ gk_conv p, const T *__restrict__ x,
                const T *__restrict__ x2, const T *__restrict__ w,
                const T *__restrict__ b, const __grid_constant__ gk_ptrs ops,
                T *__restrict__ y) {
    constexpr int PH = GK_TILE_PATCH(KS, S), PW = PH;
    /* A patch row is kept as the 8-element vectors of the input row that
     * cover it (RV of them, 16 bytes each), so that the fill copies whole
     * aligned vectors; the patch's first column lies `shift` = ix0 mod 8
     * elements into the stored row (the same for the whole block). */
    constexpr int RV = (PW + 14) / 8, RW = RV * 8, XP = PH * RW;
    constexpr int KK = KS * KS, K = GM_CK * KK; /* 144 or 16: a multiple of 16 */
    constexpr int KP = K + 8;                   /* row stride of the weights: no bank conflicts */
    constexpr int NF = MT / 8;                  /* n fragments per warp */
    __shared__ __align__(16) T xs[GM_CK * XP];
    __shared__ __align__(16) T ws[MT * KP];
    __shared__ int koff[K];

    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int g = lane >> 2, t = lane & 3;
    const gk_tile_pos tp = gk_tile_origin(p);
    const int m0 = blockIdx.y * MT, n = blockIdx.z;
    const gk_tile_src<T> src(p, x, x2, n);
    const int mp = GK_TILE_MP(p.c_out);
    const int xv = tp.ix0 & ~7, shift = tp.ix0 - xv; /* first stored column, patch origin */
    /* Whole vectors need rows of a multiple of 8 elements (then every vector
     * lies wholly inside the row or wholly in the padding, and every row
     * starts 16-byte aligned, the tensors being so); otherwise the patch is
     * filled element by element into the same layout. */
    const bool by_vector =
        (p.w & 7) == 0 && (((uintptr_t)src.xa | (uintptr_t)src.xb) & 15) == 0;

    for (int k = tid; k < K; k += GM_THREADS) {
        const int c = k / KK, tap = k - c * KK;
        koff[k] = c * XP + (tap / KS) * RW + tap % KS + shift;
    }
    const auto [p0, p1, base0, base1] = gk_frag_pixels_of<S, RW>(warp, g);

    float acc[NF][4];
#pragma unroll
    for (int j = 0; j < NF; j++) acc[j][0] = acc[j][1] = acc[j][2] = acc[j][3] = 0.0f;

    for (int c0 = 0; c0 < p.c_in; c0 += GM_CK) {
        const int cn = min(GM_CK, p.c_in - c0);
        __syncthreads(); /* the previous chunk has been read (and koff written) */
        if (by_vector) {
            for (int e = tid; e < GM_CK * PH * RV; e += GM_THREADS) {
                const int v = e % RV, cr = e / RV, r = cr % PH, c = cr / PH;
                gm_fill_vector(src, c0 + c, c < cn, tp.iy0 + r, xv + 8 * v,
                               xs + c * XP + r * RW + 8 * v);
            }
        } else {
            for (int e0 = tid; e0 < GM_CK * PH * PW; e0 += 8 * GM_THREADS) {
                T v[8];
#pragma unroll
                for (int u = 0; u < 8; u++) {
                    const int e = e0 + u * GM_THREADS, c = e / (PH * PW), r = e - c * (PH * PW);
                    if (!(e < GM_CK * PH * PW && c < cn &&
                          src.read(c0 + c, tp.iy0 + r / PW, tp.ix0 + r % PW, &v[u])))
                        v[u] = gk_cvt<T>(0.0f);
                }
#pragma unroll
                for (int u = 0; u < 8; u++) {
                    const int e = e0 + u * GM_THREADS, c = e / (PH * PW), r = e - c * (PH * PW);
                    if (e < GM_CK * PH * PW) xs[c * XP + (r / PW) * RW + shift + r % PW] = v[u];
                }
            }
        }
        /* weights [c][tap][mp] in memory -> ws[channel][k] */
        const T *wc0 = w + (size_t)c0 * KK * mp + m0;
        for (int e0 = tid; e0 < K * MT; e0 += 8 * GM_THREADS) {
            T v[8];
#pragma unroll
            for (int u = 0; u < 8; u++) {
                const int e = e0 + u * GM_THREADS, k = e / MT, m = e % MT;
                v[u] = gk_cvt<T>(0.0f);
                if (e < K * MT && k < cn * KK) v[u] = wc0[(size_t)k * mp + m];
            }
#pragma unroll
            for (int u = 0; u < 8; u++) {
                const int e = e0 + u * GM_THREADS;
                if (e < K * MT) ws[(e % MT) * KP + e / MT] = v[u];
            }
        }
        gm_fill_wait();
        __syncthreads();
#pragma unroll 3
        for (int k0 = 0; k0 < K; k0 += 16) {
            const int ka = k0 + 2 * t, kb = ka + 8;
            const int o0 = koff[ka], o1 = koff[ka + 1], o2 = koff[kb], o3 = koff[kb + 1];
            uint32_t a[4];
            a[0] = pack2(xs[base0 + o0], xs[base0 + o1]);
            a[1] = pack2(xs[base1 + o0], xs[base1 + o1]);
            a[2] = pack2(xs[base0 + o2], xs[base0 + o3]);
            a[3] = pack2(xs[base1 + o2], xs[base1 + o3]);
#pragma unroll
            for (int j = 0; j < NF; j++) {
                const T *wr = ws + (j * 8 + g) * KP;
                const uint32_t b0 = *reinterpret_cast<const uint32_t *>(wr + ka);
                const uint32_t b1 = *reinterpret_cast<const uint32_t *>(wr + kb);
                mma_16816<T>(acc[j], a, b0, b1);
            }
        }
    }

    /* acc[j][h * 2 + q]: pixel h ? p1 : p0, channel m0 + j * 8 + 2 * t + q */
    float r[NF][4];
#pragma unroll
    for (int j = 0; j < NF; j++)
#pragma unroll
        for (int q = 0; q < 2; q++) {
            const float bias = b ? gk_ld(b, gk_frag_channel(p, m0, t, j, q)) : 0.0f;
            r[j][q] = acc[j][q] + bias;
            r[j][2 + q] = acc[j][2 + q] + bias;
        }
    gk_frag_store<T, NF>(p, tp, ops, n, m0, t, p0, p1, r, y);
}

template <typename T>
static cudaError_t launch_mma(const gk_desc *d, void *const *ptrs, cudaStream_t s) {
    const gk_conv &p = d->u.conv;
    if (!gk_conv_tile_ok(&p) || p.tile_ksplit != 1) return cudaErrorInvalidValue;
    if (p.n == 0 || p.oh == 0 || p.ow == 0 || p.c_out == 0) return cudaSuccess;
    const T *x2 = p.split_arg >= 0 ? (const T *)ptrs[p.split_arg] : nullptr;
    dim3 grid((unsigned)(((p.oh + GM_TILE - 1) / GM_TILE) * ((p.ow + GM_TILE - 1) / GM_TILE)),
              (unsigned)((p.c_out + p.tile_mt - 1) / p.tile_mt), (unsigned)p.n);
    gk_ptrs ops;
    for (int i = 0; i < GK_MAX_ARGS; i++) ops.p[i] = ptrs[i];
    return gk_tile_by_shape(p, [&](auto ks, auto st) {
        return gk_frag_by_width(p.tile_mt, [&](auto mt) {
            conv_mma_kernel<T, ks(), st(), mt()><<<grid, GM_THREADS, 0, s>>>(
                p, (const T *)ptrs[0], x2, (const T *)ptrs[1], (const T *)ptrs[2], ops,
                (T *)ptrs[p.out_arg]);
        });
    });
}

cudaError_t gk_run_conv_mma(const gk_desc *d, void *const *ptrs, gk_store st, cudaStream_t s) {
    switch (st) {
    case GK_STORE_F16: return launch_mma<__half>(d, ptrs, s);
    case GK_STORE_BF16: return launch_mma<__nv_bfloat16>(d, ptrs, s);
    default: return cudaErrorInvalidValue; /* no FP32 form: the lowering never asks */
    }
}
