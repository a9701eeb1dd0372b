/* Kernels with reductions: Gemm / MatMul (8 or 32 lanes per output, for
 * the small style MLP), GlobalAveragePool and Instance/Group normalization (one
 * block per reduced group, two passes in FP32). */
#include "backend/cuda/cuda_device.cuh"

/* Output (i, j) of p = alpha * op(A) op(B) + beta * bias, computed by LPO
 * consecutive lanes of a warp (lane = 0 .. LPO - 1 among them), which
 * split k (coalesced reads of a row of A and, with trans_b, of B), then a
 * shuffle sum; the first stores it at c[i * n + j] when `valid`. Every
 * lane of the warp comes to the shuffles, valid or not. */
template <typename T, int LPO>
__device__ __forceinline__ void gemm_lanes_output(const gk_gemm &p, const T *a, const T *b,
                                                  const T *bias, T *c, int i, int j, int lane,
                                                  bool valid) {
    float acc = 0.0f;
    if (valid) {
#pragma unroll 4
        for (int k = lane; k < p.k; k += LPO) {
            float av =
                p.trans_a ? gk_ld(a, (int64_t)k * p.lda + i) : gk_ld(a, (int64_t)i * p.lda + k);
            float bv =
                p.trans_b ? gk_ld(b, (int64_t)j * p.ldb + k) : gk_ld(b, (int64_t)k * p.ldb + j);
            acc += av * bv;
        }
    }
    for (int o = LPO / 2; o > 0; o >>= 1) acc += __shfl_xor_sync(0xffffffffu, acc, o);
    if (lane == 0 && valid) {
        float v = p.alpha * acc;
        if (bias) v += p.beta * gk_ld(bias, i * p.bias_sm + j * p.bias_sn);
        gk_st(c, (int64_t)i * p.n + j, v);
    }
}

/* Lanes per output: a whole warp, unless a warp per output would fill
 * more than an H200 (8k outputs: the FiLM projections of batch 32 took
 * 7.9 us so, H200 2026-12-03) and k is short: then 8, a warp making 4
 * outputs (4.8 us; at batch 1, 512 outputs, 8 lanes took 3.4 us against
 * a warp's 2.75). */
static inline int gemm_lanes(int64_t outputs, int k) {
    return outputs >= 8192 && k <= 256 ? 8 : 32;
}

/* The outputs of one Gemm, numbered (batch, i, j), 32 / LPO a warp. */
template <typename T, int LPO>
__global__ void gemm_kernel(gk_gemm p, const T *a, const T *b, const T *bias, T *c) {
    const int64_t count = (int64_t)p.batch * p.m * p.n;
    const int lane = threadIdx.x & 31;
    const int64_t groups = ((int64_t)gridDim.x * blockDim.x) / LPO;
    for (int64_t w = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) / 32 * (32 / LPO);
         w < count; w += groups) {
        const int64_t idx = w + lane / LPO;
        const bool valid = idx < count;
        const int64_t at = valid ? idx : 0;
        const int j = (int)(at % p.n);
        const int64_t t = at / p.n;
        const int i = (int)(t % p.m), bt = (int)(t / p.m);
        gemm_lanes_output<T, LPO>(p, a + bt * p.stride_a, b + bt * p.stride_b,
                                  p.has_bias ? bias : nullptr, c + bt * p.stride_c, i, j,
                                  lane % LPO, valid);
    }
}

/* GK_GEMM_GROUP: the Gemms of one A in one launch, their outputs numbered
 * one after the other (batch 1 each), 32 / LPO a warp. */
struct gemm_group_ptrs {
    const void *b[GK_GEMM_GROUP_MAX], *bias[GK_GEMM_GROUP_MAX];
    void *c[GK_GEMM_GROUP_MAX];
};

template <typename T, int LPO>
__global__ void gemm_group_kernel(const __grid_constant__ gk_gemm_group g, const T *a,
                                  const __grid_constant__ gemm_group_ptrs q) {
    const int lane = threadIdx.x & 31;
    int64_t total = 0;
    for (int s = 0; s < g.count; s++) total += (int64_t)g.sub[s].m * g.sub[s].n;
    const int64_t groups = ((int64_t)gridDim.x * blockDim.x) / LPO;
    for (int64_t w = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) / 32 * (32 / LPO);
         w < total; w += groups) {
        const int64_t idx = w + lane / LPO;
        const bool valid = idx < total;
        int s = 0;
        int64_t r = valid ? idx : 0;
        while (r >= (int64_t)g.sub[s].m * g.sub[s].n) {
            r -= (int64_t)g.sub[s].m * g.sub[s].n;
            s++;
        }
        const gk_gemm &p = g.sub[s];
        gemm_lanes_output<T, LPO>(p, a, (const T *)q.b[s],
                                  p.has_bias ? (const T *)q.bias[s] : nullptr, (T *)q.c[s],
                                  (int)(r / p.n), (int)(r % p.n), lane % LPO, valid);
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
        const int64_t count = (int64_t)p.batch * p.m * p.n;
        const T *a = (const T *)ptrs[0], *b = (const T *)ptrs[1];
        const T *bias = p.has_bias ? (const T *)ptrs[2] : nullptr;
        if (gemm_lanes(count, p.k) == 8)
            gemm_kernel<T, 8><<<gk_blocks(count * 8), GK_THREADS, 0, s>>>(p, a, b, bias, (T *)out);
        else
            gemm_kernel<T, 32><<<gk_blocks(count * 32), GK_THREADS, 0, s>>>(p, a, b, bias, (T *)out);
        break;
    }
    case GK_GEMM_GROUP: {
        const gk_gemm_group &g = d->u.gemm_group;
        gemm_group_ptrs q;
        int64_t total = 0;
        int k_max = 0;
        for (int i = 0; i < g.count; i++) {
            q.b[i] = ptrs[1 + 3 * i];
            q.bias[i] = ptrs[2 + 3 * i];
            q.c[i] = ptrs[3 + 3 * i];
            total += (int64_t)g.sub[i].m * g.sub[i].n;
            k_max = g.sub[i].k > k_max ? g.sub[i].k : k_max;
        }
        const T *a = (const T *)ptrs[0];
        if (gemm_lanes(total, k_max) == 8)
            gemm_group_kernel<T, 8><<<gk_blocks(total * 8), GK_THREADS, 0, s>>>(g, a, q);
        else
            gemm_group_kernel<T, 32><<<gk_blocks(total * 32), GK_THREADS, 0, s>>>(g, a, q);
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
