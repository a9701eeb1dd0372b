/* Where each Resize output element reads from: the index math of the CUDA
 * resize kernel (cuda_layout.cu), compiled for the device there and for the
 * host in tests/gpu/test_host_cuda_resize.c, which checks it index by index
 * against the reference (src/ops/op_resize.c) on any machine with nvcc, GPU
 * or not. The formulas are the reference's, in double and in the same order
 * of operations, so the two round identically at ties. */
#ifndef GL_CUDA_RESIZE_MAP_H
#define GL_CUDA_RESIZE_MAP_H

#include <math.h>
#include <stdint.h>

#include "backend/cuda/cuda_kernels.h"

#ifdef __CUDACC__
#define GK_HD static __host__ __device__ __forceinline__
#else
#define GK_HD static inline
#endif

/* Source coordinate of output index o on one axis (the ONNX transforms). */
GK_HD double gk_resize_coord(int coord, int o, double scale, int in_len, int out_len) {
    double xd = (double)o;
    switch (coord) {
    case GL_COORD_ASYMMETRIC: return xd / scale;
    case GL_COORD_ALIGN_CORNERS:
        return out_len == 1 ? 0.0 : xd * (double)(in_len - 1) / (double)(out_len - 1);
    case GL_COORD_PYTORCH_HALF_PIXEL: return out_len > 1 ? (xd + 0.5) / scale - 0.5 : 0.0;
    case GL_COORD_TF_HALF_PIXEL_FOR_NN: return (xd + 0.5) / scale;
    default: return (xd + 0.5) / scale - 0.5; /* half_pixel */
    }
}

/* Clamps before converting, as the reference does (no int overflow). */
GK_HD int gk_resize_clamp(double v, int n) {
    if (v < 0.0) return 0;
    if (v > (double)(n - 1)) return n - 1;
    return (int)v;
}

GK_HD int gk_resize_nearest(int mode, double c, int n) {
    double r;
    switch (mode) {
    case GL_NEAREST_ROUND_PREFER_CEIL: r = floor(c + 0.5); break;
    case GL_NEAREST_FLOOR: r = floor(c); break;
    case GL_NEAREST_CEIL: r = ceil(c); break;
    default: r = ceil(c - 0.5); break; /* round_prefer_floor: ties down */
    }
    return gk_resize_clamp(r, n);
}

/* Source plane of output plane nc. The leading axes (all but the last two)
 * keep their size, but a scale-1 axis is still transformed: under
 * tf_half_pixel_for_nn, nearest ceil / round_prefer_ceil read index
 * min(x + 1, len - 1) there (lead_shift; checked at lowering against the
 * reference's taps). */
GK_HD int64_t gk_resize_src_plane(const gk_resize *p, int64_t nc) {
    if (!p->lead_shift) return nc;
    int64_t r = nc, src = 0, stride = 1;
    for (int d = p->lead_rank - 1; d >= 0; d--) {
        int64_t len = p->lead[d], c = r % len;
        r /= len;
        src += (c + 1 < len ? c + 1 : len - 1) * stride;
        stride *= len;
    }
    return src;
}

/* The taps of output element i: plane, rows y0/y1, columns x0/x1 and the
 * weights of y1 and x1 (0 for nearest, where y1 == y0 and x1 == x0). */
typedef struct gk_resize_pick {
    int64_t plane;
    int y0, y1, x0, x1;
    float ly, lx;
} gk_resize_pick;

GK_HD gk_resize_pick gk_resize_at(const gk_resize *p, int64_t i) {
    const int64_t plane = (int64_t)p->oh * p->ow;
    gk_resize_pick k;
    int oy = (int)((i / p->ow) % p->oh), ox = (int)(i % p->ow);
    k.plane = gk_resize_src_plane(p, i / plane);
    double fy = gk_resize_coord(p->coord, oy, p->scale_h, p->h, p->oh);
    double fx = gk_resize_coord(p->coord, ox, p->scale_w, p->w, p->ow);
    if (!p->linear) {
        k.y0 = k.y1 = gk_resize_nearest(p->nearest, fy, p->h);
        k.x0 = k.x1 = gk_resize_nearest(p->nearest, fx, p->w);
        k.ly = k.lx = 0.0f;
    } else {
        double y0f = floor(fy), x0f = floor(fx);
        k.ly = (float)(fy - y0f);
        k.lx = (float)(fx - x0f);
        k.y0 = gk_resize_clamp(y0f, p->h);
        k.y1 = gk_resize_clamp(y0f + 1.0, p->h);
        k.x0 = gk_resize_clamp(x0f, p->w);
        k.x1 = gk_resize_clamp(x0f + 1.0, p->w);
    }
    return k;
}

/* Bilinear blend of the four taps a (y0,x0), b (y0,x1), c (y1,x0), e (y1,x1). */
GK_HD float gk_resize_blend(float a, float b, float c, float e, float lx, float ly) {
    float top = a + (b - a) * lx, bot = c + (e - c) * lx;
    return top + (bot - top) * ly;
}

#endif
