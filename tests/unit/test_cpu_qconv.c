/* The CPU INT8 fast paths (AVX-512 VNNI conv, vector QuantizeLinear)
 * against the reference kernels of glint::QConv and QuantizeLinear, bit for
 * bit, on fresh random inputs: int8 and uint8 inputs with random zero
 * points, float / int8 / uint8 outputs, every epilogue kind and broadcast,
 * strides 1 and 2, dilation, asymmetric pads, kernel widths 1 to 7, widths
 * that leave partial vectors, narrow outputs packed several rows to a
 * vector, channel counts that leave partial tiles (and the 1-channel tiles
 * of convs with at most 4 outputs), and 1 to 4 threads. Outputs are poisoned first. Skips on CPUs without
 * AVX-512 VNNI/VBMI. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend/cpu/qconv_fast.h"
#include "epilogue_testutil.h"
#include "ops/op.h"
#include "testlib.h"

typedef struct qcase {
    int64_t n, c, m, h, w, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
} qcase;

static int64_t ri(int64_t lo, int64_t hi) { return lo + (int64_t)(tl_rand_u64() % (uint64_t)(hi - lo + 1)); }

static float *rndf(size_t n, float lo, float hi) {
    float *p = malloc(n * sizeof(float) + 4);
    tl_fill_uniform(p, n, lo, hi);
    return p;
}

/* One case: x dtype xt, output dtype yt, epilogue mode epi (-1: none).
 * Returns 1 when the fast path equals the reference byte for byte. */
static int run_case(const qcase *qc, gl_dtype xt, gl_dtype yt, int epi, bool bias, int threads) {
    gl_qconv_params p;
    memset(&p, 0, sizeof p);
    gl_conv_params *cp = &p.fc.conv;
    cp->group = 1;
    cp->n_kernel = 2;
    cp->kernel[0] = qc->kh; cp->kernel[1] = qc->kw;
    cp->stride[0] = qc->sh; cp->stride[1] = qc->sw;
    cp->dilation[0] = qc->dh; cp->dilation[1] = qc->dw;
    cp->pads[0] = qc->pt; cp->pads[1] = qc->pl;
    cp->pads[GL_MAX_SPATIAL + 0] = qc->pb; cp->pads[GL_MAX_SPATIAL + 1] = qc->pr;
    cp->n_attr_spatial = 2;
    cp->auto_pad = GL_AUTO_PAD_NOTSET;
    p.x_scale = 0.02f + 0.05f * (float)ri(0, 10) / 10.0f;
    p.x_zero_point = xt == GLINT_DTYPE_UINT8 ? (int32_t)ri(0, 255) : (int32_t)ri(-128, 127);
    p.out_dtype = yt;
    p.y_scale = 0.01f + 0.1f * (float)ri(0, 10) / 10.0f;
    p.y_zero_point = yt == GLINT_DTYPE_UINT8 ? (int32_t)ri(0, 255) : (int32_t)ri(-128, 127);

    const int64_t xd[4] = {qc->n, qc->c, qc->h, qc->w};
    const int64_t wd[4] = {qc->m, qc->c, qc->kh, qc->kw};
    const size_t xn = (size_t)(qc->n * qc->c * qc->h * qc->w);
    const size_t wn = (size_t)(qc->m * qc->c * qc->kh * qc->kw);
    uint8_t *x = malloc(xn + 1);
    int8_t *w = malloc(wn + 1);
    for (size_t i = 0; i < xn; i++) x[i] = (uint8_t)tl_rand_u64();
    for (size_t i = 0; i < wn; i++) w[i] = (int8_t)ri(-127, 127);
    float *b = rndf((size_t)qc->m, -1, 1), *wscale = rndf((size_t)qc->m, 0.001f, 0.01f);

    gl_tensor in[4 + GL_MAX_EPILOGUE];
    memset(in, 0, sizeof in);
    int n_in = 3;
    in[0] = tl_tensor(xt, x, 4, xd);
    in[1] = tl_tensor(GLINT_DTYPE_INT8, w, 4, wd);
    const int64_t md[1] = {qc->m};
    in[2] = bias ? tl_tensor(GLINT_DTYPE_FLOAT32, b, 1, md)
                 : (gl_tensor){.dtype = GLINT_DTYPE_UNDEFINED};
    float *opnd[GL_MAX_EPILOGUE] = {0};
    gl_shape xs = in[0].shape, ws = in[1].shape;
    gl_conv_geom g;
    gl_err err = {0};
    if (gl_conv_resolve(cp, &xs, &ws, &g, &err) != GLINT_OK) {
        fprintf(stderr, "resolve failed: %s\n", err.msg);
        return 0;
    }
    const int64_t yd[4] = {qc->n, qc->m, g.out[0], g.out[1]};
    if (epi >= 0) n_in = et_epilogue_chain(epi, yd, &p.fc, in, n_in, opnd);
    p.wscale_input = n_in;
    in[n_in++] = tl_tensor(GLINT_DTYPE_FLOAT32, wscale, 1, md);

    const size_t yn = (size_t)(yd[0] * yd[1] * yd[2] * yd[3]), yb = yn * glint_dtype_size(yt);
    uint8_t *yr = malloc(yb + 1), *yf = malloc(yb + 1);
    memset(yr, 0xA5, yb);
    memset(yf, 0xA5, yb);
    gl_tensor out_r = tl_tensor(yt, yr, 4, yd), out_f = tl_tensor(yt, yf, 4, yd);
    const gl_op *op = gl_op_find("glint", "QConv");
    size_t wsb = op->workspace(&p, in, n_in, &out_r, 1);
    void *wsp = malloc(wsb + 1);
    int ok = op->run(&p, in, n_in, &out_r, 1, wsp, &err) == GLINT_OK;
    if (!ok) fprintf(stderr, "reference failed: %s\n", err.msg);

    gl_conv_geom qg;
    CHECK_OK(gl_qconv_check(&p, in, n_in, &qg, &err));
    CHECK(gl_cpu_qconv_supported(&qg));
    void *packed = aligned_alloc(64, gl_align_up(gl_cpu_qconv_packed_bytes(&qg), 64));
    gl_cpu_qconv_pack_weights(&qg, w, packed);
    gl_cpu_qconv q;
    gl_cpu_qconv_init(&q, &qg, &p, xt == GLINT_DTYPE_UINT8, packed);
    uint8_t *buf = aligned_alloc(64, gl_align_up(gl_cpu_qconv_buffer_bytes(&q), 64));
    memset(buf, 0x5A, gl_cpu_qconv_buffer_bytes(&q)); /* must not matter */
    gl_pool *pool = NULL;
    CHECK_OK(gl_pool_create(NULL, threads, &pool, &err));
    gl_pool_set_min_flops(pool, 0); /* always share the work, whatever its size */
    gl_cpu_qconv_run(&q, in, n_in, &out_f, pool, buf);
    gl_pool_free(pool);

    size_t bad = 0, first = 0;
    for (size_t i = 0; i < yb; i++)
        if (yr[i] != yf[i] && bad++ == 0) first = i;
    if (bad && ok) {
        fprintf(stderr,
                "x=%s y=%s epi=%d bias=%d t=%d n=%lld c=%lld m=%lld %lldx%lld k=%lldx%lld "
                "s=%lld,%lld d=%lld,%lld pads=%lld,%lld,%lld,%lld: %zu of %zu bytes differ, "
                "first at byte %zu\n",
                glint_dtype_name(xt), glint_dtype_name(yt), epi, bias, threads, (long long)qc->n,
                (long long)qc->c, (long long)qc->m, (long long)qc->h, (long long)qc->w,
                (long long)qc->kh, (long long)qc->kw, (long long)qc->sh, (long long)qc->sw,
                (long long)qc->dh, (long long)qc->dw, (long long)qc->pt, (long long)qc->pl,
                (long long)qc->pb, (long long)qc->pr, bad, yb, first);
        ok = 0;
    }
    free(buf); free(packed); free(wsp);
    for (int i = 0; i < GL_MAX_EPILOGUE; i++) free(opnd[i]);
    free(x); free(w); free(b); free(wscale); free(yr); free(yf);
    return ok;
}

/* Vector QuantizeLinear against the reference on random values plus the
 * edges: values at and within a few ulps of ties (k + 0.5 steps, where a
 * multiplication by 1 / scale could round otherwise than the division),
 * NaN, ±Inf, huge values, -0; for several scales. */
static void test_quantize(gl_dtype yt, float scale) {
    const gl_op *op = gl_op_find("", "QuantizeLinear");
    const size_t n = 2000 + (size_t)ri(0, 100);
    float *x = rndf(n, -4, 4);
    for (size_t i = 0; i < 1200; i += 6) {
        const float tie = ((float)ri(-300, 300) + 0.5f) * scale;
        x[i] = tie;
        x[i + 1] = nextafterf(tie, INFINITY);
        x[i + 2] = nextafterf(tie, -INFINITY);
        x[i + 3] = nextafterf(x[i + 1], INFINITY);
        x[i + 4] = nextafterf(x[i + 2], -INFINITY);
        x[i + 5] = tie * (1.0f + 1e-6f);
    }
    x[1200] = NAN; x[1201] = INFINITY; x[1202] = -INFINITY; x[1203] = 1e30f; x[1204] = -1e30f;
    x[1205] = -0.0f;
    const int32_t zp = yt == GLINT_DTYPE_UINT8 ? (int32_t)ri(0, 255) : (int32_t)ri(-128, 127);
    uint8_t zpb = (uint8_t)zp;
    const int64_t nd[1] = {(int64_t)n}, one[1] = {1};
    float sc = scale;
    gl_tensor in[3] = {tl_tensor(GLINT_DTYPE_FLOAT32, x, 1, nd),
                       tl_tensor(GLINT_DTYPE_FLOAT32, &sc, 0, one), tl_tensor(yt, &zpb, 0, one)};
    uint8_t *yr = malloc(n), *yf = malloc(n);
    memset(yr, 0xA5, n);
    memset(yf, 0x5A, n);
    gl_tensor out = tl_tensor(yt, yr, 1, nd);
    gl_qdq_params qp = {.dequantize = false, .axis = 1, .output_dtype = GLINT_DTYPE_UNDEFINED};
    gl_err err = {0};
    CHECK_OK(op->run(&qp, in, 3, &out, 1, NULL, &err));
    gl_cpu_quantize q = {.scale = scale, .zero_point = zp};
    gl_qrange(yt, &q.qmin, &q.qmax);
    gl_pool *pool = NULL;
    CHECK_OK(gl_pool_create(NULL, 2, &pool, &err));
    gl_cpu_quantize_run(&q, x, (int64_t)n, yf, pool);
    gl_pool_free(pool);
    CHECK_MSG(memcmp(yr, yf, n) == 0, "QuantizeLinear to %s differs from the reference",
              glint_dtype_name(yt));
    free(x); free(yr); free(yf);
}

int main(void) {
    tl_seed_from_env();
    if (!gl_cpu_qconv_available()) tl_skip("this CPU has no AVX-512 VNNI/VBMI");
    const float scales[] = {0.0125f, 0.1f, 1.0f / 3.0f, 0.00731f, 2.5f};
    for (size_t i = 0; i < GL_ARRAY_LEN(scales); i++) {
        test_quantize(GLINT_DTYPE_INT8, scales[i]);
        test_quantize(GLINT_DTYPE_UINT8, scales[i]);
    }
    const qcase fixed[] = {
        /* n  c   m   h   w kh kw sh sw dh dw pt pl pb pr */
        {1, 16, 16, 64, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},  /* the generator's decoder */
        {1, 1, 16, 64, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},   /* its first layer */
        {1, 16, 1, 64, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},   /* its last layer (1-channel tiles) */
        {2, 5, 3, 13, 70, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},    /* 3 channels, 64 + 6 columns */
        {2, 32, 48, 32, 32, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1},  /* stride 2 */
        {1, 8, 13, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},     /* two rows a vector, partial tile */
        {2, 5, 9, 9, 4, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1},      /* four rows a vector, stride 2, 5 rows */
        {1, 4, 3, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},      /* 1-channel tiles, two rows a vector */
        {3, 5, 7, 9, 37, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},     /* 1x1, odd width */
        {1, 3, 9, 12, 40, 5, 7, 1, 1, 1, 1, 2, 3, 1, 0},    /* two tap groups, asymmetric */
        {1, 4, 8, 20, 33, 3, 3, 2, 1, 2, 2, 2, 2, 2, 2},    /* dilation */
        {1, 6, 10, 7, 5, 5, 5, 1, 1, 1, 1, 3, 3, 3, 3},     /* window larger than input */
        {2, 2, 3, 11, 50, 2, 3, 2, 3, 1, 1, 0, 1, 1, 0},    /* stride 3 columns */
    };
    const gl_dtype xts[2] = {GLINT_DTYPE_INT8, GLINT_DTYPE_UINT8};
    const gl_dtype yts[3] = {GLINT_DTYPE_FLOAT32, GLINT_DTYPE_INT8, GLINT_DTYPE_UINT8};
    int cases = 0;
    for (size_t i = 0; i < GL_ARRAY_LEN(fixed); i++)
        for (int mode = 0; mode < 6; mode++) {
            const int epi = mode == 0 ? -1 : (int)ri(0, 13);
            CHECK(run_case(&fixed[i], xts[mode % 2], yts[mode % 3], epi, mode != 3,
                           1 + (int)((i + (size_t)mode) % 4)));
            cases++;
        }
    for (int r = 0; r < 60; r++) {
        qcase qc;
        qc.c = ri(1, 20);
        qc.m = ri(1, 20);
        qc.n = ri(1, 3);
        qc.kh = ri(1, 5);
        qc.kw = ri(1, 7);
        qc.sh = ri(1, 2); qc.sw = ri(1, 3);
        qc.dh = ri(1, 2); qc.dw = qc.sw * 15 + 3 * 2 <= 63 ? ri(1, 2) : 1;
        qc.pt = ri(0, 2); qc.pl = ri(0, 2); qc.pb = ri(0, 2); qc.pr = ri(0, 2);
        qc.h = ri((qc.kh - 1) * qc.dh + 1, 24); qc.w = ri((qc.kw - 1) * qc.dw + 1, 70);
        CHECK(run_case(&qc, xts[ri(0, 1)], yts[ri(0, 2)], (int)ri(-1, 13), ri(0, 1) == 1,
                       (int)ri(1, 4)));
        cases++;
    }
    printf("%d INT8 conv cases\n", cases);
    return TEST_END();
}
