/* What the tiled convolution kernels (cuda_conv_tile_kernel.cuh, SIMT;
 * cuda_conv_mma.cuh and cuda_conv_imma.cuh, tensor cores) share: where a
 * block's output tile and its input patch lie, how the patch loader reads
 * the conv's input, and the tensor-core kernels' epilogue and building
 * blocks (cp.async, ldmatrix, the vector fill, split-block barriers and
 * sums). */
#ifndef GL_CUDA_CONV_TILE_CUH
#define GL_CUDA_CONV_TILE_CUH

#include <type_traits>

#include "backend/cuda/cuda_device.cuh"

/* An output tile of a sample's plane (tiles numbered row by row): its
 * first row and column, and its input patch's (padding included). */
struct gk_tile_pos {
    int oy0, ox0, iy0, ix0;
};
__host__ __device__ __forceinline__ int gk_tiles_xy(const gk_conv &p) {
    return ((p.oh + GK_TILE_EDGE - 1) / GK_TILE_EDGE) * ((p.ow + GK_TILE_EDGE - 1) / GK_TILE_EDGE);
}
__device__ __forceinline__ gk_tile_pos gk_tile_origin_at(const gk_conv &p, int tile) {
    const int tiles_x = (p.ow + GK_TILE_EDGE - 1) / GK_TILE_EDGE;
    const int ty = tile / tiles_x, tx = tile - ty * tiles_x;
    gk_tile_pos t;
    t.oy0 = ty * GK_TILE_EDGE;
    t.ox0 = tx * GK_TILE_EDGE;
    t.iy0 = t.oy0 * p.sh - p.ph;
    t.ix0 = t.ox0 * p.sw - p.pw;
    return t;
}
/* The tiled kernels' usual grid: blockIdx.x = tile, y = channel block of
 * mt channels, z = sample; and the tile of a block of it. */
static inline dim3 gk_tile_grid(const gk_conv &p, int mt) {
    return dim3((unsigned)gk_tiles_xy(p), (unsigned)((p.c_out + mt - 1) / mt), (unsigned)p.n);
}
__device__ __forceinline__ gk_tile_pos gk_tile_origin(const gk_conv &p) {
    return gk_tile_origin_at(p, blockIdx.x);
}

/* Sample n of the conv's logical input: channels [0, c_a) from x and the
 * rest from x2 (a folded concat), each part with its own nearest 2x
 * upsample (read at half the coordinates of a half-size tensor), both
 * parts NCHW or both NHWC (gk_conv.x_nhwc). */
template <typename T>
struct gk_tile_src {
    const T *xa, *xb;
    int c_a, c_b, sa, sb, hsa, wsa, hsb, wsb, h, w;
    bool nhwc;

    __device__ __forceinline__ gk_tile_src(const gk_conv &p, const T *x, const T *x2, int n) {
        c_a = p.split_arg >= 0 ? p.c_split : p.c_in;
        c_b = p.c_in - c_a;
        sa = p.up == 2;
        sb = p.up2 == 2;
        hsa = p.h >> sa;
        wsa = p.w >> sa;
        hsb = p.h >> sb;
        wsb = p.w >> sb;
        h = p.h;
        w = p.w;
        nhwc = p.x_nhwc != 0;
        xa = x + (size_t)n * c_a * hsa * wsa;
        xb = x2 ? x2 + (size_t)n * c_b * hsb * wsb : x;
    }
    /* Where input channel ci at (iy, ix) lies (inside the input). */
    __device__ __forceinline__ const T *at(int ci, int iy, int ix) const {
        const bool in_a = ci < c_a;
        const int s = in_a ? sa : sb, hs = in_a ? hsa : hsb, ws = in_a ? wsa : wsb;
        const int c = in_a ? ci : ci - c_a, cs = in_a ? c_a : c_b;
        const int pix = (iy >> s) * ws + (ix >> s);
        return (in_a ? xa : xb) + (nhwc ? pix * cs + c : c * hs * ws + pix);
    }
    /* Input channel ci at (iy, ix); false in the padding. */
    __device__ __forceinline__ bool read(int ci, int iy, int ix, T *v) const {
        if (iy < 0 || iy >= h || ix < 0 || ix >= w) return false;
        *v = *at(ci, iy, ix);
        return true;
    }
};

/* Where output value (n, m, pixel i of plane) of conv p lies, in its NCHW or
 * NHWC output (gk_conv.y_nhwc). */
__device__ __forceinline__ size_t gk_out_at(const gk_conv &p, int n, int m, int i, int plane) {
    return p.y_nhwc ? ((size_t)n * plane + i) * p.c_out + m : ((size_t)n * p.c_out + m) * plane + i;
}

/* Two 16-bit values as one word, the first in the low half. */
__device__ __forceinline__ uint32_t gk_bits16(__half v) { return __half_as_ushort(v); }
__device__ __forceinline__ uint32_t gk_bits16(__nv_bfloat16 v) { return __bfloat16_as_ushort(v); }
template <typename T>
__device__ __forceinline__ uint32_t gk_pack2(T lo, T hi) {
    return gk_bits16(lo) | (gk_bits16(hi) << 16);
}

/* An NHWC pixel's values r[0 .. PM) for channels m .. m + PM - 1 at y + at,
 * only the first `count` (those inside c_out): 16-byte stores where the
 * storage is 16-bit and the run whole and aligned, else one at a time
 * (the SIMT conv's threads each hold PM channels of one pixel). */
template <typename T, int PM>
__device__ __forceinline__ void gk_st_pixel(T *y, size_t at, const float (&r)[PM], int count) {
    if constexpr (sizeof(T) == 2 && PM % 8 == 0)
        if (count >= PM && ((uintptr_t)(y + at) & 15) == 0) {
#pragma unroll
            for (int q = 0; q < PM / 8; q++) {
                uint32_t w[4];
#pragma unroll
                for (int u = 0; u < 4; u++)
                    w[u] = gk_pack2(gk_cvt<T>(r[8 * q + 2 * u]), gk_cvt<T>(r[8 * q + 2 * u + 1]));
                reinterpret_cast<uint4 *>(y + at)[q] = make_uint4(w[0], w[1], w[2], w[3]);
            }
            return;
        }
#pragma unroll
    for (int j = 0; j < PM; j++)
        if (j < count) gk_st(y, at + j, r[j]);
}

/* INT8 activations in memory (gk_conv.y_codes): variant k of the output
 * starts at byte k * numel (at most two, unrolled so that both variants'
 * quantisations interleave). */
#define GK_FOR_CODE_VARIANT(p, k) \
    _Pragma("unroll") for (int k = 0; k < 2 && k < (p).y_codes; k++)
__device__ __forceinline__ int8_t *gk_code_variant(const gk_conv &p, void *y, int k) {
    return reinterpret_cast<int8_t *>(y) + (size_t)k * p.n * p.c_out * p.oh * p.ow;
}

/* Codes q[0 .. 3] as one word, q[0] in the lowest byte (first in memory). */
__device__ __forceinline__ uint32_t gk_code_word(const int *q) {
    return (uint32_t)(q[0] & 0xff) | (uint32_t)(q[1] & 0xff) << 8 | (uint32_t)(q[2] & 0xff) << 16 |
           (uint32_t)(q[3] & 0xff) << 24;
}

/* A pixel's values r[0 .. PM) for channels from y + at, only the first
 * `count`, as each variant's int8 codes: 4 to a word where the run is
 * whole and aligned, else byte by byte. */
template <int PM>
__device__ __forceinline__ void gk_st_codes(const gk_conv &p, int8_t *y, size_t at,
                                            const float (&r)[PM], int count) {
    GK_FOR_CODE_VARIANT(p, k) {
        int c[PM];
        gk_quantize_n<PM>(r, p.y_scale[k], p.y_inv[k], p.y_zp[k], c);
        int8_t *yk = gk_code_variant(p, y, k) + at;
        if constexpr (PM % 4 == 0)
            if (count >= PM && ((uintptr_t)yk & 3) == 0) {
#pragma unroll
                for (int w = 0; w < PM / 4; w++)
                    reinterpret_cast<uint32_t *>(yk)[w] = gk_code_word(c + 4 * w);
                continue;
            }
#pragma unroll
        for (int j = 0; j < PM; j++)
            if (j < count) yk[j] = (int8_t)c[j];
    }
}

/* An input of int8 codes (gk_conv.x_codes), on the host: false unless the
 * kernels can read it as the lowering promised (NHWC, 16-byte aligned
 * parts of multiples of 16 channels, variant 0 or 1 of each); else *x and
 * *x2 (NULL without a concat) move to the variants the conv reads, each
 * x_var / x2_var whole parts of codes on. */
static inline bool gk_code_inputs(const gk_conv &p, const void **x, const void **x2) {
    const int c_a = p.split_arg >= 0 ? p.c_split : p.c_in, c_b = p.c_in - c_a;
    if (!p.x_nhwc || (c_a & 15) || (c_b & 15) || (((uintptr_t)*x | (uintptr_t)*x2) & 15) ||
        p.x_var < 0 || p.x_var > 1 || p.x2_var < 0 || p.x2_var > 1)
        return false;
    *x = (const int8_t *)*x + (size_t)p.x_var * p.n * c_a * (p.h / p.up) * (p.w / p.up);
    if (*x2)
        *x2 = (const int8_t *)*x2 + (size_t)p.x2_var * p.n * c_b * (p.h / p.up2) * (p.w / p.up2);
    return true;
}

/* Launch-time dispatch of the tiled kernels onto their template instances:
 * f(KS, S) with the kernel size and stride as std::integral_constant
 * (1x1 or 3x3, stride 1 or 2: what gk_conv_tile_ok admits), then the
 * tensor-core kernels' f(MT, KSPLIT), then the launch error. */
template <int V>
using gk_int = std::integral_constant<int, V>;
template <typename F>
static inline cudaError_t gk_tile_by_shape(const gk_conv &p, F f) {
    if (p.kh == 1) return p.sh == 1 ? f(gk_int<1>(), gk_int<1>()) : f(gk_int<1>(), gk_int<2>());
    return p.sh == 1 ? f(gk_int<3>(), gk_int<1>()) : f(gk_int<3>(), gk_int<2>());
}

/* The tensor-core kernels' blocks: 16-64 output channels in one group of
 * warps, or 16 split over 2 or 4 groups (what the lowering asks:
 * cuda_lower_nn.c, mma_pick). */
static inline bool gk_tc_block_ok(const gk_conv &p) {
    if (p.tile_ksplit == 1)
        return p.tile_mt == 16 || p.tile_mt == 32 || p.tile_mt == 48 || p.tile_mt == 64;
    return p.tile_mt == 16 && (p.tile_ksplit == 2 || p.tile_ksplit == 4);
}
template <typename F>
static inline cudaError_t gk_tc_by_block(const gk_conv &p, F f) {
    if (!gk_tc_block_ok(p)) return cudaErrorInvalidValue;
    switch (p.tile_ksplit == 1 ? p.tile_mt : -p.tile_ksplit) {
    case 16: f(gk_int<16>(), gk_int<1>()); break;
    case 32: f(gk_int<32>(), gk_int<1>()); break;
    case 48: f(gk_int<48>(), gk_int<1>()); break;
    case 64: f(gk_int<64>(), gk_int<1>()); break;
    case -2: f(gk_int<16>(), gk_int<2>()); break;
    default: f(gk_int<16>(), gk_int<4>()); break;
    }
    return cudaGetLastError();
}

/* A channel-innermost patch whose positions are two 16-byte rows each (16
 * halves, or 32 INT8 codes): the row that holds half h of position pos.
 * The halves of every other group of four positions are swapped, so that
 * the 8 rows an ldmatrix phase reads (8 consecutive positions, one half)
 * fall in distinct banks. */
__device__ __forceinline__ int gk_patch_row(int pos, int h) {
    return 2 * pos + ((h ^ (pos >> 2)) & 1);
}

/* A tensor-core thread's two output pixels: rows g and g + 8 (g = lane / 4)
 * of its warp's 16, i.e. tile pixels p0 and p1 (what gk_frag_store takes),
 * and where their receptive fields start in a patch of rows PW long. */
struct gk_frag_pixels {
    int p0, p1, base0, base1;
};
template <int S, int PW>
__device__ __forceinline__ gk_frag_pixels gk_frag_pixels_of(int warp, int g) {
    gk_frag_pixels f;
    f.p0 = warp * 16 + g;
    f.p1 = f.p0 + 8;
    f.base0 = (f.p0 / GK_TILE_EDGE) * S * PW + (f.p0 % GK_TILE_EDGE) * S;
    f.base1 = (f.p1 / GK_TILE_EDGE) * S * PW + (f.p1 % GK_TILE_EDGE) * S;
    return f;
}

/* The tensor-core kernels' fragment columns: output channel of column j * 8
 * + 2t + q of a block starting at m0, clamped so that padding lanes read
 * their operands in bounds. */
__device__ __forceinline__ int gk_frag_channel(const gk_conv &p, int m0, int t, int j, int q) {
    return min(m0 + j * 8 + 2 * t + q, p.c_out - 1);
}

/* The tensor-core kernels' epilogue: r[j][h * 2 + q] (accumulator plus
 * bias, dequantised for INT8) is pixel h ? p1 : p0 of tile tp, channel
 * gk_frag_channel(j, q). The fused steps run step by step over all of a
 * thread's values and the stores come last (cuda_conv_tile_kernel.cuh says
 * why). */
template <typename T, int NF>
__device__ __forceinline__ void gk_frag_store(const gk_conv &p, const gk_tile_pos &tp,
                                              const gk_ptrs &ops, int n, int m0, int t, int p0,
                                              int p1, float (&r)[NF][4], T *__restrict__ y) {
    const int plane = p.oh * p.ow;
    int pix[2], ok[2];
#pragma unroll
    for (int h = 0; h < 2; h++) {
        const int pp = h ? p1 : p0, oy = tp.oy0 + pp / GK_TILE_EDGE, ox = tp.ox0 + pp % GK_TILE_EDGE;
        ok[h] = oy < p.oh && ox < p.ow;
        pix[h] = ok[h] ? oy * p.ow + ox : 0;
    }
    /* the values flat, value 4j + v at channel mc and pixel px */
    float (&rv)[NF * 4] = reinterpret_cast<float (&)[NF * 4]>(r);
    int mc[NF * 4], px[NF * 4];
#pragma unroll
    for (int j = 0; j < NF; j++)
#pragma unroll
        for (int v = 0; v < 4; v++) {
            mc[4 * j + v] = gk_frag_channel(p, m0, t, j, v & 1);
            px[4 * j + v] = pix[v >> 1];
        }
    for (int e = 0; e < p.n_epi; e++) gk_conv_epi_n<T, NF * 4>(p, e, rv, ops, n, mc, px, plane);
    if constexpr (std::is_same_v<T, __half>)
        if (p.y_codes) { /* NHWC, c_out a multiple of 16 (cuda_lower_layout.c): a
                              * thread's channels 2t, 2t + 1 are one aligned 16-bit store */
            GK_FOR_CODE_VARIANT(p, k) {
                int q[NF * 4];
                gk_quantize_n<NF * 4>(rv, p.y_scale[k], p.y_inv[k], p.y_zp[k], q);
                int8_t *yk = gk_code_variant(p, y, k);
#pragma unroll
                for (int j = 0; j < NF; j++)
#pragma unroll
                    for (int h = 0; h < 2; h++)
                        if (ok[h] && m0 + j * 8 + 2 * t < p.c_out)
                            *reinterpret_cast<uint16_t *>(
                                yk + gk_out_at(p, n, mc[4 * j + 2 * h], pix[h], plane)) =
                                (uint16_t)((q[4 * j + 2 * h] & 0xff) |
                                           (q[4 * j + 2 * h + 1] & 0xff) << 8);
            }
            return;
        }
    if constexpr (sizeof(T) == 2)
        if (p.y_nhwc && (p.c_out & 1) == 0) { /* channels 2t, 2t + 1 side by side: one word */
#pragma unroll
            for (int j = 0; j < NF; j++)
#pragma unroll
                for (int h = 0; h < 2; h++)
                    if (ok[h] && m0 + j * 8 + 2 * t < p.c_out)
                        *reinterpret_cast<uint32_t *>(y + gk_out_at(p, n, mc[4 * j + 2 * h],
                                                                    pix[h], plane)) =
                            gk_pack2(gk_cvt<T>(rv[4 * j + 2 * h]), gk_cvt<T>(rv[4 * j + 2 * h + 1]));
            return;
        }
#pragma unroll
    for (int j = 0; j < NF; j++)
#pragma unroll
        for (int v = 0; v < 4; v++)
            if (ok[v >> 1] && m0 + j * 8 + 2 * t + (v & 1) < p.c_out)
                gk_st(y, gk_out_at(p, n, mc[4 * j + v], px[4 * j + v], plane), rv[4 * j + v]);
}

/* The tensor-core kernels' building blocks: a group of 4 warps (16 pixels
 * each, an 8x8 tile), 16-bit packing, cp.async copies, ldmatrix loads, the
 * vector fill of an input row and a group's own barrier. */
#define GK_TC_THREADS 128

/* A shared-memory address as the cp.async and ldmatrix operands take it. */
__device__ __forceinline__ unsigned gk_smem(const void *p) {
    return (unsigned)__cvta_generic_to_shared(p);
}

/* 16 bytes from global to shared memory by cp.async; zeros when !ok (a
 * source size of 0 reads nothing; from must still be a valid address). */
__device__ __forceinline__ void gk_copy16(void *dst, const void *from, bool ok) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(gk_smem(dst)),
                 "l"(from), "r"(ok ? 16 : 0));
}

/* Four 8x8 matrices of 16-bit elements from shared memory, each lane naming
 * one row (lanes 8i .. 8i + 7: matrix i); transposed when trans. */
__device__ __forceinline__ void gk_ldsm_x4(uint32_t (&r)[4], unsigned at, bool trans) {
    if (trans)
        asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                     : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                     : "r"(at));
    else
        asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                     : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                     : "r"(at));
}

/* One 8-element vector of an input row: input channel ci, row iy, columns
 * ix .. ix + 7 (ix a multiple of 8, as the row length is) into dst (16-byte
 * aligned shared memory); zeros in the padding and for channels past the
 * chunk (ok false). A full-size input is copied by cp.async, which also
 * writes the zeros; a folded 2x upsample reads 4 elements and doubles
 * each. */
template <typename T>
__device__ __forceinline__ void gk_fill_vector(const gk_tile_src<T> &src, int ci, bool ok, int iy,
                                               int ix, T *dst) {
    const int up = ci < src.c_a ? src.sa : src.sb;
    ok = ok && iy >= 0 && iy < src.h && ix >= 0 && ix < src.w;
    const T *from = ok ? src.at(ci, iy, ix) : src.xa;
    if (!up) {
        gk_copy16(dst, from, ok);
        return;
    }
    uint2 h = make_uint2(0u, 0u); /* 4 elements, each stored twice */
    if (ok) h = *reinterpret_cast<const uint2 *>(from);
    const uint32_t lo = h.x & 0xffffu, mid = h.x >> 16, hi = h.y & 0xffffu, top = h.y >> 16;
    *reinterpret_cast<uint4 *>(dst) =
        make_uint4(lo | lo << 16, mid | mid << 16, hi | hi << 16, top | top << 16);
}

/* A chunk's input rows into a staging area by whole vectors (one group's
 * threads share the work): CK channels from c0, cn of them real (zeros
 * past), PH rows from iy0, RV vectors of 8 from column xv each, vector v of
 * row r of channel c at stage[c * XP + r * RW + 8v]. */
template <int CK, int PH, int RV, int RW, int XP, typename T>
__device__ __forceinline__ void gk_fill_rows(const gk_tile_src<T> &src, int c0, int cn, int iy0,
                                             int xv, T *stage, int tid) {
    for (int e = tid; e < CK * PH * RV; e += GK_TC_THREADS) {
        const int v = e % RV, cr = e / RV, r = cr % PH, c = cr / PH;
        gk_fill_vector(src, c0 + c, c < cn, iy0 + r, xv + 8 * v, stage + c * XP + r * RW + 8 * v);
    }
}

/* A block's channel-innermost patches straight from an NHWC input, chunk
 * after chunk (one group's threads share the work): positions pos of a
 * patch PW wide from (iy0, ix0), each its input channels c0 .. c0 + EV * V
 * - 1 as V 16-byte vectors of EV channels (8 halves or 16 int8 codes),
 * vector h to dst + at(pos, h), by cp.async; zeros past a chunk's cn
 * channels, and in the padding the 4-byte pattern `pad` (zeros for
 * halves, the zero point's code for codes) stored by the thread. A
 * thread's copies are the same positions in every chunk, so where each
 * one's pixel lies in either part of the input (or that it is padding) is
 * worked out once, when the block starts; a chunk's copy is then a select
 * and an add. A folded upsample is only an address here, and as the parts
 * of a folded concat have multiples of EV channels (cuda_lower_layout.c),
 * no vector straddles them. */
template <int V, int PATCH, int PW, typename T>
struct gk_nhwc_fill {
    static constexpr int EV = 16 / sizeof(T);                                 /* channels a vector */
    static constexpr int N = (V * PATCH + GK_TC_THREADS - 1) / GK_TC_THREADS; /* copies a thread */
    int at_a[N], at_b[N]; /* the copy's pixel in part a, part b (in elements); -1: padding */

    __device__ __forceinline__ gk_nhwc_fill(const gk_tile_src<T> &src, int iy0, int ix0, int tid) {
#pragma unroll
        for (int i = 0; i < N; i++) {
            const int e = tid + i * GK_TC_THREADS, pos = e / V, r = pos / PW;
            const int iy = iy0 + r, ix = ix0 + pos - r * PW;
            const bool in = e < V * PATCH && iy >= 0 && iy < src.h && ix >= 0 && ix < src.w;
            at_a[i] = in ? ((iy >> src.sa) * src.wsa + (ix >> src.sa)) * src.c_a : -1;
            at_b[i] = in ? ((iy >> src.sb) * src.wsb + (ix >> src.sb)) * src.c_b : -1;
        }
    }
    /* The copies of chunk c0 (cn channels) into dst. */
    template <typename At>
    __device__ __forceinline__ void chunk(const gk_tile_src<T> &src, int c0, int cn, T *dst, At at,
                                          int tid, uint32_t pad = 0) const {
#pragma unroll
        for (int i = 0; i < N; i++) {
            const int e = tid + i * GK_TC_THREADS, pos = e / V, h = e - pos * V;
            if (e >= V * PATCH) break;
            const int ch = c0 + EV * h;
            const bool in_a = ch < src.c_a;
            const int px = in_a ? at_a[i] : at_b[i];
            if (pad != 0 && px < 0) {
                *reinterpret_cast<uint4 *>(dst + at(pos, h)) = make_uint4(pad, pad, pad, pad);
                continue;
            }
            const bool ok = px >= 0 && EV * h < cn;
            const T *from = in_a ? src.xa + px + ch : src.xb + px + (ch - src.c_a);
            gk_copy16(dst + at(pos, h), ok ? from : src.xa, ok);
        }
    }
};

/* Whether an NHWC input can be read by 16-byte vectors of 8 channels:
 * 16-bit storage, 16-byte aligned parts of multiples of 8 channels (what
 * the lowering asks; the element fill takes any other). */
template <typename T>
__device__ __forceinline__ bool gk_nhwc_vectors(const gk_tile_src<T> &src) {
    return sizeof(T) == 2 && src.nhwc && (src.c_a & 7) == 0 && (src.c_b & 7) == 0 &&
           (((uintptr_t)src.xa | (uintptr_t)src.xb) & 15) == 0;
}

/* The chunk's cp.async copies have landed (the caller's barrier then makes
 * them visible to the block). */
__device__ __forceinline__ void gk_fill_wait() {
    asm volatile("cp.async.commit_group;\ncp.async.wait_group 0;\n" ::: "memory");
}

/* The thread's cp.async copies issued so far form one group, which
 * gk_fill_pending can then wait for apart from those issued later. */
__device__ __forceinline__ void gk_fill_commit() {
    asm volatile("cp.async.commit_group;\n" ::: "memory");
}

/* All of the thread's committed groups but the last `pending` (0-3, newest
 * first) have landed: a pipelined loop's wait for its oldest chunk. */
__device__ __forceinline__ void gk_fill_pending(int pending) {
    switch (pending) {
    case 0: asm volatile("cp.async.wait_group 0;\n" ::: "memory"); break;
    case 1: asm volatile("cp.async.wait_group 1;\n" ::: "memory"); break;
    case 2: asm volatile("cp.async.wait_group 2;\n" ::: "memory"); break;
    default: asm volatile("cp.async.wait_group 3;\n" ::: "memory"); break;
    }
}

/* Barrier of one group's 128 threads, so that the groups of a split block
 * go through their chunks independently: named barrier 1 + grp, its id an
 * immediate (a register id would reserve all 16 of the block's barriers). */
template <int KSPLIT>
__device__ __forceinline__ void gk_group_sync(int grp) {
    if constexpr (KSPLIT == 1) {
        __syncthreads();
        return;
    }
    switch (grp) {
    case 0: asm volatile("bar.sync 1, %0;\n" ::"n"(GK_TC_THREADS) : "memory"); break;
    case 1: asm volatile("bar.sync 2, %0;\n" ::"n"(GK_TC_THREADS) : "memory"); break;
    case 2: asm volatile("bar.sync 3, %0;\n" ::"n"(GK_TC_THREADS) : "memory"); break;
    default: asm volatile("bar.sync 4, %0;\n" ::"n"(GK_TC_THREADS) : "memory"); break;
    }
}

/* The tensor-core kernels' loop over a group's `chunks` chunks of input
 * channels, through nbuf buffers: the first nbuf filled at once
 * (fill(q, buffer)), then for each chunk its copies awaited, a group
 * barrier, multiply(buffer), and, while chunks remain, a barrier (the
 * buffer has been read) and its refill with the chunk nbuf further on:
 * one barrier a chunk while nothing is refilled. A fill that ends with
 * nothing in flight (nbuf 1) makes the plain loop. */
template <int KSPLIT, typename Fill, typename Multiply>
__device__ __forceinline__ void gk_chunk_loop(int chunks, int nbuf, int grp, Fill fill,
                                              Multiply multiply) {
    int issued = 0;
    for (; issued < nbuf && issued < chunks; issued++) fill(issued, issued);
    for (int q = 0, bq = 0; q < chunks; q++, bq = bq + 1 == nbuf ? 0 : bq + 1) {
        gk_fill_pending(issued - q - 1);
        gk_group_sync<KSPLIT>(grp); /* chunk q is in place for the whole group */
        multiply(bq);               /* its buffer, q % nbuf */
        if (issued < chunks) {
            gk_group_sync<KSPLIT>(grp); /* buffer bq has been read */
            fill(issued, bq);           /* issued = q + nbuf */
            issued++;
        }
    }
}

/* The end of a split block's k loop (KSPLIT groups, cuda_conv_mma.cuh):
 * the groups after the first leave their sums in shared memory (sums:
 * room for (KSPLIT - 1) * NF * 4 values per thread, the groups' buffers
 * being done with) and the first adds them in group order, so that the
 * result does not depend on timing. Whether the calling thread goes on to
 * the epilogue (the first group's do). */
template <int KSPLIT, int NF, typename A>
__device__ __forceinline__ bool gk_split_sum(A (&acc)[NF][4], A *sums, int grp, int tid) {
    if constexpr (KSPLIT == 1) return true;
    __syncthreads(); /* every group is done with its buffers */
    if (grp > 0)
#pragma unroll
        for (int j = 0; j < NF; j++)
#pragma unroll
            for (int v = 0; v < 4; v++)
                sums[(((grp - 1) * NF + j) * 4 + v) * GK_TC_THREADS + tid] = acc[j][v];
    __syncthreads();
    if (grp > 0) return false;
    for (int o = 0; o < KSPLIT - 1; o++)
#pragma unroll
        for (int j = 0; j < NF; j++)
#pragma unroll
            for (int v = 0; v < 4; v++)
                acc[j][v] += sums[((o * NF + j) * 4 + v) * GK_TC_THREADS + tid];
    return true;
}

/* Chunk buffers per group of a pipelined tensor-core conv (gk_chunk_loop),
 * on the host: as many as the group has chunks (a block's input channels
 * in `chunks` chunks split over ksplit groups), up to 4, in at most 48 KB
 * of shared memory a block (`per`: the bytes of one buffer in each of the
 * block's groups), so that a batch-32 layer keeps its 7 blocks per SM, or
 * 112 KB a split block (the lowering splits only launches of under two
 * blocks per SM). */
static inline int gk_tc_stages(int chunks, int ksplit, size_t per) {
    const size_t budget = ksplit > 1 ? 112 * 1024 : 48 * 1024;
    const int per_group = (chunks + ksplit - 1) / ksplit;
    int stages = per_group < 4 ? per_group : 4;
    while (stages > 1 && stages * per > budget) stages--;
    return stages;
}

/* Lets kernel take `bytes` of dynamic shared memory (over 48 KB needs
 * asking); false with the error left for cudaGetLastError. */
template <typename K>
static inline bool gk_allow_smem(K kernel, size_t bytes) {
    return bytes <= 48 * 1024 ||
           cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)bytes) ==
               cudaSuccess;
}

#endif
