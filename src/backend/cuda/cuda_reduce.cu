/* Kernels with reductions: Gemm / MatMul (one warp per output, for the
 * small style MLP), GlobalAveragePool and Instance/Group normalization (one
 * block per reduced group, two passes in FP32). */
#include "backend/cuda/cuda_device.cuh"

/* Output (i, j) of p = alpha * op(A) op(B) + beta * bias, computed by one
 * warp, its lanes splitting k (coalesced reads of a row of A and, with
 * trans_b, of B), then a shuffle sum; lane 0 stores it at c[i * n + j]. */
template <typename T>
__device__ __forceinline__ void gemm_warp_output(const gk_gemm &p, const T *a, const T *b,
                                                 const T *bias, T *c, int i, int j, int lane) {
    float acc = 0.0f;
    for (int k = lane; k < p.k; k += 32) {
        float av = p.trans_a ? gk_ld(a, (int64_t)k * p.lda + i) : gk_ld(a, (int64_t)i * p.lda + k);
        float bv = p.trans_b ? gk_ld(b, (int64_t)j * p.ldb + k) : gk_ld(b, (int64_t)k * p.ldb + j);
        acc += av * bv;
    }
    for (int o = 16; o > 0; o >>= 1) acc += __shfl_xor_sync(0xffffffffu, acc, o);
    if (lane == 0) {
        float v = p.alpha * acc;
        if (bias) v += p.beta * gk_ld(bias, i * p.bias_sm + j * p.bias_sn);
        gk_st(c, (int64_t)i * p.n + j, v);
    }
}

/* One warp per output element (gemm_warp_output): the FiLM projections
 * are a few thousand outputs of k = 64, which one thread per output,
 * walking k alone, took ~5-10 us for (H200 profile, 2026-12-02). */
template <typename T>
__global__ void gemm_kernel(gk_gemm p, const T *a, const T *b, const T *bias, T *c) {
    const int64_t count = (int64_t)p.batch * p.m * p.n;
    const int lane = threadIdx.x & 31;
    const int64_t warps = ((int64_t)gridDim.x * blockDim.x) >> 5;
    for (int64_t idx = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5; idx < count;
         idx += warps) {
        int j = (int)(idx % p.n);
        int64_t t = idx / p.n;
        int i = (int)(t % p.m);
        int bt = (int)(t / p.m);
        gemm_warp_output(p, a + bt * p.stride_a, b + bt * p.stride_b, p.has_bias ? bias : nullptr,
                         c + bt * p.stride_c, i, j, lane);
    }
}

/* GK_GEMM_GROUP: the Gemms of one A in one launch, warps numbered over
 * all of their outputs (batch 1 each). */
struct gemm_group_ptrs {
    const void *b[GK_GEMM_GROUP_MAX], *bias[GK_GEMM_GROUP_MAX];
    void *c[GK_GEMM_GROUP_MAX];
};

template <typename T>
__global__ void gemm_group_kernel(const __grid_constant__ gk_gemm_group g, const T *a,
                                  const __grid_constant__ gemm_group_ptrs q) {
    const int lane = threadIdx.x & 31;
    int64_t total = 0;
    for (int s = 0; s < g.count; s++) total += (int64_t)g.sub[s].m * g.sub[s].n;
    const int64_t warps = ((int64_t)gridDim.x * blockDim.x) >> 5;
    for (int64_t idx = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5; idx < total;
         idx += warps) {
        int s = 0;
        int64_t r = idx;
        while (r >= (int64_t)g.sub[s].m * g.sub[s].n) {
            r -= (int64_t)g.sub[s].m * g.sub[s].n;
            s++;
        }
        const gk_gemm &p = g.sub[s];
        gemm_warp_output(p, a, (const T *)q.b[s], p.has_bias ? (const T *)q.bias[s] : nullptr,
                         (T *)q.c[s], (int)(r / p.n), (int)(r % p.n), lane);
    }
}

/* Block-wide sum of v over GK_THREADS threads; every thread gets the total. */
__device__ float block_sum(float v, float *sh) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    __syncthreads();  /* sh may still be read from a previous call */
    if (lane == 0) sh[warp] = v;
    __syncthreads();
    float t = 0.0f;
    for (int i = 0; i < GK_THREADS / 32; i++) t += sh[i];
    return t;
}

template <typename T>
__global__ void gap_kernel(gk_gap p, const T *x, T *y) {
    __shared__ float sh[GK_THREADS / 32];
    for (int64_t r = blockIdx.x; r < p.rows; r += gridDim.x) {
        const T *xr = x + r * p.plane;
        float s = 0.0f;
        for (int64_t i = threadIdx.x; i < p.plane; i += GK_THREADS) s += gk_ld(xr, i);
        s = block_sum(s, sh);
        if (threadIdx.x == 0) gk_st(y, r, s / (float)p.plane);
    }
}

template <typename T>
__global__ void norm_kernel(gk_norm p, const T *x, const T *scale, const T *bias, T *y) {
    __shared__ float sh[GK_THREADS / 32];
    const int64_t cpg = p.c / p.groups;
    const int64_t size = cpg * p.plane;
    for (int64_t r = blockIdx.x; r < p.n * p.groups; r += gridDim.x) {
        const int g = (int)(r % p.groups);
        const T *xr = x + r * size;
        T *yr = y + r * size;
        float s = 0.0f;
        for (int64_t i = threadIdx.x; i < size; i += GK_THREADS) s += gk_ld(xr, i);
        float mean = block_sum(s, sh) / (float)size;
        float q = 0.0f;
        for (int64_t i = threadIdx.x; i < size; i += GK_THREADS) {
            float d = gk_ld(xr, i) - mean;
            q += d * d;
        }
        float inv = rsqrtf(block_sum(q, sh) / (float)size + p.eps);
        for (int64_t i = threadIdx.x; i < size; i += GK_THREADS) {
            int64_t c = p.per_group_affine ? g : g * cpg + i / p.plane;
            float v = (gk_ld(xr, i) - mean) * inv;
            gk_st(yr, i, v * gk_ld(scale, c) + gk_ld(bias, c));
        }
    }
}

static unsigned row_blocks(int64_t rows) {
    return (unsigned)(rows < 1 ? 1 : (rows > 65535 ? 65535 : rows));
}

template <typename T>
static cudaError_t launch(const gk_desc *d, void *const *ptrs, cudaStream_t s) {
    void *out = ptrs[d->n_args - 1];
    switch (d->kind) {
    case GK_GEMM: {
        const gk_gemm &p = d->u.gemm;
        gemm_kernel<T><<<gk_blocks((int64_t)p.batch * p.m * p.n * 32), GK_THREADS, 0, s>>>(
            p, (const T *)ptrs[0], (const T *)ptrs[1], p.has_bias ? (const T *)ptrs[2] : nullptr,
            (T *)out);
        break;
    }
    case GK_GEMM_GROUP: {
        const gk_gemm_group &g = d->u.gemm_group;
        gemm_group_ptrs q;
        int64_t total = 0;
        for (int i = 0; i < g.count; i++) {
            q.b[i] = ptrs[1 + 3 * i];
            q.bias[i] = ptrs[2 + 3 * i];
            q.c[i] = ptrs[3 + 3 * i];
            total += (int64_t)g.sub[i].m * g.sub[i].n;
        }
        gemm_group_kernel<T><<<gk_blocks(total * 32), GK_THREADS, 0, s>>>(g, (const T *)ptrs[0], q);
        break;
    }
    case GK_GAP:
        gap_kernel<T><<<row_blocks(d->u.gap.rows), GK_THREADS, 0, s>>>(d->u.gap, (const T *)ptrs[0],
                                                                       (T *)out);
        break;
    case GK_NORM:
        norm_kernel<T><<<row_blocks(d->u.norm.n * d->u.norm.groups), GK_THREADS, 0, s>>>(
            d->u.norm, (const T *)ptrs[0], (const T *)ptrs[1], (const T *)ptrs[2], (T *)out);
        break;
    default: return cudaErrorInvalidValue;
    }
    return cudaGetLastError();
}

cudaError_t gk_run_reduce(const gk_desc *d, void *const *ptrs, gk_store st, cudaStream_t s) {
    return gk_by_store(st, [&](auto t) { return launch<decltype(t)>(d, ptrs, s); });
}
