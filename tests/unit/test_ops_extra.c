/* Extra operators (src/ops/op_extra_act.c, op_extra_layout.c:
 * elementwise ops and data movement): the ONNX documentation's examples, and
 * randomized checks against independent naive formulas on fresh inputs with
 * NaN-poisoned outputs (tn_run). Along-an-axis ops are in
 * test_ops_extra_scan.c, index ops in test_ops_extra_index.c. */
#include "test_ops_basic_util.h"

static gl_tensor f32t(gl_shape s, float *v) { return tt(GLINT_DTYPE_FLOAT32, s, v); }
static gl_tensor i64t(gl_shape s, int64_t *v) { return tt(GLINT_DTYPE_INT64, s, v); }

/* every bool output is exactly 0 or 1 and equals want */
static bool eq_bool(const uint8_t *got, const uint8_t *want, size_t n, const char *what) {
    for (size_t i = 0; i < n; i++)
        if (got[i] != want[i]) {
            fprintf(stderr, "%s: at %zu got %u want %u\n", what, i, got[i], want[i]);
            return false;
        }
    return true;
}

/* ---------------------------------------------------------------- PRelu */
static void test_prelu(void) {
    tnode t = {0};
    float x[4] = {-2, 3, -0.5f, 0}, sl[1] = {0.5f}, want[4] = {-1, 3, -0.25f, 0};
    tn_init(&t, "PRelu", 16);
    gl_tensor in[2] = {f32t(SHAPE(4), x), f32t(SHAPE(1), sl)};
    RUN_OK(&t, in, 2);
    CHECK(tl_close(t.out[0].data, want, 4, 0, 0, "PRelu example"));

    for (int it = 0; it < 40; it++) {
        gl_shape xs = rand_shape((int)rand_int(1, 4), 1, 5);
        /* slope: a trailing part of x's shape, each dim kept or set to 1 */
        gl_shape ss = {.rank = (int)rand_int(1, xs.rank)};
        for (int i = 0; i < ss.rank; i++)
            ss.d[i] = rand_int(0, 1) ? xs.d[xs.rank - ss.rank + i] : 1;
        float *xv = rand_floats(&xs, -2, 2), *sv = rand_floats(&ss, -1, 1);
        gl_tensor pin[2] = {f32t(xs, xv), f32t(ss, sv)};
        RUN_OK(&t, pin, 2);
        size_t n = (size_t)gl_shape_numel(&xs);
        float *w = malloc(n * sizeof *w);
        int64_t idx[GL_MAX_RANK], sidx[GL_MAX_RANK];
        for (size_t i = 0; i < n; i++) {
            unflatten(&xs, (int64_t)i, idx);
            for (int d = 0; d < ss.rank; d++) {
                int64_t c = idx[xs.rank - ss.rank + d];
                sidx[d] = ss.d[d] == 1 ? 0 : c;
            }
            float a = sv[flat_index(&ss, sidx)];
            w[i] = xv[i] >= 0 ? xv[i] : xv[i] * a;
        }
        CHECK_MSG(tl_close(t.out[0].data, w, n, 0, 0, "PRelu random"), "iteration %d", it);
        free(w), free(xv), free(sv);
    }
    /* int64 slope per channel */
    int64_t xi[6] = {-4, 5, -6, 7, -8, 0}, si[3] = {2, 3, -1}, wi[6] = {-8, 5, 6, 7, -24, 0};
    gl_tensor iin[2] = {i64t(SHAPE(2, 3), xi), i64t(SHAPE(3), si)};
    RUN_OK(&t, iin, 2);
    CHECK(eq_i64(t.out[0].data, wi, 6, "PRelu int64"));
    /* the slope must broadcast to X, not X to the slope */
    float big[12] = {0};
    gl_tensor bad[2] = {f32t(SHAPE(3, 1), x), f32t(SHAPE(3, 4), big)};
    RUN_FAILS(&t, bad, 2, GLINT_ERR_INVALID_MODEL);
    gl_tensor mixed[2] = {f32t(SHAPE(2, 3), big), i64t(SHAPE(3), si)};
    RUN_FAILS(&t, mixed, 2, GLINT_ERR_INVALID_MODEL);
    tn_free_out(&t);
}

/* ------------------------------------------- Mish, ThresholdedRelu, Shrink */
static void test_activations(void) {
    tnode t = {0};
    for (int it = 0; it < 10; it++) {
        gl_shape s = rand_shape((int)rand_int(1, 3), 0, 7);
        float *x = rand_floats(&s, -12, 12);
        size_t n = (size_t)gl_shape_numel(&s);
        float *w = malloc((n ? n : 1) * sizeof *w);
        gl_tensor in = f32t(s, x);
        tn_init(&t, "Mish", 18);
        RUN_OK(&t, &in, 1);
        for (size_t i = 0; i < n; i++) w[i] = (float)(x[i] * tanh(log(1.0 + exp((double)x[i]))));
        CHECK(tl_close(t.out[0].data, w, n, 1e-6f, 1e-7f, "Mish"));
        float alpha = tl_rand_uniform(-1, 2);
        tn_init(&t, "ThresholdedRelu", 11);
        tn_float(&t, "alpha", alpha);
        RUN_OK(&t, &in, 1);
        for (size_t i = 0; i < n; i++) w[i] = x[i] > alpha ? x[i] : 0;
        CHECK(tl_close(t.out[0].data, w, n, 0, 0, "ThresholdedRelu"));
        float lambd = tl_rand_uniform(0, 5), bias = tl_rand_uniform(-2, 2);
        tn_init(&t, "Shrink", 11);
        tn_float(&t, "lambd", lambd);
        tn_float(&t, "bias", bias);
        RUN_OK(&t, &in, 1);
        for (size_t i = 0; i < n; i++)
            w[i] = x[i] < -lambd ? x[i] + bias : x[i] > lambd ? x[i] - bias : 0;
        CHECK(tl_close(t.out[0].data, w, n, 0, 0, "Shrink"));
        free(x), free(w);
    }
    /* the spec's examples */
    float x5[5] = {-2, -1, 0, 1, 2}, hard[5] = {-2, 0, 0, 0, 2}, soft[5] = {-0.5f, 0, 0, 0, 0.5f};
    gl_tensor in5 = f32t(SHAPE(5), x5);
    tn_init(&t, "Shrink", 11);
    tn_float(&t, "lambd", 1.5f);
    RUN_OK(&t, &in5, 1);
    CHECK(tl_close(t.out[0].data, hard, 5, 0, 0, "Shrink hard"));
    tn_float(&t, "bias", 1.5f);
    RUN_OK(&t, &in5, 1);
    CHECK(tl_close(t.out[0].data, soft, 5, 0, 0, "Shrink soft"));
    float tr[5] = {0, 0, 0, 0, 2};
    tn_init(&t, "ThresholdedRelu", 11); /* default alpha 1 */
    RUN_OK(&t, &in5, 1);
    CHECK(tl_close(t.out[0].data, tr, 5, 0, 0, "ThresholdedRelu default"));
    int64_t xi[7] = {-3, -2, -1, 0, 1, 2, 3}, wi[7] = {-2, -1, 0, 0, 0, 1, 2};
    gl_tensor ini = i64t(SHAPE(7), xi);
    tn_init(&t, "Shrink", 11);
    tn_float(&t, "lambd", 1.5f);
    tn_float(&t, "bias", 1.0f);
    RUN_OK(&t, &ini, 1);
    CHECK(eq_i64(t.out[0].data, wi, 7, "Shrink int64"));
    tn_init(&t, "Shrink", 11);
    tn_float(&t, "lambd", -1.0f);
    RUN_FAILS(&t, &in5, 1, GLINT_ERR_INVALID_MODEL);
    tn_init(&t, "Mish", 18);
    RUN_FAILS(&t, &ini, 1, GLINT_ERR_UNSUPPORTED);
    tn_free_out(&t);
}

/* ------------------------------------------------------------ IsNaN, IsInf */
static void test_isnan_isinf(void) {
    tnode t = {0};
    enum { N = 64 };
    float x[N];
    tl_fill_uniform(x, N, -1e30f, 1e30f);
    for (int i = 0; i < 12; i++) {
        int k = (int)rand_int(0, N - 1);
        x[k] = i % 3 == 0 ? NAN : i % 3 == 1 ? INFINITY : -INFINITY;
    }
    gl_tensor in = f32t(SHAPE(4, 16), x);
    uint8_t w[N];
    for (int mode = 0; mode < 4; mode++) {
        bool neg = mode & 1, pos = mode & 2;
        tn_init(&t, "IsInf", 20);
        tn_int(&t, "detect_negative", neg);
        tn_int(&t, "detect_positive", pos);
        RUN_OK(&t, &in, 1);
        for (int i = 0; i < N; i++)
            w[i] = (x[i] == INFINITY && pos) || (x[i] == -INFINITY && neg);
        CHECK(t.out[0].dtype == GLINT_DTYPE_BOOL && eq_bool(t.out[0].data, w, N, "IsInf"));
    }
    tn_init(&t, "IsNaN", 13);
    RUN_OK(&t, &in, 1);
    for (int i = 0; i < N; i++) w[i] = x[i] != x[i];
    CHECK(eq_bool(t.out[0].data, w, N, "IsNaN"));
    /* float16 keeps NaN and infinity through the widening */
    uint16_t h[4] = {gl_f32_to_f16(1.5f), gl_f32_to_f16(NAN), gl_f32_to_f16(INFINITY),
                     gl_f32_to_f16(-65504.0f)};
    gl_tensor hin = tt(GLINT_DTYPE_FLOAT16, SHAPE(4), h);
    uint8_t wn[4] = {0, 1, 0, 0}, wi[4] = {0, 0, 1, 0};
    RUN_OK(&t, &hin, 1);
    CHECK(eq_bool(t.out[0].data, wn, 4, "IsNaN f16"));
    tn_init(&t, "IsInf", 20);
    RUN_OK(&t, &hin, 1);
    CHECK(eq_bool(t.out[0].data, wi, 4, "IsInf f16"));
    int64_t iv[2] = {1, 2};
    gl_tensor ii = i64t(SHAPE(2), iv);
    RUN_FAILS(&t, &ii, 1, GLINT_ERR_UNSUPPORTED);
    tn_free_out(&t);
}

/* ---------------------------------------------------------------- Dropout */
static void test_dropout(void) {
    tnode t = {0};
    gl_shape s = SHAPE(3, 4, 5);
    float *x = rand_floats(&s, -3, 3);
    uint8_t ones[60], fls = 0, tru = 1;
    memset(ones, 1, sizeof ones);
    float ratio = 0.3f;
    gl_tensor in[3] = {f32t(s, x), f32t(SCALAR_SHAPE, &ratio),
                       tt(GLINT_DTYPE_BOOL, SCALAR_SHAPE, &fls)};
    int64_t opsets[2] = {11, 13};
    for (int o = 0; o < 2; o++) {
        tn_init(&t, "Dropout", opsets[o]);
        if (opsets[o] < 12) tn_float(&t, "ratio", 0.5f);
        t.n_out = 2;
        RUN_OK(&t, in, opsets[o] < 12 ? 1 : 3);
        CHECK(tl_close(t.out[0].data, x, 60, 0, 0, "Dropout Y"));
        CHECK(t.out[1].dtype == GLINT_DTYPE_BOOL && shape_is(&t.out[1].shape, s) &&
              eq_bool(t.out[1].data, ones, 60, "Dropout mask"));
    }
    tn_init(&t, "Dropout", 13);
    gl_tensor only_x = in[0];
    RUN_OK(&t, &only_x, 1);
    CHECK(tl_close(t.out[0].data, x, 60, 0, 0, "Dropout one output"));
    /* training: a true or unknown training_mode is refused */
    in[2].data = &tru;
    RUN_FAILS(&t, in, 3, GLINT_ERR_UNSUPPORTED);
    CHECK(strstr(t.err.msg, "training_mode") != NULL);
    in[2].data = NULL;
    RUN_FAILS(&t, in, 3, GLINT_ERR_UNSUPPORTED);
    in[2] = T_NONE;
    RUN_OK(&t, in, 3); /* ratio given, training_mode omitted */
    CHECK(tl_close(t.out[0].data, x, 60, 0, 0, "Dropout ratio only"));
    free(x);
    tn_free_out(&t);
}

/* --------------------------------------------- DepthToSpace, SpaceToDepth
 * Naive: the spec's own definition, a 6-D reshape + transpose + reshape. */
static void d2s_naive(const float *x, float *y, int64_t N, int64_t C, int64_t H, int64_t W,
                      int64_t b, bool crd) {
    int64_t c2 = C / (b * b);
    /* tmp dims: DCR [N, b, b, c2, H, W], CRD [N, c2, b, b, H, W] */
    for (int64_t n = 0; n < N; n++)
        for (int64_t q0 = 0; q0 < (crd ? c2 : b); q0++)
            for (int64_t q1 = 0; q1 < b; q1++)
                for (int64_t q2 = 0; q2 < (crd ? b : c2); q2++)
                    for (int64_t h = 0; h < H; h++)
                        for (int64_t w = 0; w < W; w++) {
                            int64_t cin = (q0 * b + q1) * (crd ? b : c2) + q2;
                            /* DCR permutation [0,3,4,1,5,2]: out [N, c2, H, b1, W, b2]
                             * CRD permutation [0,1,4,2,5,3]: out [N, c2, H, b1, W, b2] */
                            int64_t c = crd ? q0 : q2, i = crd ? q1 : q0, j = crd ? q2 : q1;
                            int64_t oy = h * b + i, ox = w * b + j;
                            y[((n * c2 + c) * H * b + oy) * W * b + ox] =
                                x[((n * C + cin) * H + h) * W + w];
                        }
}

static void test_depth_space(void) {
    tnode t = {0};
    /* the spec's example: x[0, c, h, w] = 9c + 3h + w, [1, 8, 2, 3], blocksize 2 */
    float x[48];
    for (int c = 0; c < 8; c++)
        for (int k = 0; k < 6; k++) x[c * 6 + k] = (float)(9 * c + 3 * (k / 3) + k % 3);
    gl_tensor in = f32t(SHAPE(1, 8, 2, 3), x);
    float dcr[12] = {0, 18, 1, 19, 2, 20, 36, 54, 37, 55, 38, 56};
    float crd[12] = {0, 9, 1, 10, 2, 11, 18, 27, 19, 28, 20, 29};
    float dcr_c1[6] = {9, 27, 10, 28, 11, 29};
    tn_init(&t, "DepthToSpace", 13);
    tn_int(&t, "blocksize", 2);
    RUN_OK(&t, &in, 1);
    CHECK(shape_is(&t.out[0].shape, SHAPE(1, 2, 4, 6)));
    CHECK(tl_close(t.out[0].data, dcr, 12, 0, 0, "DCR example"));
    CHECK(tl_close((float *)t.out[0].data + 24, dcr_c1, 6, 0, 0, "DCR example channel 1"));
    tn_string(&t, "mode", "CRD");
    RUN_OK(&t, &in, 1);
    CHECK(tl_close(t.out[0].data, crd, 12, 0, 0, "CRD example"));

    for (int it = 0; it < 30; it++) {
        int64_t b = rand_int(1, 3), N = rand_int(1, 2), C = b * b * rand_int(1, 3);
        int64_t H = rand_int(1, 4), W = rand_int(1, 4);
        gl_shape s = SHAPE(N, C, H, W);
        float *xv = rand_floats(&s, -1, 1);
        size_t n = (size_t)gl_shape_numel(&s);
        float *w = malloc(n * sizeof *w);
        bool use_crd = it % 2;
        gl_tensor xin = f32t(s, xv);
        tn_init(&t, "DepthToSpace", 13);
        tn_int(&t, "blocksize", b);
        if (use_crd) tn_string(&t, "mode", "CRD");
        RUN_OK(&t, &xin, 1);
        d2s_naive(xv, w, N, C, H, W, b, use_crd);
        CHECK(shape_is(&t.out[0].shape, SHAPE(N, C / (b * b), H * b, W * b)));
        CHECK_MSG(tl_close(t.out[0].data, w, n, 0, 0, "DepthToSpace random"), "it %d", it);
        if (!use_crd) { /* SpaceToDepth inverts DCR */
            gl_tensor yin = f32t(t.out[0].shape, w);
            tnode u = {0};
            tn_init(&u, "SpaceToDepth", 13);
            tn_int(&u, "blocksize", b);
            RUN_OK(&u, &yin, 1);
            CHECK(shape_is(&u.out[0].shape, s));
            CHECK(tl_close(u.out[0].data, xv, n, 0, 0, "SpaceToDepth inverse"));
            tn_free_out(&u);
        }
        free(xv), free(w);
    }
    /* int64 elements move too */
    int64_t iv[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    gl_tensor ii = i64t(SHAPE(1, 1, 2, 4), iv);
    tn_init(&t, "SpaceToDepth", 13);
    tn_int(&t, "blocksize", 2);
    RUN_OK(&t, &ii, 1);
    CHECK(shape_is(&t.out[0].shape, SHAPE(1, 4, 1, 2)));
    int64_t s2d[8] = {0, 2, 1, 3, 4, 6, 5, 7};
    CHECK(eq_i64(t.out[0].data, s2d, 8, "SpaceToDepth int64"));
    /* refusals */
    tn_init(&t, "DepthToSpace", 13);
    tn_int(&t, "blocksize", 2);
    tn_string(&t, "mode", "XYZ");
    RUN_FAILS(&t, &in, 1, GLINT_ERR_UNSUPPORTED);
    CHECK(strstr(t.err.msg, "XYZ") != NULL);
    tn_init(&t, "DepthToSpace", 13);
    tn_int(&t, "blocksize", 3); /* 8 channels are not a multiple of 9 */
    RUN_FAILS(&t, &in, 1, GLINT_ERR_INVALID_MODEL);
    tn_init(&t, "DepthToSpace", 13);
    RUN_FAILS(&t, &in, 1, GLINT_ERR_INVALID_MODEL); /* no blocksize */
    tn_init(&t, "SpaceToDepth", 13);
    tn_int(&t, "blocksize", 2); /* width 3 is odd */
    RUN_FAILS(&t, &in, 1, GLINT_ERR_INVALID_MODEL);
    tn_free_out(&t);
}

/* ---------------------------------------------------------------- Trilu */
static void test_trilu(void) {
    tnode t = {0};
    float x[20] = {4, 7, 3, 7, 9, 1, 2, 8, 6, 9, 9, 4, 0, 8, 7, 4, 3, 4, 2, 4};
    float triu[20] = {4, 7, 3, 7, 9, 0, 2, 8, 6, 9, 0, 0, 0, 8, 7, 0, 0, 0, 2, 4};
    float tril1[20] = {4, 7, 0, 0, 0, 1, 2, 8, 0, 0, 9, 4, 0, 8, 0, 4, 3, 4, 2, 4};
    gl_tensor in[2] = {f32t(SHAPE(4, 5), x), T_NONE};
    tn_init(&t, "Trilu", 14);
    RUN_OK(&t, in, 1);
    CHECK(tl_close(t.out[0].data, triu, 20, 0, 0, "triu example"));
    int64_t one = 1;
    in[1] = i64t(SCALAR_SHAPE, &one);
    tn_init(&t, "Trilu", 14);
    tn_int(&t, "upper", 0);
    RUN_OK(&t, in, 2);
    CHECK(tl_close(t.out[0].data, tril1, 20, 0, 0, "tril k=1 example"));

    /* triu(x, k) + tril(x, k - 1) == x, each zero where the other keeps */
    for (int it = 0; it < 20; it++) {
        gl_shape s = rand_shape((int)rand_int(2, 4), 0, 6);
        float *xv = rand_floats(&s, 0.5f, 2);
        size_t n = (size_t)gl_shape_numel(&s);
        int64_t k = rand_int(-7, 7), km1 = k - 1;
        gl_tensor a[2] = {f32t(s, xv), i64t(SCALAR_SHAPE, &k)};
        tnode lo = {0};
        tn_init(&t, "Trilu", 14);
        RUN_OK(&t, a, 2);
        a[1].data = &km1;
        tn_init(&lo, "Trilu", 14);
        tn_int(&lo, "upper", 0);
        RUN_OK(&lo, a, 2);
        const float *up = t.out[0].data, *dn = lo.out[0].data;
        bool ok = true;
        int64_t idx[GL_MAX_RANK];
        for (size_t i = 0; i < n; i++) {
            unflatten(&s, (int64_t)i, idx);
            int64_t r = idx[s.rank - 2], c = idx[s.rank - 1];
            bool want_up = c >= r + k;
            if (up[i] != (want_up ? xv[i] : 0) || dn[i] != (want_up ? 0 : xv[i])) ok = false;
        }
        CHECK_MSG(ok, "Trilu random k=%lld", (long long)k);
        tn_free_out(&lo);
        free(xv);
    }
    gl_tensor v1 = f32t(SHAPE(5), x);
    tn_init(&t, "Trilu", 14);
    RUN_FAILS(&t, &v1, 1, GLINT_ERR_INVALID_MODEL);
    tn_free_out(&t);
}

/* ---------------------------------------------------------------- OneHot */
static void test_onehot(void) {
    tnode t = {0};
    /* the spec's example: indices [0, -7, -8], depth 10, values [1, 3], axis 1 */
    int64_t idx[3] = {0, -7, -8};
    float depth = 10, vals[2] = {1, 3};
    gl_tensor in[3] = {i64t(SHAPE(3), idx), f32t(SCALAR_SHAPE, &depth), f32t(SHAPE(2), vals)};
    tn_init(&t, "OneHot", 11);
    tn_int(&t, "axis", 1);
    RUN_OK(&t, in, 3);
    CHECK(shape_is(&t.out[0].shape, SHAPE(3, 10)));
    float want[30];
    for (int i = 0; i < 30; i++) want[i] = 1;
    want[0] = want[10 + 3] = want[20 + 2] = 3;
    CHECK(tl_close(t.out[0].data, want, 30, 0, 0, "OneHot example"));

    for (int it = 0; it < 20; it++) {
        gl_shape s = rand_shape((int)rand_int(0, 3), 1, 4);
        size_t n = (size_t)gl_shape_numel(&s);
        float *fi = malloc(n * sizeof *fi);
        int64_t dep = rand_int(1, 6);
        for (size_t i = 0; i < n; i++) fi[i] = (float)rand_int(-dep - 2, dep + 2);
        int64_t axis = rand_int(-s.rank - 1, s.rank);
        int64_t iv[2] = {rand_int(-9, 9), rand_int(-9, 9)};
        gl_tensor oin[3] = {f32t(s, fi), i64t(SHAPE(1), &dep), i64t(SHAPE(2), iv)};
        tn_init(&t, "OneHot", 11);
        tn_int(&t, "axis", axis);
        RUN_OK(&t, oin, 3);
        int a = (int)(axis < 0 ? axis + s.rank + 1 : axis);
        gl_shape os = {.rank = s.rank + 1};
        for (int d = 0, k = 0; d < os.rank; d++) os.d[d] = d == a ? dep : s.d[k++];
        CHECK(shape_is(&t.out[0].shape, os) && t.out[0].dtype == GLINT_DTYPE_INT64);
        size_t on = n * (size_t)dep;
        int64_t *w = malloc(on * sizeof *w), oidx[GL_MAX_RANK + 1], sidx[GL_MAX_RANK];
        for (size_t o = 0; o < on; o++) {
            unflatten(&os, (int64_t)o, oidx);
            for (int d = 0, k = 0; d < os.rank; d++)
                if (d != a) sidx[k++] = oidx[d];
            int64_t v = (int64_t)fi[flat_index(&s, sidx)];
            bool hot = v == oidx[a] || v + dep == oidx[a];
            if (v < -dep || v >= dep) hot = false;
            w[o] = hot ? iv[1] : iv[0];
        }
        CHECK_MSG(eq_i64(t.out[0].data, w, on, "OneHot random"), "it %d", it);
        free(fi), free(w);
    }
    in[1].data = NULL;
    tn_init(&t, "OneHot", 11);
    RUN_FAILS(&t, in, 3, GLINT_ERR_UNSUPPORTED);
    in[1].data = &depth;
    in[2] = f32t(SHAPE(1), vals);
    RUN_FAILS(&t, in, 3, GLINT_ERR_INVALID_MODEL);
    tn_free_out(&t);
}

int main(void) {
    tl_seed_from_env();
    test_prelu();
    test_activations();
    test_isnan_isinf();
    test_dropout();
    test_depth_space();
    test_trilu();
    test_onehot();
    return TEST_END();
}
