/* Reductions, ArgMax/ArgMin and Softmax/LogSoftmax against naive loops on
 * random shapes and axes, in both the attribute and the input form of the
 * axes, and the pre-13 coerced-2-D softmax. */
#include "test_ops_basic_util.h"

static const char *g_red[] = {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd",
                              "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSum",
                              "ReduceLogSumExp"};

static double red_ref(int k, const double *v, int64_t n) {
    double acc = k == 2 ? -INFINITY : k == 3 ? INFINITY : k == 4 ? 1 : 0;
    for (int64_t i = 0; i < n; i++) {
        double x = v[i];
        switch (k) {
        case 2: acc = fmax(acc, x); break;
        case 3: acc = fmin(acc, x); break;
        case 4: acc *= x; break;
        case 5: acc += fabs(x); break;
        case 6: case 7: acc += x * x; break;
        case 9: acc += exp(x); break;
        default: acc += x;
        }
    }
    if (k == 1) acc /= (double)n;
    if (k == 6) acc = sqrt(acc);
    if (k == 8 || k == 9) acc = log(acc);
    return acc;
}

static void test_reduce_random(void) {
    for (int iter = 0; iter < 200; iter++) {
        int k = iter % (int)GL_ARRAY_LEN(g_red);
        int r = (int)rand_int(1, 4);
        gl_shape s = rand_shape(r, 1, 5);
        float *x = rand_floats(&s, 0.5f, 1.5f); /* positive: Log and Prod stay tame */
        int64_t axes[4];
        int n = 0;
        uint32_t mask = 0;
        for (int a = 0; a < r; a++)
            if (tl_rand_u64() % 2) {
                axes[n++] = tl_rand_u64() & 1 ? a : a - r;
                mask |= 1u << a;
            }
        bool keep = tl_rand_u64() & 1;
        int64_t opset = (int64_t[]){11, 13, 18}[iter % 3];
        bool input_form = opset >= (k == 0 ? 13 : 18);
        tnode t = {0};
        tn_init(&t, g_red[k], opset);
        if (!keep) tn_int(&t, "keepdims", 0);
        gl_tensor in[2] = {tt(GLINT_DTYPE_FLOAT32, s, x), tt(GLINT_DTYPE_INT64, SHAPE(n), axes)};
        if (!input_form && n) tn_ints(&t, "axes", n, axes);
        RUN_OK(&t, in, input_form && n ? 2 : 1);
        if (n == 0) mask = (1u << r) - 1; /* no axes: everything */
        gl_shape want = {0};
        for (int a = 0; a < r; a++) {
            if (!(mask & (1u << a))) want.d[want.rank++] = s.d[a];
            else if (keep) want.d[want.rank++] = 1;
        }
        CHECK_MSG(shape_is(&t.out[0].shape, want), "%s shape", g_red[k]);
        /* naive: gather each output's inputs, reduce them in double */
        gl_shape ks = s; /* output with keepdims, for indexing */
        for (int a = 0; a < r; a++) if (mask & (1u << a)) ks.d[a] = 1;
        size_t no = (size_t)gl_shape_numel(&ks), nx = (size_t)gl_shape_numel(&s);
        float *ref = malloc(no * sizeof *ref);
        double *vals = malloc(nx * sizeof *vals);
        for (size_t o = 0; o < no; o++) {
            int64_t oi[GL_MAX_RANK] = {0}, xi[GL_MAX_RANK] = {0};
            unflatten(&ks, (int64_t)o, oi);
            int64_t m = 0;
            for (size_t f = 0; f < nx; f++) {
                unflatten(&s, (int64_t)f, xi);
                bool match = true;
                for (int a = 0; a < r; a++)
                    if (!(mask & (1u << a)) && xi[a] != oi[a]) match = false;
                if (match) vals[m++] = x[f];
            }
            ref[o] = (float)red_ref(k, vals, m);
        }
        CHECK_MSG(tl_close(t.out[0].data, ref, no, 2e-6f, 1e-6f, g_red[k]), "%s opset %lld", g_red[k],
                  (long long)opset);
        free(ref);
        free(vals);
        free(x);
        tn_free_out(&t);
    }
}

static void test_reduce_modes(void) {
    float x[6] = {1, 2, 3, 4, 5, 6};
    gl_tensor in[2] = {tt(GLINT_DTYPE_FLOAT32, SHAPE(2, 3), x), tt(GLINT_DTYPE_INT64, SHAPE(0), NULL)};
    int64_t none[1] = {0};
    in[1].data = none;
    tnode t = {0};
    tn_init(&t, "ReduceSum", 13);
    tn_int(&t, "noop_with_empty_axes", 1);
    RUN_OK(&t, in, 2); /* empty axes + noop: identity */
    CHECK(shape_is(&t.out[0].shape, SHAPE(2, 3)) && tl_close(t.out[0].data, x, 6, 0, 0, "noop"));
    tn_init(&t, "ReduceSum", 13);
    RUN_OK(&t, in, 2); /* empty axes without noop: everything */
    CHECK(shape_is(&t.out[0].shape, SHAPE(1, 1)) && *(float *)t.out[0].data == 21);
    int64_t xi[6] = {3, -1, 4, 1, -5, 9}, ax[1] = {1};
    gl_tensor ini[2] = {tt(GLINT_DTYPE_INT64, SHAPE(2, 3), xi), tt(GLINT_DTYPE_INT64, SHAPE(1), ax)};
    tn_init(&t, "ReduceMax", 18);
    tn_int(&t, "keepdims", 0);
    RUN_OK(&t, ini, 2);
    int64_t wmax[2] = {4, 9};
    CHECK(shape_is(&t.out[0].shape, SHAPE(2)) && eq_i64(t.out[0].data, wmax, 2, "ReduceMax int64"));
    gl_tensor unknown[2] = {in[0], tt(GLINT_DTYPE_INT64, SHAPE(1), NULL)};
    tn_init(&t, "ReduceMean", 18);
    RUN_FAILS(&t, unknown, 2, GLINT_ERR_UNSUPPORTED);
    tn_init(&t, "ReduceMean", 18);
    RUN_FAILS(&t, ini, 2, GLINT_ERR_UNSUPPORTED); /* Mean on int64 is not offered */

    /* ArgMax/ArgMin with ties, keepdims and select_last_index */
    float a[8] = {1, 5, 5, 0, 2, 2, -1, 2};
    gl_tensor ain = tt(GLINT_DTYPE_FLOAT32, SHAPE(2, 4), a);
    tn_init(&t, "ArgMax", 13);
    tn_int(&t, "axis", 1);
    RUN_OK(&t, &ain, 1);
    int64_t w1[2] = {1, 0};
    CHECK(shape_is(&t.out[0].shape, SHAPE(2, 1)) && eq_i64(t.out[0].data, w1, 2, "ArgMax"));
    tn_int(&t, "select_last_index", 1);
    RUN_OK(&t, &ain, 1);
    int64_t w2[2] = {2, 3};
    CHECK(eq_i64(t.out[0].data, w2, 2, "ArgMax last"));
    tn_init(&t, "ArgMin", 13);
    tn_int(&t, "axis", -2);
    tn_int(&t, "keepdims", 0);
    RUN_OK(&t, &ain, 1);
    int64_t w3[4] = {0, 1, 1, 0};
    CHECK(shape_is(&t.out[0].shape, SHAPE(4)) && eq_i64(t.out[0].data, w3, 4, "ArgMin axis 0"));
    tn_free_out(&t);
}

static void test_softmax(void) {
    for (int iter = 0; iter < 60; iter++) {
        bool lg = iter & 1;
        bool old = (iter / 2) % 2; /* opset 11: coerced 2-D */
        int r = (int)rand_int(1, 4);
        gl_shape s = rand_shape(r, 1, 5);
        float *x = rand_floats(&s, -20, 20);
        if (iter % 10 == 0) x[0] = 1000; /* large inputs must not overflow */
        int64_t axis = rand_int(-r, r - 1);
        tnode t = {0};
        tn_init(&t, lg ? "LogSoftmax" : "Softmax", old ? 11 : 13);
        tn_int(&t, "axis", axis);
        gl_tensor in = tt(GLINT_DTYPE_FLOAT32, s, x);
        RUN_OK(&t, &in, 1);
        int a = (int)(axis < 0 ? axis + r : axis);
        int64_t outer = 1, n = 1, inner = 1;
        for (int i = 0; i < r; i++) {
            if (i < a) outer *= s.d[i];
            else if (i == a || old) n *= s.d[i];
            else inner *= s.d[i];
        }
        size_t total = (size_t)gl_shape_numel(&s);
        float *ref = malloc(total * sizeof *ref);
        for (int64_t o = 0; o < outer; o++)
            for (int64_t j = 0; j < inner; j++) {
                double m = -INFINITY, sum = 0;
                for (int64_t k = 0; k < n; k++) m = fmax(m, x[(o * n + k) * inner + j]);
                for (int64_t k = 0; k < n; k++) sum += exp(x[(o * n + k) * inner + j] - m);
                for (int64_t k = 0; k < n; k++) {
                    double v = x[(o * n + k) * inner + j] - m;
                    ref[(o * n + k) * inner + j] = (float)(lg ? v - log(sum) : exp(v) / sum);
                }
            }
        CHECK_MSG(tl_close(t.out[0].data, ref, total, 1e-5f, 1e-6f, "softmax"),
                  "%s opset %d axis %lld", lg ? "LogSoftmax" : "Softmax", old ? 11 : 13,
                  (long long)axis);
        free(ref);
        free(x);
        tn_free_out(&t);
    }
}

int main(void) {
    tl_seed_from_env();
    test_reduce_random();
    test_reduce_modes();
    test_softmax();
    return TEST_END();
}
