/* Direct convolution kernels (NCHW): one thread per output element, FP32
 * accumulation. The general path: any kernel size, stride, padding,
 * dilation and group count, with the fused epilogue and the folded input
 * addressing (nearest 2x upsample, two-way channel concat). It is also the
 * safe fallback for the tensor-core kernel (GLINT_CUDA_SIMPLE=1). */
#include "backend/cuda/cuda_device.cuh"

template <typename T>
__global__ void conv_direct_kernel(gk_conv p, const T *x, const T *x2, const T *w, const T *b,
                                   gk_ptrs ops, T *y) {
    const int64_t plane = (int64_t)p.oh * p.ow;
    const int64_t total = (int64_t)p.n * p.c_out * plane;
    const int cpg = p.c_in / p.group, mpg = p.c_out / p.group;
    GK_FOR(idx, total) {
        int ox = (int)(idx % p.ow);
        int64_t t = idx / p.ow;
        int oy = (int)(t % p.oh);
        t /= p.oh;
        int m = (int)(t % p.c_out);
        int n = (int)(t / p.c_out);
        int c0 = (m / mpg) * cpg;
        float acc = 0.0f;
        for (int ci = 0; ci < cpg; ci++) {
            const T *wr = w + ((int64_t)m * cpg + ci) * p.kh * p.kw;
            for (int ky = 0; ky < p.kh; ky++) {
                int iy = oy * p.sh - p.ph + ky * p.dh;
                if (iy < 0 || iy >= p.h) continue;
                for (int kx = 0; kx < p.kw; kx++) {
                    int ix = ox * p.sw - p.pw + kx * p.dw;
                    if (ix < 0 || ix >= p.w) continue;
                    acc += conv_in(p, x, x2, n, c0 + ci, iy, ix) * gk_ld(wr, ky * p.kw + kx);
                }
            }
        }
        if (b) acc += gk_ld(b, m);
        int64_t i = (int64_t)oy * p.ow + ox;
        for (int e = 0; e < p.n_epi; e++)
            acc = gk_epi<T>(p.epi[e], acc, ops, n, m, p.c_out, i, plane);
        gk_st(y, idx, acc);
    }
}

template <typename T>
static cudaError_t launch_conv(const gk_desc *d, void *const *ptrs, cudaStream_t s) {
    const gk_conv &p = d->u.conv;
    gk_ptrs ops;
    for (int i = 0; i < GK_MAX_ARGS; i++) ops.p[i] = i < d->n_args ? ptrs[i] : nullptr;
    const T *x2 = p.split_arg >= 0 ? (const T *)ptrs[p.split_arg] : nullptr;
    int64_t total = (int64_t)p.n * p.c_out * p.oh * p.ow;
    conv_direct_kernel<T><<<gk_blocks(total), GK_THREADS, 0, s>>>(
        p, (const T *)ptrs[0], x2, (const T *)ptrs[1], (const T *)ptrs[2], ops,
        (T *)ptrs[p.out_arg]);
    return cudaGetLastError();
}

cudaError_t gk_run_conv(const gk_desc *d, void *const *ptrs, bool fp16, cudaStream_t s) {
    return fp16 ? launch_conv<__half>(d, ptrs, s) : launch_conv<float>(d, ptrs, s);
}

/* ConvTranspose, gather form: output o = i * stride - pad + k * dilation, so
 * each output sums the (i, k) pairs that land on it. Weights [C, M/g, kh, kw]. */
template <typename T>
__global__ void convt_kernel(gk_convt p, const T *x, const T *w, const T *b, T *y) {
    const int64_t total = (int64_t)p.n * p.c_out * p.oh * p.ow;
    const int cpg = p.c_in / p.group, mpg = p.c_out / p.group;
    GK_FOR(idx, total) {
        int ox = (int)(idx % p.ow);
        int64_t t = idx / p.ow;
        int oy = (int)(t % p.oh);
        t /= p.oh;
        int m = (int)(t % p.c_out);
        int n = (int)(t / p.c_out);
        int g = m / mpg, mg = m - g * mpg;
        float acc = 0.0f;
        for (int ci = 0; ci < cpg; ci++) {
            int c = g * cpg + ci;
            const T *xr = x + ((int64_t)n * p.c_in + c) * p.h * p.w;
            const T *wr = w + ((int64_t)c * mpg + mg) * p.kh * p.kw;
            for (int ky = 0; ky < p.kh; ky++) {
                int ty = oy + p.ph - ky * p.dh;
                if (ty < 0 || ty % p.sh) continue;
                int iy = ty / p.sh;
                if (iy >= p.h) continue;
                for (int kx = 0; kx < p.kw; kx++) {
                    int tx = ox + p.pw - kx * p.dw;
                    if (tx < 0 || tx % p.sw) continue;
                    int ix = tx / p.sw;
                    if (ix >= p.w) continue;
                    acc += gk_ld(xr, (int64_t)iy * p.w + ix) * gk_ld(wr, ky * p.kw + kx);
                }
            }
        }
        if (b) acc += gk_ld(b, m);
        gk_st(y, idx, acc);
    }
}

template <typename T>
static cudaError_t launch_convt(const gk_desc *d, void *const *ptrs, cudaStream_t s) {
    const gk_convt &p = d->u.convt;
    int64_t total = (int64_t)p.n * p.c_out * p.oh * p.ow;
    convt_kernel<T><<<gk_blocks(total), GK_THREADS, 0, s>>>(
        p, (const T *)ptrs[0], (const T *)ptrs[1], p.has_bias ? (const T *)ptrs[2] : nullptr,
        (T *)ptrs[d->n_args - 1]);
    return cudaGetLastError();
}

cudaError_t gk_run_convt(const gk_desc *d, void *const *ptrs, bool fp16, cudaStream_t s) {
    return fp16 ? launch_convt<__half>(d, ptrs, s) : launch_convt<float>(d, ptrs, s);
}
