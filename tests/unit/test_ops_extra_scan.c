/* Along-an-axis extra operators (src/ops/op_extra_scan.c, op_extra_topk.c):
 * CumSum, Hardmax, LRN and TopK against the ONNX documentation's examples
 * and naive formulas on fresh random inputs (NaN-poisoned outputs). */
#include "test_ops_basic_util.h"

static gl_tensor f32t(gl_shape s, float *v) { return tt(GLINT_DTYPE_FLOAT32, s, v); }
static gl_tensor i64t(gl_shape s, int64_t *v) { return tt(GLINT_DTYPE_INT64, s, v); }

/* element offset of idx with the axis coordinate replaced by c */
static int64_t at_axis(const gl_shape *s, const int64_t *idx, int axis, int64_t c) {
    int64_t tmp[GL_MAX_RANK];
    memcpy(tmp, idx, sizeof(int64_t) * (size_t)s->rank);
    tmp[axis] = c;
    return flat_index(s, tmp);
}

/* ---------------------------------------------------------------- CumSum */
static void test_cumsum(void) {
    tnode t = {0};
    float x[5] = {1, 2, 3, 4, 5};
    float want[4][5] = {{1, 3, 6, 10, 15}, {0, 1, 3, 6, 10}, {15, 14, 12, 9, 5}, {14, 12, 9, 5, 0}};
    int64_t zero = 0;
    gl_tensor in[2] = {f32t(SHAPE(5), x), i64t(SCALAR_SHAPE, &zero)};
    for (int m = 0; m < 4; m++) {
        tn_init(&t, "CumSum", 14);
        tn_int(&t, "exclusive", m & 1);
        tn_int(&t, "reverse", m >> 1);
        RUN_OK(&t, in, 2);
        CHECK_MSG(tl_close(t.out[0].data, want[m], 5, 0, 0, "CumSum example"), "mode %d", m);
    }
    /* random: each output an explicit sum over its range (O(n^2)) */
    for (int it = 0; it < 40; it++) {
        gl_shape s = rand_shape((int)rand_int(1, 4), 0, 6);
        int64_t axis = rand_int(-s.rank, s.rank - 1);
        int a = (int)(axis < 0 ? axis + s.rank : axis);
        bool ex = rand_int(0, 1), rev = rand_int(0, 1), as_int = it % 4 == 3;
        size_t n = (size_t)gl_shape_numel(&s);
        float *xv = rand_floats(&s, -1, 1);
        int64_t *xi = malloc((n ? n : 1) * sizeof *xi);
        for (size_t i = 0; i < n; i++) xi[i] = rand_int(-1000, 1000);
        int32_t ax32 = (int32_t)axis;
        gl_tensor cin[2] = {as_int ? i64t(s, xi) : f32t(s, xv),
                            tt(GLINT_DTYPE_INT32, SHAPE(1), &ax32)};
        tn_init(&t, "CumSum", 14);
        tn_int(&t, "exclusive", ex);
        tn_int(&t, "reverse", rev);
        RUN_OK(&t, cin, 2);
        float *w = malloc((n ? n : 1) * sizeof *w);
        int64_t *wi = malloc((n ? n : 1) * sizeof *wi), idx[GL_MAX_RANK];
        for (size_t i = 0; i < n; i++) {
            unflatten(&s, (int64_t)i, idx);
            int64_t p = idx[a], lo = rev ? p + ex : 0, hi = rev ? s.d[a] - 1 : p - ex;
            double acc = 0;
            int64_t iacc = 0;
            for (int64_t c = lo; c <= hi; c++) {
                acc += xv[at_axis(&s, idx, a, c)];
                iacc += xi[at_axis(&s, idx, a, c)];
            }
            w[i] = (float)acc;
            wi[i] = iacc;
        }
        if (as_int) CHECK_MSG(eq_i64(t.out[0].data, wi, n, "CumSum int64"), "it %d", it);
        else CHECK_MSG(tl_close(t.out[0].data, w, n, 1e-5f, 1e-6f, "CumSum"), "it %d", it);
        free(xv), free(xi), free(w), free(wi);
    }
    in[1].data = NULL;
    tn_init(&t, "CumSum", 14);
    RUN_FAILS(&t, in, 2, GLINT_ERR_UNSUPPORTED);
    CHECK(strstr(t.err.msg, "axis") != NULL);
    int64_t three = 3;
    in[1].data = &three;
    RUN_FAILS(&t, in, 2, GLINT_ERR_INVALID_MODEL);
    tn_free_out(&t);
}

/* ---------------------------------------------------------------- Hardmax */
static void test_hardmax(void) {
    tnode t = {0};
    float x[16] = {3, 0, 1, 2, 2, 5, 1, 0, 0, 1, 3, 2, 0, 1, 2, 3};
    float want[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    gl_tensor in = f32t(SHAPE(4, 4), x);
    tn_init(&t, "Hardmax", 13);
    RUN_OK(&t, &in, 1);
    CHECK(tl_close(t.out[0].data, want, 16, 0, 0, "Hardmax example"));
    float ties[4] = {2, 2, 1, 2}, wt[4] = {1, 0, 0, 0};
    gl_tensor tin = f32t(SHAPE(1, 4), ties);
    RUN_OK(&t, &tin, 1);
    CHECK(tl_close(t.out[0].data, wt, 4, 0, 0, "Hardmax first of ties"));

    for (int it = 0; it < 30; it++) {
        gl_shape s = rand_shape((int)rand_int(1, 4), 1, 5);
        bool old = it % 2;
        int64_t axis = old ? rand_int(-s.rank, s.rank) : rand_int(-s.rank, s.rank - 1);
        size_t n = (size_t)gl_shape_numel(&s);
        float *xv = malloc(n * sizeof *xv), *w = malloc(n * sizeof *w);
        for (size_t i = 0; i < n; i++) xv[i] = (float)rand_int(0, 3); /* many ties */
        gl_tensor hin = f32t(s, xv);
        tn_init(&t, "Hardmax", old ? 11 : 13);
        tn_int(&t, "axis", axis);
        RUN_OK(&t, &hin, 1);
        int a = (int)(axis < 0 ? axis + s.rank : axis);
        if (old) { /* rows of the flattened [prod(d[:a]), prod(d[a:])] matrix */
            size_t cols = 1;
            for (int d = a; d < s.rank; d++) cols *= (size_t)s.d[d];
            for (size_t r = 0; r < n / cols; r++) {
                size_t best = 0;
                for (size_t c = 0; c < cols; c++) {
                    if (xv[r * cols + c] > xv[r * cols + best]) best = c;
                    w[r * cols + c] = 0;
                }
                w[r * cols + best] = 1;
            }
        } else {
            int64_t idx[GL_MAX_RANK];
            for (size_t i = 0; i < n; i++) {
                unflatten(&s, (int64_t)i, idx);
                int64_t best = 0;
                for (int64_t c = 1; c < s.d[a]; c++)
                    if (xv[at_axis(&s, idx, a, c)] > xv[at_axis(&s, idx, a, best)]) best = c;
                w[i] = idx[a] == best ? 1.0f : 0.0f;
            }
        }
        CHECK_MSG(tl_close(t.out[0].data, w, n, 0, 0, "Hardmax random"), "it %d opset %d", it,
                  old ? 11 : 13);
        free(xv), free(w);
    }
    tn_init(&t, "Hardmax", 13);
    tn_int(&t, "axis", 2);
    RUN_FAILS(&t, &in, 1, GLINT_ERR_INVALID_MODEL);
    tn_free_out(&t);
}

/* ---------------------------------------------------------------- LRN */
static void test_lrn(void) {
    tnode t = {0};
    for (int it = 0; it < 20; it++) {
        int64_t N = rand_int(1, 2), C = rand_int(1, 7), H = rand_int(1, 4), W = rand_int(1, 4);
        int64_t size = rand_int(1, 6);
        gl_shape s = SHAPE(N, C, H, W);
        float *xv = rand_floats(&s, -2, 2);
        size_t n = (size_t)gl_shape_numel(&s);
        float *w = malloc(n * sizeof *w);
        bool dflt = it % 3 == 0;
        double alpha = dflt ? 1e-4 : tl_rand_uniform(0.01f, 1);
        double beta = dflt ? 0.75 : tl_rand_uniform(0.2f, 1.5f);
        double bias = dflt ? 1.0 : tl_rand_uniform(0.5f, 3);
        gl_tensor in = f32t(s, xv);
        tn_init(&t, "LRN", 13);
        tn_int(&t, "size", size);
        if (!dflt) {
            tn_float(&t, "alpha", (float)alpha);
            tn_float(&t, "beta", (float)beta);
            tn_float(&t, "bias", (float)bias);
            alpha = (float)alpha, beta = (float)beta, bias = (float)bias;
        }
        RUN_OK(&t, &in, 1);
        for (int64_t b = 0; b < N; b++)
            for (int64_t c = 0; c < C; c++)
                for (int64_t k = 0; k < H * W; k++) {
                    double sq = 0;
                    /* the spec's window, written with floor/ceil directly */
                    int64_t from = c - (int64_t)floor((size - 1) / 2.0);
                    int64_t to = c + (int64_t)ceil((size - 1) / 2.0);
                    for (int64_t q = from; q <= to; q++)
                        if (q >= 0 && q < C) {
                            double v = xv[(b * C + q) * H * W + k];
                            sq += v * v;
                        }
                    size_t at = (size_t)((b * C + c) * H * W + k);
                    w[at] = (float)(xv[at] / pow(bias + alpha / (double)size * sq, beta));
                }
        CHECK_MSG(tl_close(t.out[0].data, w, n, 1e-5f, 1e-6f, "LRN"), "it %d size %lld", it,
                  (long long)size);
        free(xv), free(w);
    }
    float x[4] = {1, 2, 3, 4};
    gl_tensor in = f32t(SHAPE(1, 4, 1, 1), x);
    tn_init(&t, "LRN", 13);
    RUN_FAILS(&t, &in, 1, GLINT_ERR_INVALID_MODEL); /* size is required */
    tn_free_out(&t);
}

/* ---------------------------------------------------------------- TopK */
static void test_topk(void) {
    tnode t = {0};
    float x[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    int64_t k3 = 3;
    gl_tensor in[2] = {f32t(SHAPE(3, 4), x), i64t(SHAPE(1), &k3)};
    float wv[9] = {3, 2, 1, 7, 6, 5, 11, 10, 9};
    int64_t wi[9] = {3, 2, 1, 3, 2, 1, 3, 2, 1};
    tn_init(&t, "TopK", 11);
    t.n_out = 2;
    RUN_OK(&t, in, 2);
    CHECK(shape_is(&t.out[0].shape, SHAPE(3, 3)) && t.out[1].dtype == GLINT_DTYPE_INT64);
    CHECK(tl_close(t.out[0].data, wv, 9, 0, 0, "TopK example"));
    CHECK(eq_i64(t.out[1].data, wi, 9, "TopK example indices"));
    float xs[12] = {0, 1, 2, 3, 7, 6, 5, 4, 8, 11, 10, 9};
    float sv[9] = {0, 1, 2, 4, 5, 6, 8, 9, 10};
    int64_t si[9] = {0, 1, 2, 3, 2, 1, 0, 3, 2};
    in[0].data = xs;
    tn_init(&t, "TopK", 11);
    t.n_out = 2;
    tn_int(&t, "largest", 0);
    RUN_OK(&t, in, 2);
    CHECK(tl_close(t.out[0].data, sv, 9, 0, 0, "TopK smallest example"));
    CHECK(eq_i64(t.out[1].data, si, 9, "TopK smallest indices"));

    /* random, with ties: a naive selection of the best unpicked element,
     * the lower index winning ties */
    for (int it = 0; it < 40; it++) {
        gl_shape s = rand_shape((int)rand_int(1, 3), 1, 7);
        int64_t axis = rand_int(-s.rank, s.rank - 1);
        int a = (int)(axis < 0 ? axis + s.rank : axis);
        int64_t k = rand_int(0, s.d[a]);
        bool largest = rand_int(0, 1), as_int = it % 3 == 2;
        size_t n = (size_t)gl_shape_numel(&s);
        float *xv = malloc(n * sizeof *xv);
        int64_t *xi = malloc(n * sizeof *xi);
        for (size_t i = 0; i < n; i++) {
            xi[i] = rand_int(-4, 4);
            xv[i] = (float)xi[i] + (it % 2 ? tl_rand_uniform(0, 0.5f) : 0);
        }
        gl_tensor kin[2] = {as_int ? i64t(s, xi) : f32t(s, xv), i64t(SHAPE(1), &k)};
        tn_init(&t, "TopK", 11);
        t.n_out = 2;
        tn_int(&t, "axis", axis);
        tn_int(&t, "largest", largest);
        if (it % 5 == 0) tn_int(&t, "sorted", 1);
        RUN_OK(&t, kin, 2);
        gl_shape os = s;
        os.d[a] = k;
        CHECK(shape_is(&t.out[0].shape, os) && shape_is(&t.out[1].shape, os));
        size_t on = (size_t)gl_shape_numel(&os);
        float *wvv = malloc((on ? on : 1) * sizeof *wvv);
        int64_t *wii = malloc((on ? on : 1) * sizeof *wii), *wiv = malloc((on ? on : 1) * 8);
        int64_t idx[GL_MAX_RANK];
        for (size_t o = 0; o < on; o++) {
            unflatten(&os, (int64_t)o, idx);
            /* the rank of output slot idx[a]: pick the best element idx[a]+1 times */
            bool used[8] = {0};
            int64_t pick = -1;
            for (int64_t r = 0; r <= idx[a]; r++) {
                pick = -1;
                for (int64_t c = 0; c < s.d[a]; c++) {
                    if (used[c]) continue;
                    double v = as_int ? (double)xi[at_axis(&s, idx, a, c)]
                                      : xv[at_axis(&s, idx, a, c)];
                    double bv = pick < 0 ? 0
                                : as_int ? (double)xi[at_axis(&s, idx, a, pick)]
                                         : xv[at_axis(&s, idx, a, pick)];
                    if (pick < 0 || (largest ? v > bv : v < bv)) pick = c;
                }
                used[pick] = true;
            }
            wii[o] = pick;
            wvv[o] = xv[at_axis(&s, idx, a, pick)];
            wiv[o] = xi[at_axis(&s, idx, a, pick)];
        }
        CHECK_MSG(eq_i64(t.out[1].data, wii, on, "TopK indices"), "it %d", it);
        if (as_int) CHECK(eq_i64(t.out[0].data, wiv, on, "TopK int64 values"));
        else CHECK(tl_close(t.out[0].data, wvv, on, 0, 0, "TopK values"));
        free(xv), free(xi), free(wvv), free(wii), free(wiv);
    }
    in[0].data = x;
    int64_t k5 = 5;
    in[1].data = &k5;
    tn_init(&t, "TopK", 11);
    t.n_out = 2;
    RUN_FAILS(&t, in, 2, GLINT_ERR_INVALID_MODEL);
    in[1].data = NULL;
    RUN_FAILS(&t, in, 2, GLINT_ERR_UNSUPPORTED);
    CHECK(strstr(t.err.msg, "k must be known") != NULL);
    tn_free_out(&t);
}

int main(void) {
    tl_seed_from_env();
    test_cumsum();
    test_hardmax();
    test_lrn();
    test_topk();
    return TEST_END();
}
