/* BF16-storage reference: inputs and weights rounded to bfloat16, products
 * accumulated in float32. This is what a BF16 tensor-core kernel computes up
 * to summation order, so BF16 backends are tested against it with a tight
 * tolerance instead of against FP32 with a loose one. */
#include "ops/nn_common.h"
#include "quant/quant.h"

void gl_bf16_round(const float *in, float *out, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = gl_bf16_to_f32(gl_f32_to_bf16(in[i]));
}

static size_t conv_x_elems(const gl_conv_geom *g) {
    size_t n = (size_t)(g->n * g->c_in);
    for (int i = 0; i < g->spatial; i++) n *= (size_t)g->in[i];
    return n;
}

static size_t conv_w_elems(const gl_conv_geom *g) {
    size_t n = (size_t)(g->c_out * (g->c_in / g->group));
    for (int i = 0; i < g->spatial; i++) n *= (size_t)g->k[i];
    return n;
}

size_t gl_bf16_conv_workspace(const gl_conv_geom *g) {
    return (conv_x_elems(g) + conv_w_elems(g)) * sizeof(float);
}

void gl_bf16_conv_ref(const gl_conv_geom *g, const float *x, const float *w, const float *b,
                      float *y, void *workspace) {
    float *xr = workspace;
    float *wr = xr + conv_x_elems(g);
    gl_bf16_round(x, xr, conv_x_elems(g));
    gl_bf16_round(w, wr, conv_w_elems(g));
    gl_nn_conv_ref(g, xr, wr, b, y);
}

void gl_bf16_gemm_ref(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                      const float *b, int64_t ldb, float *c, int64_t ldc) {
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            float acc = 0.0f;
            for (int64_t p = 0; p < k; p++)
                acc += gl_bf16_to_f32(gl_f32_to_bf16(a[i * lda + p])) *
                       gl_bf16_to_f32(gl_f32_to_bf16(b[p * ldb + j]));
            c[i * ldc + j] = acc;
        }
}
