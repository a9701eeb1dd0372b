/* What the tiled convolution kernels (cuda_conv_tile_kernel.cuh, SIMT;
 * cuda_conv_mma.cu and cuda_conv_imma.cu, tensor cores) share: where a
 * block's output tile and its input patch lie, how the patch loader reads
 * the conv's input, and the tensor-core kernels' epilogue. */
#ifndef GL_CUDA_CONV_TILE_CUH
#define GL_CUDA_CONV_TILE_CUH

#include <type_traits>

#include "backend/cuda/cuda_device.cuh"

/* Block (blockIdx.x = tile, y = channel block, z = sample): its output
 * tile's first row and column, and its input patch's (padding included). */
struct gk_tile_pos {
    int oy0, ox0, iy0, ix0;
};
__device__ __forceinline__ gk_tile_pos gk_tile_origin(const gk_conv &p) {
    const int tiles_x = (p.ow + GK_TILE_EDGE - 1) / GK_TILE_EDGE;
    const int ty = blockIdx.x / tiles_x, tx = blockIdx.x - ty * tiles_x;
    gk_tile_pos t;
    t.oy0 = ty * GK_TILE_EDGE;
    t.ox0 = tx * GK_TILE_EDGE;
    t.iy0 = t.oy0 * p.sh - p.ph;
    t.ix0 = t.ox0 * p.sw - p.pw;
    return t;
}

/* Sample n of the conv's logical input: channels [0, c_a) from x and the
 * rest from x2 (a folded concat), each part with its own nearest 2x
 * upsample (read at half the coordinates of a half-size tensor). */
template <typename T>
struct gk_tile_src {
    const T *xa, *xb;
    int c_a, sa, sb, hsa, wsa, hsb, wsb, h, w;

    __device__ __forceinline__ gk_tile_src(const gk_conv &p, const T *x, const T *x2, int n) {
        c_a = p.split_arg >= 0 ? p.c_split : p.c_in;
        sa = p.up == 2;
        sb = p.up2 == 2;
        hsa = p.h >> sa;
        wsa = p.w >> sa;
        hsb = p.h >> sb;
        wsb = p.w >> sb;
        h = p.h;
        w = p.w;
        xa = x + (size_t)n * c_a * hsa * wsa;
        xb = x2 ? x2 + (size_t)n * (p.c_in - c_a) * hsb * wsb : x;
    }
    /* Input channel ci at (iy, ix); false in the padding. */
    __device__ __forceinline__ bool read(int ci, int iy, int ix, T *v) const {
        if (iy < 0 || iy >= h || ix < 0 || ix >= w) return false;
        *v = ci < c_a ? xa[(ci * hsa + (iy >> sa)) * wsa + (ix >> sa)]
                      : xb[((ci - c_a) * hsb + (iy >> sb)) * wsb + (ix >> sb)];
        return true;
    }
};

/* Launch-time dispatch of the tiled kernels onto their template instances:
 * f(KS, S) with the kernel size and stride as std::integral_constant
 * (1x1 or 3x3, stride 1 or 2: what gk_conv_tile_ok admits), and the
 * tensor-core kernels' f(MT) for blocks of 16-64 channels, then the launch
 * error. */
template <int V>
using gk_int = std::integral_constant<int, V>;
template <typename F>
static inline cudaError_t gk_tile_by_shape(const gk_conv &p, F f) {
    if (p.kh == 1) return p.sh == 1 ? f(gk_int<1>(), gk_int<1>()) : f(gk_int<1>(), gk_int<2>());
    return p.sh == 1 ? f(gk_int<3>(), gk_int<1>()) : f(gk_int<3>(), gk_int<2>());
}
template <typename F>
static inline cudaError_t gk_frag_by_width(int mt, F f) {
    switch (mt) {
    case 16: f(gk_int<16>()); break;
    case 32: f(gk_int<32>()); break;
    case 48: f(gk_int<48>()); break;
    case 64: f(gk_int<64>()); break;
    default: return cudaErrorInvalidValue;
    }
    return cudaGetLastError();
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
    int mc[NF][2];
#pragma unroll
    for (int j = 0; j < NF; j++)
#pragma unroll
        for (int q = 0; q < 2; q++) mc[j][q] = gk_frag_channel(p, m0, t, j, q);
    for (int e = 0; e < p.n_epi; e++)
#pragma unroll
        for (int j = 0; j < NF; j++)
#pragma unroll
            for (int v = 0; v < 4; v++)
                r[j][v] = gk_conv_epi<T>(p, e, r[j][v], ops, n, mc[j][v & 1], pix[v >> 1], plane);
#pragma unroll
    for (int j = 0; j < NF; j++)
#pragma unroll
        for (int v = 0; v < 4; v++)
            if (ok[v >> 1] && m0 + j * 8 + 2 * t + (v & 1) < p.c_out)
                gk_st(y, ((size_t)n * p.c_out + mc[j][v & 1]) * plane + pix[v >> 1], r[j][v]);
}

#endif
