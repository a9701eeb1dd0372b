/* Element-wise kernels: unary activations, broadcasting binary ops,
 * inference BatchNormalization. */
#include "backend/cuda/cuda_device.cuh"

__device__ __forceinline__ float unary_apply(const gk_unary &p, float x) {
    const float a = p.alpha, b = p.beta;
    switch (p.op) {
    case GKU_RELU: return x > 0.0f ? x : (x != x ? x : 0.0f); /* NaN passes, as in src/ops */
    case GKU_LEAKY_RELU: return x >= 0.0f ? x : a * x;
    case GKU_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case GKU_TANH: return tanhf(x);
    case GKU_CLIP: return fminf(fmaxf(x, a), b);
    case GKU_ERF: return erff(x);
    case GKU_EXP: return expf(x);
    case GKU_NEG: return -x;
    case GKU_ABS: return fabsf(x);
    case GKU_SQRT: return sqrtf(x);
    case GKU_SILU: return x / (1.0f + expf(-x));
    case GKU_GELU: return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
    case GKU_ELU: return x >= 0.0f ? x : a * (expf(x) - 1.0f);
    case GKU_SOFTPLUS: return x > 0.0f ? x + log1pf(expf(-x)) : log1pf(expf(x)); /* as src/ops */
    case GKU_HARD_SIGMOID: return fminf(fmaxf(a * x + b, 0.0f), 1.0f);
    case GKU_RECIPROCAL: return 1.0f / x;
    case GKU_LOG: return logf(x);
    case GKU_QDQ: { /* QuantizeLinear's codes (NaN: the zero point), then back */
        const float v[1] = {x};
        int q[1];
        gk_quantize_n<1>(v, a, b, p.zp, q);
        return (float)(q[0] - p.zp) * a;
    }
    }
    return x;
}

template <typename T>
__global__ void unary_kernel(gk_unary p, const T *x, T *y) {
    GK_FOR(i, p.count) gk_st(y, i, unary_apply(p, gk_ld(x, i)));
}

__device__ __forceinline__ float binary_apply(int op, float a, float b) {
    switch (op) {
    case GKB_ADD: return a + b;
    case GKB_SUB: return a - b;
    case GKB_MUL: return a * b;
    case GKB_DIV: return a / b;
    case GKB_MAX: return fmaxf(a, b);
    case GKB_MIN: return fminf(a, b);
    case GKB_POW: return powf(a, b);
    }
    return a;
}

template <typename T>
__global__ void binary_kernel(gk_binary p, const T *a, const T *b, T *y) {
    GK_FOR(i, p.count) {
        int64_t r = i, ia = 0, ib = 0;
        for (int d = p.rank - 1; d >= 0; d--) {
            int64_t c = r % p.out[d];
            r /= p.out[d];
            ia += c * p.sa[d];
            ib += c * p.sb[d];
        }
        gk_st(y, i, binary_apply(p.op, gk_ld(a, ia), gk_ld(b, ib)));
    }
}

template <typename T>
__global__ void batchnorm_kernel(gk_batchnorm p, const T *x, const T *scale, const T *bias,
                                 const T *mean, const T *var, T *y) {
    int64_t count = p.n * p.c * p.plane;
    GK_FOR(i, count) {
        int64_t c = (i / p.plane) % p.c;
        float v = (gk_ld(x, i) - gk_ld(mean, c)) / sqrtf(gk_ld(var, c) + p.eps);
        gk_st(y, i, v * gk_ld(scale, c) + gk_ld(bias, c));
    }
}

template <typename T>
static cudaError_t launch(const gk_desc *d, void *const *ptrs, cudaStream_t s) {
    void *out = ptrs[d->n_args - 1];
    switch (d->kind) {
    case GK_UNARY:
        unary_kernel<T><<<gk_blocks(d->u.unary.count), GK_THREADS, 0, s>>>(
            d->u.unary, (const T *)ptrs[0], (T *)out);
        break;
    case GK_BINARY:
        binary_kernel<T><<<gk_blocks(d->u.binary.count), GK_THREADS, 0, s>>>(
            d->u.binary, (const T *)ptrs[0], (const T *)ptrs[1], (T *)out);
        break;
    case GK_BATCHNORM: {
        const gk_batchnorm &p = d->u.bn;
        batchnorm_kernel<T><<<gk_blocks(p.n * p.c * p.plane), GK_THREADS, 0, s>>>(
            p, (const T *)ptrs[0], (const T *)ptrs[1], (const T *)ptrs[2], (const T *)ptrs[3],
            (const T *)ptrs[4], (T *)out);
        break;
    }
    default: return cudaErrorInvalidValue;
    }
    return cudaGetLastError();
}

cudaError_t gk_run_eltwise(const gk_desc *d, void *const *ptrs, gk_store st, cudaStream_t s) {
    return gk_by_store(st, [&](auto t) { return launch<decltype(t)>(d, ptrs, s); });
}
