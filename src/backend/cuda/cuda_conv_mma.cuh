/* FP16 and BF16 tiled convolution on tensor cores (mma.sync m16n8k16, FP32
 * accumulation): the tiled conv of cuda_conv_tile_kernel.cuh with its inner loop as
 * an implicit GEMM. Same blocks (an 8x8 output tile x MT channels), same
 * chunks of input channels through shared memory, same folded input
 * addressing and epilogue; the lowering takes it for every FP16 and BF16
 * conv of 16+ input and 5+ output channels, splitting the input channels
 * of small batches over 2 or 4 groups of warps (mma_pick). The two types share the
 * fragment layout and the rate; only the instruction's operand type differs
 * (.f16 or .bf16), so one kernel template serves both.
 *
 * GEMM view per block: rows are the 64 pixels (each of the 4 warps owns 16,
 * two rows of the tile), columns the MT channels (MT / 8 fragments of 8),
 * k runs tap-major over a chunk of 16 input channels, k = tap * 16 + c, so
 * a k step is one tap's 16 channels. Per chunk, the input rows are copied
 * by cp.async as whole 16-byte vectors into a staging area, then turned
 * channel-innermost ([position][16 channels]); the A fragment of a step is
 * then one ldmatrix.x4 (each pixel's 16 channels at the tap are 32
 * contiguous bytes), with no im2col table and no packing. The weights are
 * copied by cp.async from their tiled layout ([c][tap][mp]) into [k][MT]
 * rows, and B is read two fragments at a time by ldmatrix.x4.trans. An
 * NHWC input (what one tiled conv hands another, cuda_lower_layout.c)
 * skips the staging: each position's 16 channels are two 16-byte copies
 * straight into the patch, a folded upsample only their address. Such a
 * fill is cp.async alone, so it is pipelined: a group keeps up to 4
 * chunk buffers and multiplies one while the next are in flight. Where
 * every chunk of a block has its own buffer, the block keeps its weights
 * (copied once, not per tile and chunk: dec0's weight copies were a fifth
 * of its time at batch 32, H200 ncu) and, when the launch has more blocks
 * than the SMs hold at once, takes several tiles, the next tile's patches
 * in flight during the epilogue (the resident instances, mma_grid).
 *
 * This header holds the kernel and its launchers; cuda_conv_mma.cu
 * compiles the instances of one tile a block and the dispatch,
 * cuda_conv_mma_resident.cu the resident ones.
 *
 * GLINT_CUDA_NO_MMA=1 (read when a plan is prepared) keeps FP16 and BF16 on
 * the SIMT loop, for comparing the two. */
#ifndef GL_CUDA_CONV_MMA_CUH
#define GL_CUDA_CONV_MMA_CUH

#include <type_traits>

#include "backend/cuda/cuda_conv_tile.cuh"

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

/* Where half h (channels 8h .. 8h + 7) of patch position pos lies in the
 * channel-innermost patch, in elements (8 to a row, gk_patch_row). */
__device__ __forceinline__ int gm_patch_at(int pos, int h) {
    return gk_patch_row(pos, h) * 8;
}

/* The elements of one chunk buffer (patch, then weight rows), on both
 * sides: the host sizes the launch's shared memory by it. */
__host__ __device__ constexpr int gm_buf_elems(int ks, int s, int mt) {
    return GK_TILE_PATCH(ks, s) * GK_TILE_PATCH(ks, s) * GM_CK + GM_CK * ks * ks * (mt + 8);
}

/* The shared memory of one group of 4 warps, in elements. A buffer holds
 * one chunk: its patch channel-innermost (gm_patch_at) and its weights as
 * [k][MT] rows. An NHWC input is filled by cp.async alone, so a group
 * keeps `stages` such buffers and has the next chunks in flight while it
 * multiplies one; any other input goes through a staging area first (each
 * patch row as the aligned 8-element vectors of the input row that cover
 * it, RV of them) and the group has one buffer (stages 0). */
template <typename T, int KS, int S, int MT>
struct gm_layout {
    static constexpr int PH = GK_TILE_PATCH(KS, S), PW = PH, PATCH = PH * PW;
    static constexpr int RV = (PW + 14) / 8, RW = RV * 8, XP = PH * RW;
    static constexpr int KK = KS * KS, K = GM_CK * KK; /* k = tap * 16 + channel */
    static constexpr int WP = MT + 8;                  /* weight row stride: no bank conflicts */
    static constexpr int STAGE = GM_CK * XP, XS = PATCH * GM_CK, WS = K * WP;
    static constexpr int BUF = XS + WS; /* a multiple of 8: buffers stay 16-byte aligned */
    static_assert(BUF == gm_buf_elems(KS, S, MT), "one buffer size on both sides");
    /* one group's elements; its staging area (stages 0) first */
    __host__ __device__ static constexpr int group(int stages) {
        return stages ? stages * BUF : STAGE + BUF;
    }
};

/* Dynamic shared memory of a launch: each group's buffers, which the
 * groups after the first then reuse for their partial sums. */
template <typename T, int KS, int S, int MT, int KSPLIT>
constexpr size_t gm_smem_bytes(int stages) {
    const size_t bufs = (size_t)KSPLIT * gm_layout<T, KS, S, MT>::group(stages) * sizeof(T);
    const size_t sums = (size_t)(KSPLIT - 1) * MT / 2 * GK_TC_THREADS * sizeof(float);
    return bufs > sums ? bufs : sums;
}

/* Blocks per SM the register allocation has to allow: the 16-channel
 * blocks of a batch-32 64x64 layer keep 7 (72 registers; left alone the
 * compiler takes 80 and the layer loses a block per SM), the wider ones
 * 5 or 3, which still hold every block of such a layer at once (a
 * 32-channel block 102 registers: at 80 it spilled 40-48 bytes). */
#define GM_MIN_BLOCKS(mt, ksplit)                                                                  \
    ((ksplit) == 4 ? 1 : (ksplit) == 2 ? 3 : (mt) == 16 ? 7 : (mt) == 32 ? 5 : 3)

/* KSPLIT groups of 4 warps share a block's output; group grp takes chunks
 * grp, grp + KSPLIT, ... of the input channels and the first group adds
 * the others' sums before the epilogue (for the few blocks of batch-1 and
 * batch-8 layers). With stages > 0 the input is NHWC and read by vectors
 * (gk_nhwc_vectors), and each group cycles through that many buffers.
 * RESIDENT (KSPLIT 1, a buffer for every chunk: mma_resident): the block
 * keeps its weights and may take several tiles (mma_grid). Its own
 * instances, as its loop needs more registers: in one kernel with the
 * other form, the other form's instances spilled too, and dec2 (7 chunks)
 * ran 13.3 -> 14.4 us at batch 32 (H200). */
template <typename T, int KS, int S, int MT, int KSPLIT, bool RESIDENT>
__global__ void __launch_bounds__(GK_TC_THREADS * KSPLIT, GM_MIN_BLOCKS(MT, KSPLIT))
conv_mma_kernel(const __grid_constant__ gk_conv p, const T *__restrict__ x,
                const T *__restrict__ x2, const T *__restrict__ w,
                const T *__restrict__ b, const __grid_constant__ gk_ptrs ops,
                T *__restrict__ y, int stages) {
    static_assert(KSPLIT == 1 || KSPLIT == 2 || KSPLIT == 4, "gk_group_sync has 4 barriers");
    static_assert(!RESIDENT || KSPLIT == 1, "resident blocks are single groups");
    using L = gm_layout<T, KS, S, MT>;
    constexpr int PH = L::PH, PW = L::PW, PATCH = L::PATCH, RV = L::RV, RW = L::RW, XP = L::XP;
    constexpr int KK = L::KK, K = L::K, WP = L::WP;
    constexpr int NF = MT / 8; /* n fragments per warp */
    extern __shared__ __align__(16) unsigned char gm_shared[];
    const int grp = threadIdx.x / GK_TC_THREADS, tid = threadIdx.x % GK_TC_THREADS;
    const int nbuf = stages ? stages : 1;
    /* the group's staging area [channel][row][RW] (stages 0), then its buffers */
    T *const stage = reinterpret_cast<T *>(gm_shared) + grp * L::group(stages);
    T *const buf0 = stages ? stage : stage + L::STAGE; /* buffer i at buf0 + i * BUF */

    const int lane = tid & 31, warp = tid >> 5;
    const int g = lane >> 2, t = lane & 3;
    const int m0 = blockIdx.y * MT;
    const int mp = GK_TILE_MP(p.c_out);
    const gk_frag_pixels fp = gk_frag_pixels_of<S, PW>(warp, g);

    /* The A fragment of a k step (16 pixels x the 16 channels of one tap) is
     * one ldmatrix.x4: lanes 8i .. 8i + 7 name the rows of matrix i, pixels
     * (i & 1) * 8 .. + 7 of the warp at channel half i >> 1. Their shared
     * addresses per tap in buffer 0, worked out once. */
    unsigned a_at[KK];
    {
        const int i = lane >> 3, px = warp * 16 + (i & 1) * 8 + (lane & 7);
        const int pos0 = (px / GK_TILE_EDGE) * S * PW + (px % GK_TILE_EDGE) * S;
#pragma unroll
        for (int tap = 0; tap < KK; tap++)
            a_at[tap] = gk_smem(buf0 + gm_patch_at(pos0 + (tap / KS) * PW + tap % KS, i >> 1));
    }
    /* B of a k step, two n fragments per ldmatrix.x4.trans: lanes 0-15 name
     * rows k0 .. k0 + 15 at the pair's first 8 channels, lanes 16-31 the same
     * rows at its second 8. */
    const unsigned b_at = gk_smem(buf0 + L::XS + (lane & 15) * WP + (lane >> 4) * 8);

    /* A chunk's weights, [c][tap][mp] in memory (rows read in order) ->
     * ws[tap * 16 + c]: 16-byte copies, the same ones in every chunk but for
     * the chunk's first row, so each thread's are worked out once: where
     * copy i reads, from the chunk's first row (-1 past mp), and writes. */
    constexpr int NW = (K * (MT / 8) + GK_TC_THREADS - 1) / GK_TC_THREADS;
    int w_from[NW], w_to[NW];
#pragma unroll
    for (int i = 0; i < NW; i++) {
        const int e = tid + i * GK_TC_THREADS;
        const int v = e % (MT / 8), row = e / (MT / 8), c = row / KK, tap = row - c * KK;
        w_from[i] = e < K * (MT / 8) && m0 + 8 * v < mp ? row * mp + 8 * v : -1;
        w_to[i] = (tap * GM_CK + c) * WP + 8 * v;
    }
    /* The weights of chunk q of this group into buffer bi: zeros for
     * channels past the chunk (rows past cn * KK) and columns past mp. */
    auto fill_weights = [&](int q, int bi) {
        const int c0 = (grp + q * KSPLIT) * GM_CK, cn = min(GM_CK, p.c_in - c0);
        T *const ws = buf0 + bi * L::BUF + L::XS;
        const T *wc0 = w + (size_t)c0 * KK * mp + m0;
        const int w_end = cn * KK * mp;
#pragma unroll
        for (int i = 0; i < NW; i++) {
            if (tid + i * GK_TC_THREADS >= K * (MT / 8)) break;
            const bool ok = w_from[i] >= 0 && w_from[i] < w_end;
            gk_copy16(ws + w_to[i], ok ? wc0 + w_from[i] : w, ok);
        }
    };

    float acc[NF][4];
    /* acc += chunk product of buffer bq */
    auto multiply = [&](int bq) {
        const unsigned off = (unsigned)(bq * L::BUF * sizeof(T));
#pragma unroll
        for (int tap = 0; tap < KK; tap++) {
            uint32_t a[4];
            gk_ldsm_x4(a, a_at[tap] + off, false);
#pragma unroll
            for (int j = 0; j < NF; j += 2) {
                uint32_t b4[4];
                gk_ldsm_x4(b4, b_at + off + 2 * (tap * GM_CK * WP + j * 8), true);
                mma_16816<T>(acc[j], a, b4[0], b4[1]);
                mma_16816<T>(acc[j + 1], a, b4[2], b4[3]);
            }
        }
    };
    /* The sums of tile tp of sample n, plus bias, through the epilogue:
     * acc[j][h * 2 + q] is pixel h ? fp.p1 : fp.p0, channel m0 + j * 8 + 2 * t + q. */
    auto finish = [&](const gk_tile_pos &tp, int n) {
        float r[NF][4];
#pragma unroll
        for (int j = 0; j < NF; j++)
#pragma unroll
            for (int q = 0; q < 2; q++) {
                const float bias = b ? gk_ld(b, gk_frag_channel(p, m0, t, j, q)) : 0.0f;
                r[j][q] = acc[j][q] + bias;
                r[j][2 + q] = acc[j][2 + q] + bias;
            }
        gk_frag_store<T, NF>(p, tp, ops, n, m0, t, fp.p0, fp.p1, r, y);
    };
    auto zero = [&] {
#pragma unroll
        for (int j = 0; j < NF; j++) acc[j][0] = acc[j][1] = acc[j][2] = acc[j][3] = 0.0f;
    };

    /* The group's chunks of input channels. */
    const int chunks = (p.c_in - grp * GM_CK + GM_CK * KSPLIT - 1) / (GM_CK * KSPLIT);
    if constexpr (RESIDENT) {
        /* The launch's tiles (8x8 outputs of one sample, tile_xy + n *
         * tiles_xy): tile blockIdx.x + blockIdx.z * gridDim.x, then every
         * gridDim.x * gridDim.z further on (one, or several where mma_grid
         * gives fewer blocks). */
        const int tiles_xy = gk_tiles_xy(p), tiles = tiles_xy * p.n;
        const int stride = gridDim.x * gridDim.z;
        int tile = blockIdx.x + blockIdx.z * gridDim.x;
        /* Every chunk has a buffer of its own (an NHWC input, chunk q in
         * buffer q): the weights are copied once, with the block's first
         * tile, and while a tile's epilogue runs the next tile's patches
         * are already in flight. */
        auto fill_patches = [&](int at, bool weights) { /* tile `at`'s chunks, a commit each */
            const int nn = at / tiles_xy;
            const gk_tile_pos tn = gk_tile_origin_at(p, at - nn * tiles_xy);
            const gk_tile_src<T> src(p, x, x2, nn);
            const gk_nhwc_fill<2, PATCH, PW, T> nhwc(src, tn.iy0, tn.ix0, tid);
            for (int q = 0; q < chunks; q++) {
                if (weights) fill_weights(q, q);
                const int c0 = q * GM_CK;
                nhwc.chunk(src, c0, min(GM_CK, p.c_in - c0), buf0 + q * L::BUF, gm_patch_at, tid);
                gk_fill_commit();
            }
        };
        if (tile < tiles) fill_patches(tile, true);
        for (; tile < tiles; tile += stride) {
            zero();
            for (int q = 0; q < chunks; q++) {
                gk_fill_pending(min(chunks - q - 1, 3));
                gk_group_sync<KSPLIT>(grp); /* chunk q is in place for the whole group */
                multiply(q);
            }
            if (tile + stride < tiles) {
                gk_group_sync<KSPLIT>(grp); /* every buffer has been read */
                fill_patches(tile + stride, false);
            }
            const int n = tile / tiles_xy;
            finish(gk_tile_origin_at(p, tile - n * tiles_xy), n);
        }
        return;
    }

    /* One tile a block, its chunks through nbuf buffers. */
    const int n = blockIdx.z;
    const gk_tile_pos tp = gk_tile_origin(p);
    const gk_tile_src<T> src(p, x, x2, n);
    const int xv = tp.ix0 & ~7, shift = tp.ix0 - xv; /* first stored column, patch origin */
    /* Whole vectors need rows of a multiple of 8 elements (then every vector
     * lies wholly inside the row or wholly in the padding, and every row
     * starts 16-byte aligned, the tensors being so); otherwise the patch is
     * gathered element by element. */
    const bool by_vector =
        !src.nhwc && (p.w & 7) == 0 && (((uintptr_t)src.xa | (uintptr_t)src.xb) & 15) == 0;
    const gk_nhwc_fill<2, PATCH, PW, T> nhwc(src, tp.iy0, tp.ix0, tid);

    /* Chunk q of this group (input channels c0 .. c0 + 15) into buffer bi:
     * the weights, then the patch. Only the NHWC fill is left in flight;
     * the others end with a barrier. */
    auto fill = [&](int q, int bi) {
        const int c0 = (grp + q * KSPLIT) * GM_CK, cn = min(GM_CK, p.c_in - c0);
        T *const xs = buf0 + bi * L::BUF;
        fill_weights(q, bi);
        if (stages) {
            nhwc.chunk(src, c0, cn, xs, gm_patch_at, tid);
        } else if (by_vector) {
            gk_fill_rows<GM_CK, PH, RV, RW, XP>(src, c0, cn, tp.iy0, xv, stage, tid);
            gk_fill_wait();
            gk_group_sync<KSPLIT>(grp);
            /* staging -> channel-innermost: 8 channels of one position a store */
            for (int e = tid; e < 2 * PATCH; e += GK_TC_THREADS) {
                const int h = e / PATCH, pos = e - h * PATCH, r = pos / PW;
                const T *s = stage + 8 * h * XP + r * RW + shift + (pos - r * PW);
                *reinterpret_cast<uint4 *>(xs + gm_patch_at(pos, h)) =
                    make_uint4(gk_pack2(s[0], s[XP]), gk_pack2(s[2 * XP], s[3 * XP]),
                               gk_pack2(s[4 * XP], s[5 * XP]), gk_pack2(s[6 * XP], s[7 * XP]));
            }
        } else {
            for (int e = tid; e < 2 * PATCH; e += GK_TC_THREADS) {
                const int h = e / PATCH, pos = e - h * PATCH, r = pos / PW;
                T v[8];
#pragma unroll
                for (int u = 0; u < 8; u++)
                    if (!(8 * h + u < cn &&
                          src.read(c0 + 8 * h + u, tp.iy0 + r, tp.ix0 + pos - r * PW, &v[u])))
                        v[u] = gk_cvt<T>(0.0f);
                *reinterpret_cast<uint4 *>(xs + gm_patch_at(pos, h)) =
                    make_uint4(gk_pack2(v[0], v[1]), gk_pack2(v[2], v[3]), gk_pack2(v[4], v[5]),
                               gk_pack2(v[6], v[7]));
            }
        }
        gk_fill_commit();
    };

    zero();
    gk_chunk_loop<KSPLIT>(chunks, nbuf, grp, fill, multiply);
    if (!gk_split_sum<KSPLIT>(acc, reinterpret_cast<float *>(gm_shared), grp, tid)) return;
    finish(tp, n);
}

/* Buffers per group for an NHWC input read by vectors (the kernel's
 * gk_nhwc_vectors, worked out here from the same facts): gk_tc_stages;
 * 0 for any other input (one buffer behind a staging area). */
static inline int mma_stages(const gk_conv &p, const void *x, const void *x2) {
    const int c_a = p.split_arg >= 0 ? p.c_split : p.c_in, c_b = p.c_in - c_a;
    if (!p.x_nhwc || (c_a & 7) || (c_b & 7) || (((uintptr_t)x | (uintptr_t)x2) & 15)) return 0;
    const size_t buf = (size_t)gm_buf_elems(p.kh, p.sh, p.tile_mt) * 2; /* 16-bit values */
    return gk_tc_stages((p.c_in + GM_CK - 1) / GM_CK, p.tile_ksplit, (size_t)p.tile_ksplit * buf);
}

/* Whether launch p takes the resident kernels: a single group of warps
 * a block with a buffer for each of its chunks (an NHWC input of at most
 * 4 chunks, as far as 48 KB hold them). */
static inline bool mma_resident(const gk_conv &p, const void *const *ptrs) {
    const void *x2 = p.split_arg >= 0 ? ptrs[p.split_arg] : nullptr;
    return p.tile_ksplit == 1 && mma_stages(p, ptrs[0], x2) >= (p.c_in + GM_CK - 1) / GM_CK;
}

/* The grid of a launch: a block per 8x8 tile, channel block and sample;
 * for the resident kernels, where those blocks would take more than one
 * round of the SMs, as many blocks as one round holds, evenly, each taking
 * every gridDim.x-th tile (so each copies its weights once for 2-3 tiles:
 * dec0 at batch 32, 2,048 tiles on 924 block slots of an H200). */
template <typename K>
static dim3 mma_grid(K kernel, const gk_conv &p, bool resident, size_t bytes) {
    const dim3 one = gk_tile_grid(p, p.tile_mt);
    const int tiles = gk_tiles_xy(p) * p.n, channel_blocks = (int)one.y;
    if (!resident) return one;
    int dev = 0, sms = 0, per_sm = 0;
    if (cudaGetDevice(&dev) != cudaSuccess ||
        cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess ||
        cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, GK_TC_THREADS, bytes) !=
            cudaSuccess ||
        sms < 1 || per_sm < 1) {
        (void)cudaGetLastError(); /* the usual grid then; nothing left for the launch check */
        return one;
    }
    const int64_t slots = (int64_t)sms * per_sm;
    const int64_t rounds = ((int64_t)tiles * channel_blocks + slots - 1) / slots;
    if (rounds < 2) return one;
    return dim3((unsigned)((tiles + rounds - 1) / rounds), (unsigned)channel_blocks, 1);
}

/* One instance's launch; blocks over 48 KB of shared memory have to be
 * allowed it first. */
template <typename T, int KS, int S, int MT, int KSPLIT, bool RESIDENT>
static void launch_mma_instance(const gk_conv &p, void *const *ptrs, const gk_ptrs &ops,
                                cudaStream_t s) {
    const T *x2 = p.split_arg >= 0 ? (const T *)ptrs[p.split_arg] : nullptr;
    const int stages = mma_stages(p, ptrs[0], x2);
    const size_t bytes = gm_smem_bytes<T, KS, S, MT, KSPLIT>(stages);
    auto kernel = conv_mma_kernel<T, KS, S, MT, KSPLIT, RESIDENT>;
    if (!gk_allow_smem(kernel, bytes)) return;
    const dim3 grid = mma_grid(kernel, p, RESIDENT, bytes);
    kernel<<<grid, GK_TC_THREADS * KSPLIT, bytes, s>>>(p, (const T *)ptrs[0], x2, (const T *)ptrs[1],
                                                    (const T *)ptrs[2], ops, (T *)ptrs[p.out_arg],
                                                    stages);
}

/* A launch of the resident kernels (RESIDENT, when mma_resident says so)
 * or of the others. */
template <typename T, bool RESIDENT>
static cudaError_t launch_mma(const gk_desc *d, void *const *ptrs, cudaStream_t s) {
    const gk_conv &p = d->u.conv;
    if (!gk_conv_tile_ok(&p) || !gk_tc_block_ok(p)) return cudaErrorInvalidValue;
    if ((uintptr_t)ptrs[1] & 15) return cudaErrorInvalidValue; /* cp.async of weight rows */
    if (mma_resident(p, ptrs) != RESIDENT) return cudaErrorInvalidValue;
    if (p.n == 0 || p.oh == 0 || p.ow == 0 || p.c_out == 0) return cudaSuccess;
    gk_ptrs ops;
    for (int i = 0; i < GK_MAX_ARGS; i++) ops.p[i] = ptrs[i];
    return gk_tile_by_shape(p, [&](auto ks, auto st) {
        return gk_tc_by_block(p, [&](auto mt, auto ksplit) {
            if constexpr (!RESIDENT || ksplit() == 1)
                launch_mma_instance<T, ks(), st(), mt(), ksplit(), RESIDENT>(p, ptrs, ops, s);
        });
    });
}

/* The resident instances, compiled apart (cuda_conv_mma_resident.cu). */
cudaError_t gk_conv_mma_resident(const gk_desc *d, void *const *ptrs, gk_store st,
                                 cudaStream_t s);

#endif
