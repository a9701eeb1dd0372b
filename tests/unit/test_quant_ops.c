/* Quantisation operators against independent code written here:
 * QuantizeLinear / DequantizeLinear against the ONNX formulas (rint in the
 * default rounding mode is round-half-to-even; saturation), glint::QConv's
 * integer accumulation and float tail against an output-stationary loop
 * (exact), QConv against the FP32 convolution within the quantisation
 * error, and the BF16 references against bit-level bf16 rounding. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/nn_common.h"
#include "ops/quant_params.h"
#include "quant/quant.h"
#include "testlib.h"

extern const gl_op gl_op_quantize_linear, gl_op_dequantize_linear, gl_op_qconv;

static int rand_int(int lo, int hi) { return lo + (int)(tl_rand_u64() % (uint64_t)(hi - lo + 1)); }

/* ------------------------------------------------------------ Q / DQ */
static int32_t spec_quantize(float x, float scale, int32_t zp, int32_t lo, int32_t hi) {
    double v = rint((double)(x / scale)) + zp; /* rint: nearest, ties to even */
    return (int32_t)(v < lo ? lo : v > hi ? hi : v);
}

static void test_round_half_even(void) {
    const float in[] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 3.49f, -3.51f, 7.0f};
    const float want[] = {0.0f, 2.0f, 2.0f, -0.0f, -2.0f, -2.0f, 3.0f, -4.0f, 7.0f};
    for (size_t i = 0; i < GL_ARRAY_LEN(in); i++)
        CHECK_MSG(gl_round_half_even(in[i]) == want[i], "round(%g) = %g", (double)in[i],
                  (double)gl_round_half_even(in[i]));
}

static void test_qdq(gl_dtype qt, bool per_axis) {
    int64_t d[4] = {2, (int64_t)rand_int(2, 5), (int64_t)rand_int(1, 4), (int64_t)rand_int(1, 6)};
    gl_shape xs = {.rank = 4, .d = {d[0], d[1], d[2], d[3]}};
    size_t n = (size_t)gl_shape_numel(&xs);
    int64_t c = per_axis ? d[1] : 1;
    float *x = malloc(n * 4), *y = malloc(n * 4), scale[8];
    uint8_t *q = malloc(n), zp[8];
    int32_t lo, hi;
    gl_qrange(qt, &lo, &hi);
    tl_fill_uniform(x, n, -40.0f, 40.0f);
    /* exact ties: a few elements placed at k.5 steps of the scale */
    for (int64_t k = 0; k < c; k++) {
        scale[k] = tl_rand_uniform(0.05f, 0.4f);
        int32_t z = rand_int(lo / 2, hi / 2);
        if (qt == GLINT_DTYPE_INT8) ((int8_t *)zp)[k] = (int8_t)z;
        else zp[k] = (uint8_t)z;
    }
    x[0] = 2.5f * scale[0];
    x[1] = -3.5f * scale[0];
    x[2] = 1e9f; /* saturates */
    x[3] = -1e9f;
    gl_qdq_params p = {.axis = per_axis ? 1 : 0};
    gl_shape ss = per_axis ? (gl_shape){.rank = 1, .d = {c}} : (gl_shape){.rank = 0};
    gl_tensor in[3] = {{GLINT_DTYPE_FLOAT32, xs, x}, {GLINT_DTYPE_FLOAT32, ss, scale}, {qt, ss, zp}};
    gl_tensor out = {GLINT_DTYPE_UNDEFINED, {.rank = -1}, q};
    gl_err err = {0};
    CHECK_OK(gl_op_quantize_linear.infer(&p, in, 3, &out, 1, &err));
    CHECK(out.dtype == qt && gl_shape_equal(&out.shape, &xs));
    memset(q, 0xA5, n);
    CHECK_OK(gl_op_quantize_linear.run(&p, in, 3, &out, 1, NULL, &err));
    size_t bad = 0;
    int64_t inner = d[2] * d[3];
    for (size_t i = 0; i < n; i++) {
        size_t k = per_axis ? (size_t)(((int64_t)i / inner) % c) : 0;
        int32_t z = qt == GLINT_DTYPE_INT8 ? ((int8_t *)zp)[k] : zp[k];
        int32_t want = spec_quantize(x[i], scale[k], z, lo, hi);
        int32_t got = qt == GLINT_DTYPE_INT8 ? ((int8_t *)q)[i] : q[i];
        if (got != want && bad++ < 5)
            fprintf(stderr, "quantize[%zu] x=%g scale=%g zp=%d: got %d want %d\n", i, (double)x[i],
                    (double)scale[k], z, got, want);
    }
    CHECK_MSG(bad == 0, "%zu quantized values differ", bad);
    /* dequantize the result back */
    gl_qdq_params dp = p;
    dp.dequantize = true;
    gl_tensor din[3] = {{qt, xs, q}, in[1], in[2]};
    gl_tensor dout = {GLINT_DTYPE_UNDEFINED, {.rank = -1}, y};
    CHECK_OK(gl_op_dequantize_linear.infer(&dp, din, 3, &dout, 1, &err));
    CHECK(dout.dtype == GLINT_DTYPE_FLOAT32);
    tl_poison(y, n);
    CHECK_OK(gl_op_dequantize_linear.run(&dp, din, 3, &dout, 1, NULL, &err));
    bad = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = per_axis ? (size_t)(((int64_t)i / inner) % c) : 0;
        int32_t z = qt == GLINT_DTYPE_INT8 ? ((int8_t *)zp)[k] : zp[k];
        int32_t qi = qt == GLINT_DTYPE_INT8 ? ((int8_t *)q)[i] : q[i];
        float want = (float)(qi - z) * scale[k];
        if (!(y[i] == want)) bad++;
        /* within half a step of x unless saturated */
        if (qi > lo && qi < hi && fabsf(y[i] - x[i]) > 0.5001f * scale[k]) bad++;
    }
    CHECK_MSG(bad == 0, "%zu dequantized values wrong", bad);
    free(x);
    free(y);
    free(q);
}

static void test_qdq_errors(void) {
    gl_err err = {0};
    gl_qdq_params p = {.axis = 1};
    float x[6] = {0}, s[4] = {1, 1, 1, 1};
    uint8_t q[6];
    gl_tensor in[2] = {{GLINT_DTYPE_FLOAT32, {.rank = 2, .d = {2, 3}}, x},
                       {GLINT_DTYPE_FLOAT32, {.rank = 1, .d = {4}}, s}};
    gl_tensor out = {GLINT_DTYPE_UNDEFINED, {.rank = -1}, q};
    CHECK(gl_op_quantize_linear.infer(&p, in, 2, &out, 1, &err) == GLINT_ERR_INVALID_MODEL);
    in[1].shape = (gl_shape){.rank = 2, .d = {2, 1}}; /* block form */
    CHECK(gl_op_quantize_linear.infer(&p, in, 2, &out, 1, &err) == GLINT_ERR_UNSUPPORTED);
    CHECK(strstr(err.msg, "block") != NULL);
    in[1].shape = (gl_shape){.rank = 0};
    CHECK_OK(gl_op_quantize_linear.infer(&p, in, 2, &out, 1, &err));
    CHECK(out.dtype == GLINT_DTYPE_UINT8); /* no zero point: uint8 */
    in[0].dtype = GLINT_DTYPE_INT32;
    CHECK(gl_op_quantize_linear.infer(&p, in, 2, &out, 1, &err) == GLINT_ERR_UNSUPPORTED);
}

/* A 1-element scale is per-tensor quantisation, whose axis ONNX ignores:
 * ONNX Runtime's quantiser writes a bias's DequantizeLinear with a [1]
 * scale, a scalar zero point and the default axis 1 on the rank-1 int32
 * bias (tests/models/qdq). Fresh random codes. */
static void test_dq_one_value_scale(void) {
    int32_t q[5], zp = 0;
    float s[1] = {tl_rand_uniform(1e-4f, 1e-2f)}, y[5];
    for (int i = 0; i < 5; i++) q[i] = rand_int(-100000, 100000);
    gl_qdq_params p = {.axis = 1, .dequantize = true};
    gl_tensor in[3] = {{GLINT_DTYPE_INT32, {.rank = 1, .d = {5}}, q},
                       {GLINT_DTYPE_FLOAT32, {.rank = 1, .d = {1}}, s},
                       {GLINT_DTYPE_INT32, {.rank = 0}, &zp}};
    gl_tensor out = {GLINT_DTYPE_UNDEFINED, {.rank = -1}, y};
    gl_err err = {0};
    CHECK_OK(gl_op_dequantize_linear.infer(&p, in, 3, &out, 1, &err));
    tl_poison(y, 5);
    CHECK_OK(gl_op_dequantize_linear.run(&p, in, 3, &out, 1, NULL, &err));
    for (int i = 0; i < 5; i++) CHECK(y[i] == (float)q[i] * s[0]);
    /* two values are per-axis, and axis 1 of a rank-1 input is then an error */
    in[1].shape.d[0] = 2;
    in[2].shape = in[1].shape;
    CHECK(gl_op_dequantize_linear.infer(&p, in, 3, &out, 1, &err) == GLINT_ERR_INVALID_MODEL);
}

/* ------------------------------------------------------------ QConv */
typedef struct qcase {
    int64_t n, cin, cout, group, h, w, k, stride, dil, pad;
    bool x_unsigned, out_int8, epi;
} qcase;

static qcase random_case(void) {
    qcase c = {0};
    c.n = rand_int(1, 2);
    c.group = rand_int(1, 2);
    c.cin = c.group * rand_int(1, 3);
    c.cout = c.group * rand_int(1, 3);
    c.k = rand_int(1, 3);
    c.stride = rand_int(1, 2);
    c.dil = rand_int(1, 2);
    c.pad = rand_int(0, 2);
    c.h = rand_int(c.dil * (c.k - 1) + 1, 9);
    c.w = rand_int(c.dil * (c.k - 1) + 1, 9);
    c.x_unsigned = rand_int(0, 1);
    c.out_int8 = rand_int(0, 1);
    c.epi = rand_int(0, 1);
    return c;
}

/* Output-stationary loop, written independently of op_qconv.c. */
static int32_t naive_acc(const qcase *c, const void *x, int32_t zp, const int8_t *w, int64_t n,
                         int64_t m, int64_t oy, int64_t ox) {
    int64_t cg = c->cin / c->group, mg = c->cout / c->group, g = m / mg;
    int32_t acc = 0;
    for (int64_t ci = 0; ci < cg; ci++)
        for (int64_t ky = 0; ky < c->k; ky++)
            for (int64_t kx = 0; kx < c->k; kx++) {
                int64_t iy = oy * c->stride - c->pad + ky * c->dil;
                int64_t ix = ox * c->stride - c->pad + kx * c->dil;
                if (iy < 0 || iy >= c->h || ix < 0 || ix >= c->w) continue;
                int64_t xi = ((n * c->cin + g * cg + ci) * c->h + iy) * c->w + ix;
                int32_t xv = c->x_unsigned ? ((const uint8_t *)x)[xi] : ((const int8_t *)x)[xi];
                acc += (xv - zp) * w[((m * cg + ci) * c->k + ky) * c->k + kx];
            }
    return acc;
}

static void fill_params(const qcase *c, gl_qconv_params *p) {
    memset(p, 0, sizeof *p);
    p->fc.conv.group = c->group;
    for (int i = 0; i < 2; i++) {
        p->fc.conv.stride[i] = c->stride;
        p->fc.conv.dilation[i] = c->dil;
        p->fc.conv.pads[i] = p->fc.conv.pads[GL_MAX_SPATIAL + i] = c->pad;
    }
}

static void test_qconv_exact(int trial) {
    qcase c = random_case();
    gl_qconv_params p;
    fill_params(&c, &p);
    int64_t oh = (c.h + 2 * c.pad - c.dil * (c.k - 1) - 1) / c.stride + 1;
    int64_t ow = (c.w + 2 * c.pad - c.dil * (c.k - 1) - 1) / c.stride + 1;
    size_t nx = (size_t)(c.n * c.cin * c.h * c.w), nw = (size_t)(c.cout * c.cin / c.group * c.k * c.k);
    size_t ny = (size_t)(c.n * c.cout * oh * ow);
    uint8_t *x = malloc(nx);
    int8_t *w = malloc(nw);
    float *b = malloc((size_t)c.cout * 4), *ws = malloc((size_t)c.cout * 4);
    float *opnd = malloc((size_t)c.cout * 4), *y = malloc(ny * 4);
    int32_t *acc = malloc(ny * 4);
    for (size_t i = 0; i < nx; i++) x[i] = (uint8_t)tl_rand_u64();
    for (size_t i = 0; i < nw; i++) w[i] = (int8_t)rand_int(-127, 127);
    tl_fill_uniform(b, (size_t)c.cout, -1.0f, 1.0f);
    tl_fill_uniform(ws, (size_t)c.cout, 0.001f, 0.01f);
    tl_fill_uniform(opnd, (size_t)c.cout, -0.5f, 0.5f);
    p.x_scale = tl_rand_uniform(0.01f, 0.1f);
    p.x_zero_point = c.x_unsigned ? rand_int(0, 255) : rand_int(-128, 127);
    p.out_dtype = c.out_int8 ? GLINT_DTYPE_INT8 : GLINT_DTYPE_FLOAT32;
    p.y_scale = 0.05f;
    p.y_zero_point = -3;
    int n_in = 4;
    if (c.epi) {
        p.fc.n_epi = 2;
        p.fc.epi[0] = (gl_epi_step){.kind = GL_EPI_RELU, .operand = -1};
        p.fc.epi[1] = (gl_epi_step){.kind = GL_EPI_ADD, .operand = 3, .bcast = GL_BCAST_CHANNEL};
        n_in = 5;
    }
    p.wscale_input = n_in - 1;
    gl_shape vs = {.rank = 1, .d = {c.cout}};
    gl_tensor in[5] = {
        {c.x_unsigned ? GLINT_DTYPE_UINT8 : GLINT_DTYPE_INT8, {.rank = 4, .d = {c.n, c.cin, c.h, c.w}}, x},
        {GLINT_DTYPE_INT8, {.rank = 4, .d = {c.cout, c.cin / c.group, c.k, c.k}}, w},
        {GLINT_DTYPE_FLOAT32, vs, b},
        {GLINT_DTYPE_FLOAT32, vs, c.epi ? opnd : ws},
        {GLINT_DTYPE_FLOAT32, vs, ws}};
    gl_tensor out = {GLINT_DTYPE_UNDEFINED, {.rank = -1}, y};
    gl_err err = {0};
    CHECK_OK(gl_op_qconv.infer(&p, in, n_in, &out, 1, &err));
    CHECK(out.shape.d[2] == oh && out.shape.d[3] == ow && out.dtype == p.out_dtype);
    tl_poison(y, ny);
    size_t wsb = gl_op_qconv.workspace(&p, in, n_in, &out, 1);
    CHECK(wsb == ny * 4);
    CHECK_OK(gl_op_qconv.run(&p, in, n_in, &out, 1, acc, &err));
    size_t bad = 0;
    for (int64_t n = 0; n < c.n; n++)
        for (int64_t m = 0; m < c.cout; m++)
            for (int64_t oy = 0; oy < oh; oy++)
                for (int64_t ox = 0; ox < ow; ox++) {
                    size_t i = (size_t)(((n * c.cout + m) * oh + oy) * ow + ox);
                    int32_t a = naive_acc(&c, x, p.x_zero_point, w, n, m, oy, ox);
                    if (acc[i] != a) bad++;
                    float v = (float)a * (p.x_scale * ws[m]) + b[m];
                    if (c.epi) v = (v > 0.0f ? v : 0.0f) + opnd[m];
                    if (c.out_int8) {
                        int32_t q = spec_quantize(v, p.y_scale, p.y_zero_point, -128, 127);
                        if (((int8_t *)y)[i] != q) bad++;
                    } else if (!(y[i] == v)) {
                        bad++;
                    }
                }
    CHECK_MSG(bad == 0, "trial %d: %zu outputs differ (n %lld cin %lld cout %lld g %lld k %lld "
              "s %lld d %lld p %lld)", trial, bad, (long long)c.n, (long long)c.cin,
              (long long)c.cout, (long long)c.group, (long long)c.k, (long long)c.stride,
              (long long)c.dil, (long long)c.pad);
    free(x), free(w), free(b), free(ws), free(opnd), free(y), free(acc);
}

/* QConv on quantised data against the FP32 conv of the original data. */
static void test_qconv_vs_fp32(void) {
    qcase c = {.n = 2, .cin = 8, .cout = 6, .group = 1, .h = 10, .w = 9, .k = 3, .stride = 1,
               .dil = 1, .pad = 1};
    gl_qconv_params p;
    fill_params(&c, &p);
    size_t nx = 2 * 8 * 10 * 9, nw = 6 * 8 * 9, ny = 2 * 6 * 10 * 9;
    float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc(6 * 4), *yf = malloc(ny * 4);
    float *yq = malloc(ny * 4), ws[6];
    int8_t *xq = malloc(nx), *wq = malloc(nw);
    int32_t *acc = malloc(ny * 4);
    tl_fill_uniform(x, nx, -0.3f, 1.7f);
    tl_fill_uniform(w, nw, -0.5f, 0.5f);
    tl_fill_uniform(b, 6, -0.2f, 0.2f);
    float mn = x[0], mx = x[0];
    for (size_t i = 0; i < nx; i++) mn = fminf(mn, x[i]), mx = fmaxf(mx, x[i]);
    gl_quant_act_params(mn, mx, &p.x_scale, &p.x_zero_point);
    for (size_t i = 0; i < nx; i++)
        xq[i] = (int8_t)gl_quantize_value(x[i], p.x_scale, p.x_zero_point, -128, 127);
    gl_quant_weights(w, 6, (int64_t)(nw / 6), wq, ws);
    p.out_dtype = GLINT_DTYPE_FLOAT32;
    p.wscale_input = 3;
    gl_shape xs = {.rank = 4, .d = {2, 8, 10, 9}}, wsh = {.rank = 4, .d = {6, 8, 3, 3}};
    gl_shape vs = {.rank = 1, .d = {6}};
    gl_tensor in[4] = {{GLINT_DTYPE_INT8, xs, xq}, {GLINT_DTYPE_INT8, wsh, wq},
                       {GLINT_DTYPE_FLOAT32, vs, b}, {GLINT_DTYPE_FLOAT32, vs, ws}};
    gl_tensor out = {GLINT_DTYPE_FLOAT32, {.rank = 4, .d = {2, 6, 10, 9}}, yq};
    gl_err err = {0};
    tl_poison(yq, ny);
    CHECK_OK(gl_op_qconv.run(&p, in, 4, &out, 1, acc, &err));
    gl_conv_geom g;
    CHECK_OK(gl_conv_resolve(&p.fc.conv, &xs, &wsh, &g, &err));
    gl_nn_conv_ref(&g, x, w, b, yf);
    double d2 = 0, r2 = 0;
    for (size_t i = 0; i < ny; i++) d2 += (yq[i] - yf[i]) * (double)(yq[i] - yf[i]), r2 += yf[i] * (double)yf[i];
    double rel = sqrt(d2 / r2);
    CHECK_MSG(rel < 0.02, "INT8 conv relative error %g", rel);
    CHECK_MSG(rel > 0.0, "INT8 conv equals FP32 exactly: quantisation did not happen");
    /* the error check that calibration relies on must see the same */
    CHECK(tl_close(yq, yf, ny, 0.05f, 0.05f, "qconv vs fp32"));
    free(x), free(w), free(b), free(yf), free(yq), free(xq), free(wq), free(acc);
}

/* ------------------------------------------------------------ BF16 */
static float bf16_bits_round(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u; /* nearest even, finite inputs */
    memcpy(&f, &u, 4);
    return f;
}

static void test_bf16(void) {
    int64_t m = 7, n = 5, k = 33;
    float *a = malloc((size_t)(m * k) * 4), *bm = malloc((size_t)(k * n) * 4);
    float *c = malloc((size_t)(m * n) * 4), *want = malloc((size_t)(m * n) * 4);
    float *f32 = malloc((size_t)(m * n) * 4);
    tl_fill_uniform(a, (size_t)(m * k), -2.0f, 2.0f);
    tl_fill_uniform(bm, (size_t)(k * n), -2.0f, 2.0f);
    tl_poison(c, (size_t)(m * n));
    gl_bf16_gemm_ref(m, n, k, a, k, bm, n, c, n);
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            float s = 0.0f, sf = 0.0f;
            for (int64_t p = 0; p < k; p++) {
                s += bf16_bits_round(a[i * k + p]) * bf16_bits_round(bm[p * n + j]);
                sf += a[i * k + p] * bm[p * n + j];
            }
            want[i * n + j] = s;
            f32[i * n + j] = sf;
        }
    CHECK(memcmp(c, want, (size_t)(m * n) * 4) == 0);
    CHECK(tl_close(c, f32, (size_t)(m * n), 0.02f, 0.02f, "bf16 gemm vs fp32"));
    /* conv: equal to the FP32 reference on bit-rounded copies */
    gl_conv_params cp = {.group = 1, .stride = {2, 2}, .dilation = {1, 1}, .pads = {1, 1, 1, 1}};
    gl_shape xs = {.rank = 4, .d = {1, 3, 7, 6}}, wsh = {.rank = 4, .d = {4, 3, 3, 3}};
    gl_conv_geom g;
    gl_err err = {0};
    CHECK_OK(gl_conv_resolve(&cp, &xs, &wsh, &g, &err));
    size_t nx = 3 * 7 * 6, nw = 4 * 27, ny = (size_t)(4 * g.out[0] * g.out[1]);
    float *x = malloc(nx * 4), *w = malloc(nw * 4), *xr = malloc(nx * 4), *wr = malloc(nw * 4);
    float *y = malloc(ny * 4), *yw = malloc(ny * 4), b[4];
    tl_fill_uniform(x, nx, -1.0f, 1.0f);
    tl_fill_uniform(w, nw, -1.0f, 1.0f);
    tl_fill_uniform(b, 4, -1.0f, 1.0f);
    for (size_t i = 0; i < nx; i++) xr[i] = bf16_bits_round(x[i]);
    for (size_t i = 0; i < nw; i++) wr[i] = bf16_bits_round(w[i]);
    void *ws = malloc(gl_bf16_conv_workspace(&g));
    tl_poison(y, ny);
    gl_bf16_conv_ref(&g, x, w, b, y, ws);
    gl_nn_conv_ref(&g, xr, wr, b, yw);
    CHECK(memcmp(y, yw, ny * 4) == 0);
    gl_nn_conv_ref(&g, x, w, b, yw);
    CHECK(tl_close(y, yw, ny, 0.02f, 0.02f, "bf16 conv vs fp32"));
    bool differs = memcmp(y, yw, ny * 4) != 0;
    CHECK_MSG(differs, "bf16 rounding changed nothing");
    free(a), free(bm), free(c), free(want), free(f32), free(x), free(w), free(xr), free(wr);
    free(y), free(yw), free(ws);
}

int main(void) {
    tl_seed_from_env();
    test_round_half_even();
    for (int i = 0; i < 4; i++) {
        test_qdq(GLINT_DTYPE_INT8, i & 1);
        test_qdq(GLINT_DTYPE_UINT8, i & 1);
    }
    test_qdq_errors();
    test_dq_one_value_scale();
    for (int i = 0; i < 40; i++) test_qconv_exact(i);
    test_qconv_vs_fp32();
    test_bf16();
    return TEST_END();
}
