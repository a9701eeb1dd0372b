/* What the two tiled convolution kernels (cuda_conv_tile_kernel.cuh, SIMT;
 * cuda_conv_mma.cu, tensor cores) share: where a block's output tile and
 * its input patch lie, and how the patch loader reads the conv's input. */
#ifndef GL_CUDA_CONV_TILE_CUH
#define GL_CUDA_CONV_TILE_CUH

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

#endif
