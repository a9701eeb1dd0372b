/* Direct convolution kernels (NCHW), FP32 accumulation. The general path:
 * any kernel size, stride, padding, dilation and group count, with the fused
 * epilogue and the folded input addressing (nearest 2x upsample, two-way
 * channel concat). It is also the safe fallback for the tensor-core kernel
 * (GLINT_CUDA_SIMPLE=1 runs it for every convolution). The per-item work is
 * gkc_point (cuda_conv_direct.cuh), shared with the host test. */
#include "backend/cuda/cuda_conv_direct.cuh"

/* p and ops are __grid_constant__: the epilogue indexes them at run time
 * (ops.p[operand]), which would otherwise copy them into local memory. */
template <typename T, int K, int MB>
__global__ void __launch_bounds__(GK_THREADS, 1)
conv_direct_kernel(const __grid_constant__ gk_conv p, gkc_geom g, const T *__restrict__ x,
                   const T *__restrict__ x2, const T *__restrict__ w, const T *__restrict__ b,
                   const __grid_constant__ gk_ptrs ops, T *y) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < g.items; i += gridDim.x * blockDim.x)
        gkc_point<T, K, MB>(p, g, x, x2, w, b, ops, y, i);
}

/* Threads per block: small launches use small blocks, so that a batch-1
 * layer of a few thousand items spreads over many SMs instead of filling a
 * few. */
static unsigned conv_block_threads(int items) {
    if (items >= 64 * 1024) return GK_THREADS;
    if (items >= 16 * 1024) return 128;
    return 64;
}

template <typename T, int K, int MB>
static void launch_km(const gk_conv &p, const gkc_geom &g, const T *x, const T *x2, const T *w,
                      const T *b, const gk_ptrs &ops, T *y, cudaStream_t s) {
    unsigned threads = conv_block_threads(g.items);
    int64_t blocks = ((int64_t)g.items + threads - 1) / threads;
    if (blocks < 1) blocks = 1;
    if (blocks > 65535LL * 16) blocks = 65535LL * 16; /* the grid-stride loop covers the rest */
    conv_direct_kernel<T, K, MB><<<(unsigned)blocks, threads, 0, s>>>(p, g, x, x2, w, b, ops, y);
}

/* g.mb is at most gkc_max_mb(K) (gkc_setup checks it), so a 5x5 never
 * instantiates 4 or 8 channels per item. */
template <typename T, int K>
static void launch_k(const gk_conv &p, const gkc_geom &g, const T *x, const T *x2, const T *w,
                     const T *b, const gk_ptrs &ops, T *y, cudaStream_t s) {
    constexpr int cap = K == 5 ? 2 : 8;
    switch (g.mb) {
    case 8: launch_km<T, K, (8 < cap ? 8 : cap)>(p, g, x, x2, w, b, ops, y, s); break;
    case 4: launch_km<T, K, (4 < cap ? 4 : cap)>(p, g, x, x2, w, b, ops, y, s); break;
    case 2: launch_km<T, K, 2>(p, g, x, x2, w, b, ops, y, s); break;
    default: launch_km<T, K, 1>(p, g, x, x2, w, b, ops, y, s); break;
    }
}

template <typename T>
static cudaError_t launch_conv(const gk_desc *d, void *const *ptrs, cudaStream_t s) {
    const gk_conv &p = d->u.conv;
    gkc_geom g;
    if (!gkc_setup(p, gkc_pick_mb(p), gkc_kpath(p), &g)) return cudaErrorInvalidValue;
    if (g.items == 0) return cudaSuccess;
    gk_ptrs ops;
    for (int i = 0; i < GK_MAX_ARGS; i++) ops.p[i] = i < d->n_args ? ptrs[i] : nullptr;
    const T *x = (const T *)ptrs[0], *w = (const T *)ptrs[1], *b = (const T *)ptrs[2];
    const T *x2 = p.split_arg >= 0 ? (const T *)ptrs[p.split_arg] : nullptr;
    T *y = (T *)ptrs[p.out_arg];
    switch (g.kpath) {
    case 1: launch_k<T, 1>(p, g, x, x2, w, b, ops, y, s); break;
    case 3: launch_k<T, 3>(p, g, x, x2, w, b, ops, y, s); break;
    case 5: launch_k<T, 5>(p, g, x, x2, w, b, ops, y, s); break;
    default: launch_k<T, 0>(p, g, x, x2, w, b, ops, y, s); break;
    }
    return cudaGetLastError();
}

cudaError_t gk_run_conv(const gk_desc *d, void *const *ptrs, gk_store st, cudaStream_t s) {
    return gk_by_store(st, [&](auto t) { return launch_conv<decltype(t)>(d, ptrs, s); });
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

cudaError_t gk_run_convt(const gk_desc *d, void *const *ptrs, gk_store st, cudaStream_t s) {
    return gk_by_store(st, [&](auto t) { return launch_convt<decltype(t)>(d, ptrs, s); });
}
