/* Device-side helpers shared by the kernel files: typed loads and stores that
 * compute in float whatever the storage type, the choice of storage type at
 * launch, and launch sizing. */
#ifndef GL_CUDA_DEVICE_CUH
#define GL_CUDA_DEVICE_CUH

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <stdint.h>

#include "backend/cuda/cuda_kernels.h"

/* __host__ too, so that the direct conv's per-item code (cuda_conv_direct.cuh)
 * runs in the host test; int and int64_t offsets both resolve here. */
__host__ __device__ __forceinline__ float gk_ld(const float *p, int64_t i) { return p[i]; }
__host__ __device__ __forceinline__ float gk_ld(const __half *p, int64_t i) {
    return __half2float(p[i]);
}
__host__ __device__ __forceinline__ void gk_st(float *p, int64_t i, float v) { p[i] = v; }
__host__ __device__ __forceinline__ void gk_st(__half *p, int64_t i, float v) {
    p[i] = __float2half_rn(v);
}
/* bfloat16: float's exponent with 8 significant bits; stores round to
 * nearest even, as the host's upload does (gl_f32_to_bf16). */
__host__ __device__ __forceinline__ float gk_ld(const __nv_bfloat16 *p, int64_t i) {
    return __bfloat162float(p[i]);
}
__host__ __device__ __forceinline__ void gk_st(__nv_bfloat16 *p, int64_t i, float v) {
    p[i] = __float2bfloat16_rn(v);
}

/* INT8 weight codes (a QConv's), read as the float they equal exactly. */
__host__ __device__ __forceinline__ float gk_ld(const int8_t *p, int64_t i) { return (float)p[i]; }

/* Unrolling asked of nvcc's device pass only, in code that also compiles
 * for the host (the host test's pass): the host compiler does not know the
 * pragma and warns. */
#ifdef __CUDA_ARCH__
#define GK_UNROLL _Pragma("unroll")
#else
#define GK_UNROLL
#endif

/* IEEE single division, rounded to nearest; on the host too, for
 * tests/gpu/test_quantize_host.cu. */
__host__ __device__ __forceinline__ float gk_div_rn(float a, float b) {
#ifdef __CUDA_ARCH__
    return __fdiv_rn(a, b);
#else
    return a / b;
#endif
}

/* The QConv input codes q[i] of x[i] (gk_conv.quant): QuantizeLinear's
 * arithmetic (src/ops/quant_params.h: IEEE x / scale, rounded half to
 * even, plus the zero point, saturated; NaN gives the zero point) in
 * signed codes. x * inv (inv = 1 / scale, rounded) is within 2^-23 of
 * x / scale relative to it, so it rounds to the same integer unless it
 * lies that close to a half-way point: only then (and for NaN and
 * infinities) are the values divided, which costs a dozen instructions
 * each (the patch loaders of batch 1 ran 30% slower dividing every
 * element; bench/NOTES.md). One test and one branch for all N values, so
 * that their instructions interleave: a branch per value put each
 * value's dependent chain in series with the next one's. On the host
 * too, for tests/gpu/test_quantize_host.cu. */
template <int N>
__host__ __device__ __forceinline__ void gk_quantize_n(const float (&x)[N], float scale, float inv,
                                                       int zp, int (&q)[N]) {
    float v[N];
    bool divide = false;
    GK_UNROLL
    for (int i = 0; i < N; i++) {
        v[i] = x[i] * inv;
        divide |= !(fabsf(v[i] - floorf(v[i]) - 0.5f) > 4.8e-7f * fabsf(v[i]));
    }
    if (divide) {
        GK_UNROLL
        for (int i = 0; i < N; i++) v[i] = gk_div_rn(x[i], scale);
    }
    GK_UNROLL
    for (int i = 0; i < N; i++)
        q[i] = v[i] != v[i] ? zp : (int)fminf(fmaxf(rintf(v[i]) + (float)zp, -128.0f), 127.0f);
}

/* float -> storage type T, rounded as gk_st rounds: for code that builds
 * values of T (zero padding of the tensor-core tiles). */
template <typename T>
__host__ __device__ __forceinline__ T gk_cvt(float v) {
    T r;
    gk_st(&r, 0, v);
    return r;
}

/* Calls f with a value of the storage type of `store` (float, __half or
 * __nv_bfloat16), so that a launcher instantiates its kernel template once
 * per type and picks one at run time:
 *     return gk_by_store(store, [&](auto t) { return launch<decltype(t)>(d, ptrs, s); }); */
template <typename F>
static inline cudaError_t gk_by_store(gk_store store, F f) {
    switch (store) {
    case GK_STORE_F16: return f(__half());
    case GK_STORE_BF16: return f(__nv_bfloat16());
    default: return f(0.0f);
    }
}

#define GK_THREADS 256

/* Blocks for a grid-stride loop over count elements: enough to fill the GPU,
 * never more than the grid limit. */
static inline unsigned gk_blocks(int64_t count) {
    int64_t b = (count + GK_THREADS - 1) / GK_THREADS;
    if (b < 1) b = 1;
    if (b > 65535LL * 16) b = 65535LL * 16;
    return (unsigned)b;
}

#define GK_FOR(i, count)                                                                  \
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (count);          \
         i += (int64_t)gridDim.x * blockDim.x)

/* Operand pointers of a fused epilogue, indexed by step-input position. */
struct gk_ptrs {
    const void *p[GK_MAX_ARGS];
};

/* Epilogue step k of convolution p on N output values y[j] of sample n,
 * channel m[j] at spatial index i[j] — the semantics of gl_epi_apply in
 * src/ops. The operand is read times mul plus add, a per-channel one at
 * off + c, per sample and channel at n * ld + off + c (folded steps,
 * gk_conv.op_*; ld 0: c_out, mul 0: 1). The step's parameters, kind and
 * broadcast are decided once for all N values, not per value: decoded per
 * value, the FiLM epilogue made the glyph model's first conv execute 243
 * instructions an output for its 9 multiply-adds, 130 once hoisted, and
 * the whole model ran 22-27% faster in FP16, BF16 and INT8 (H200 ncu and
 * A/B, 2026-12-03). Indices fit in int: the lowering keeps every tensor
 * under 2^30 elements. */
template <typename T, int N>
__host__ __device__ __forceinline__ void gk_conv_epi_n(const gk_conv &p, int k, float (&y)[N],
                                                       const gk_ptrs &ops, int n,
                                                       const int (&m)[N], const int (&i)[N],
                                                       int plane) {
    const gl_epi_step e = p.epi[k];
    float o[N];
GK_UNROLL
    for (int j = 0; j < N; j++) o[j] = 0.0f;
    if (e.operand >= 0) {
        const T *op = (const T *)ops.p[e.operand];
        const float mul = p.op_mul[k] != 0.0f ? p.op_mul[k] : 1.0f, add = p.op_add[k];
        const int ld = p.op_ld[k] > 0 ? p.op_ld[k] : p.c_out, off = p.op_off[k];
        switch (e.bcast) {
        case GL_BCAST_SCALAR: {
            const float v = gk_ld(op, 0) * mul + add;
GK_UNROLL
            for (int j = 0; j < N; j++) o[j] = v;
            break;
        }
        case GL_BCAST_CHANNEL:
GK_UNROLL
            for (int j = 0; j < N; j++) o[j] = gk_ld(op, off + m[j]) * mul + add;
            break;
        case GL_BCAST_SAMPLE_CHANNEL:
GK_UNROLL
            for (int j = 0; j < N; j++) o[j] = gk_ld(op, n * ld + off + m[j]) * mul + add;
            break;
        default:
GK_UNROLL
            for (int j = 0; j < N; j++)
                o[j] = gk_ld(op, (n * p.c_out + m[j]) * plane + i[j]) * mul + add;
            break;
        }
    }
    auto each = [&](auto f) {
GK_UNROLL
        for (int j = 0; j < N; j++) y[j] = f(y[j], o[j]);
    };
    switch (e.kind) {
    case GL_EPI_RELU: each([](float v, float) { return v > 0.0f ? v : 0.0f; }); break;
    case GL_EPI_LEAKY_RELU: each([&](float v, float) { return v >= 0.0f ? v : e.alpha * v; }); break;
    case GL_EPI_SIGMOID: each([](float v, float) { return 1.0f / (1.0f + expf(-v)); }); break;
    case GL_EPI_TANH: each([](float v, float) { return tanhf(v); }); break;
    case GL_EPI_SILU: each([](float v, float) { return v / (1.0f + expf(-v)); }); break;
    case GL_EPI_GELU:
        each([](float v, float) { return 0.5f * v * (1.0f + erff(v * 0.70710678118654752f)); });
        break;
    case GL_EPI_CLIP: each([&](float v, float) { return fminf(fmaxf(v, e.alpha), e.beta); }); break;
    case GL_EPI_MUL: each([](float v, float w) { return v * w; }); break;
    case GL_EPI_ADD: each([](float v, float w) { return v + w; }); break;
    case GL_EPI_SUB: each([](float v, float w) { return v - w; }); break;
    case GL_EPI_RSUB: each([](float v, float w) { return w - v; }); break;
    }
}

/* The same on one output element (n, m, i). */
template <typename T>
__host__ __device__ __forceinline__ float gk_conv_epi(const gk_conv &p, int k, float y,
                                                      const gk_ptrs &ops, int n, int m, int i,
                                                      int plane) {
    float v[1] = {y};
    const int mm[1] = {m}, ii[1] = {i};
    gk_conv_epi_n<T, 1>(p, k, v, ops, n, mm, ii, plane);
    return v[0];
}

/* Reads logical input element (n, c, iy, ix) of the conv input, applying the
 * folded concat (channels >= c_split from x2) and upsample (up = 2 reads
 * the half-size x, up2 = 2 the half-size x2). Callers guarantee
 * 0 <= iy < h, 0 <= ix < w. */
template <typename T>
__device__ __forceinline__ float conv_in(const gk_conv &p, const T *x, const T *x2, int n, int c,
                                         int iy, int ix) {
    const T *src = x;
    int cs = c, csrc = p.c_in, up = p.up;
    if (p.split_arg >= 0) {
        if (c >= p.c_split) { src = x2; cs = c - p.c_split; csrc = p.c_in - p.c_split; up = p.up2; }
        else csrc = p.c_split;
    }
    int hh = p.h / up, ww = p.w / up;
    int64_t idx = (((int64_t)n * csrc + cs) * hh + iy / up) * ww + ix / up;
    return gk_ld(src, idx);
}

/* Per-family host launchers (one .cu file each), dispatched by gk_launch.
 * The tensor-core ones refuse GK_STORE_F32 (cudaErrorInvalidValue). */
cudaError_t gk_run_conv(const gk_desc *d, void *const *ptrs, gk_store st, cudaStream_t s);
cudaError_t gk_run_conv_wmma(const gk_desc *d, void *const *ptrs, gk_store st, cudaStream_t s);
cudaError_t gk_run_conv_tile(const gk_desc *d, void *const *ptrs, gk_store st, cudaStream_t s);
cudaError_t gk_run_conv_mma(const gk_desc *d, void *const *ptrs, gk_store st, cudaStream_t s);
cudaError_t gk_run_conv_imma(const gk_desc *d, void *const *ptrs, gk_store st, cudaStream_t s);
cudaError_t gk_run_convt(const gk_desc *d, void *const *ptrs, gk_store st, cudaStream_t s);
cudaError_t gk_run_eltwise(const gk_desc *d, void *const *ptrs, gk_store st, cudaStream_t s);
cudaError_t gk_run_host_io(const gk_desc *d, void *const *ptrs, gk_store st, cudaStream_t s);
cudaError_t gk_run_layout(const gk_desc *d, void *const *ptrs, gk_store st, cudaStream_t s);
cudaError_t gk_run_reduce(const gk_desc *d, void *const *ptrs, gk_store st, cudaStream_t s);
#endif
