/* FP16 and BF16 tensor-core convolution: an implicit GEMM with WMMA
 * 16x16x16 fragments (of __half or __nv_bfloat16) and FP32 accumulation. Output pixels (n, oy, ox) are the GEMM
 * rows, output channels its columns, and K runs over (c, ky, kx) — the
 * weight layout [M, C, kh, kw] is already K-contiguous per output channel.
 * One block of 4 warps computes 64 pixels x 32 channels; the input tile is
 * gathered through the same addressing as the direct kernel (padding,
 * stride, dilation, folded upsample and concat), so both agree. Used for
 * group-1 convolutions with enough work; everything else takes the direct
 * kernel, as does everything under GLINT_CUDA_SIMPLE=1. */
#include <mma.h>

#include "backend/cuda/cuda_device.cuh"

using namespace nvcuda;

#define WM_BM 64          /* pixels per block */
#define WM_BN 32          /* output channels per block */
#define WM_BK 32          /* K per shared-memory stage */
#define WM_LDA (WM_BK + 8) /* 16-bit elements; a multiple of 8 as WMMA requires */
#define WM_LDC (WM_BN + 4) /* floats; a multiple of 4 */
#define WM_THREADS 128

bool gk_conv_wmma_ok(const gk_conv *c) {
    int64_t k = (int64_t)c->c_in * c->kh * c->kw;
    int64_t p = (int64_t)c->n * c->oh * c->ow;
    /* grid.y counts 32-channel tiles (at most 65535). */
    return c->group == 1 && c->c_out >= 8 && k >= 32 && p < ((int64_t)1 << 30) &&
           c->c_out <= 65535 * WM_BN;
}

template <typename T>
__global__ void __launch_bounds__(WM_THREADS)
conv_wmma_kernel(gk_conv p, const T *x, const T *x2, const T *w, const T *b, gk_ptrs ops, T *y) {
    __shared__ __align__(32) T As[WM_BM * WM_LDA];
    __shared__ __align__(32) T Bs[WM_BN * WM_LDA];
    __shared__ __align__(32) float Cs[WM_BM * WM_LDC];

    const int tid = threadIdx.x, warp = tid >> 5;
    const int plane = p.oh * p.ow;
    const int P = p.n * plane;
    const int M = p.c_out;
    const int khw = p.kh * p.kw;
    const int K = p.c_in * khw;
    const int p0 = blockIdx.x * WM_BM, m0 = blockIdx.y * WM_BN;

    /* This thread always gathers pixel row ar of the A tile, at K columns
     * ak0, ak0 + 2, ..., so the pixel is decoded once. */
    const int ar = tid % WM_BM, ak0 = tid / WM_BM;
    const int pa = p0 + ar;
    const bool pa_ok = pa < P;
    int an = 0, aoy = 0, aox = 0;
    if (pa_ok) {
        an = pa / plane;
        int r = pa - an * plane;
        aoy = r / p.ow;
        aox = r - aoy * p.ow;
    }
    const int iy0 = aoy * p.sh - p.ph, ix0 = aox * p.sw - p.pw;

    wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[2];
    wmma::fill_fragment(acc[0], 0.0f);
    wmma::fill_fragment(acc[1], 0.0f);

    for (int k0 = 0; k0 < K; k0 += WM_BK) {
        __syncthreads(); /* the previous stage's fragments are loaded */
        for (int i = 0; i < WM_BK / 2; i++) {
            int kc = ak0 + 2 * i, k = k0 + kc;
            float v = 0.0f;
            if (pa_ok && k < K) {
                int ci = k / khw, r = k - ci * khw;
                int ky = r / p.kw, kx = r - ky * p.kw;
                int iy = iy0 + ky * p.dh, ix = ix0 + kx * p.dw;
                if (iy >= 0 && iy < p.h && ix >= 0 && ix < p.w) v = conv_in(p, x, x2, an, ci, iy, ix);
            }
            As[ar * WM_LDA + kc] = gk_cvt<T>(v);
        }
        for (int i = 0; i < (WM_BN * WM_BK) / WM_THREADS; i++) {
            int e = tid + i * WM_THREADS;
            int n = e / WM_BK, kc = e % WM_BK;
            int m = m0 + n, k = k0 + kc;
            Bs[n * WM_LDA + kc] = (m < M && k < K) ? w[(int64_t)m * K + k] : gk_cvt<T>(0.0f);
        }
        __syncthreads();
        for (int kk = 0; kk < WM_BK; kk += 16) {
            wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> fa;
            wmma::load_matrix_sync(fa, As + warp * 16 * WM_LDA + kk, WM_LDA);
            for (int j = 0; j < 2; j++) {
                wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::col_major> fb;
                wmma::load_matrix_sync(fb, Bs + j * 16 * WM_LDA + kk, WM_LDA);
                wmma::mma_sync(acc[j], fa, fb, acc[j]);
            }
        }
    }
    for (int j = 0; j < 2; j++)
        wmma::store_matrix_sync(Cs + warp * 16 * WM_LDC + j * 16, acc[j], WM_LDC,
                                wmma::mem_row_major);
    __syncthreads();
    /* Epilogue: pixel index fastest so that NCHW stores are coalesced. */
    for (int e = tid; e < WM_BM * WM_BN; e += WM_THREADS) {
        int r = e % WM_BM, cn = e / WM_BM;
        int pix = p0 + r, m = m0 + cn;
        if (pix >= P || m >= M) continue;
        float v = Cs[r * WM_LDC + cn];
        if (b) v += gk_ld(b, m);
        int n = pix / plane, i = pix - n * plane;
        for (int q = 0; q < p.n_epi; q++) v = gk_conv_epi<T>(p, q, v, ops, n, m, i, plane);
        gk_st(y, ((int64_t)n * M + m) * plane + i, v);
    }
}

template <typename T>
static cudaError_t launch_wmma(const gk_desc *d, void *const *ptrs, cudaStream_t s) {
    const gk_conv &p = d->u.conv;
    gk_ptrs ops;
    for (int i = 0; i < GK_MAX_ARGS; i++) ops.p[i] = i < d->n_args ? ptrs[i] : nullptr;
    const T *x2 = p.split_arg >= 0 ? (const T *)ptrs[p.split_arg] : nullptr;
    int P = p.n * p.oh * p.ow;
    dim3 grid((unsigned)((P + WM_BM - 1) / WM_BM), (unsigned)((p.c_out + WM_BN - 1) / WM_BN));
    conv_wmma_kernel<T><<<grid, WM_THREADS, 0, s>>>(p, (const T *)ptrs[0], x2, (const T *)ptrs[1],
                                                    (const T *)ptrs[2], ops, (T *)ptrs[p.out_arg]);
    return cudaGetLastError();
}

cudaError_t gk_run_conv_wmma(const gk_desc *d, void *const *ptrs, gk_store st, cudaStream_t s) {
    switch (st) {
    case GK_STORE_F16: return launch_wmma<__half>(d, ptrs, s);
    case GK_STORE_BF16: return launch_wmma<__nv_bfloat16>(d, ptrs, s);
    default: return cudaErrorInvalidValue; /* no FP32 form: the lowering never asks */
    }
}
