/* Elementwise operators against independent double-precision references on
 * fresh random inputs: unary functions, Clip, broadcasting arithmetic over
 * many random shapes, variadic ops, comparisons, logic, Where and Cast. */
#include "test_ops_basic_util.h"

/* ---------------------------------------------------------------- unary */
static double sigm(double x) { return 1 / (1 + exp(-x)); }

typedef struct unary_case {
    const char *op;
    float lo, hi;
    double (*ref)(double x);
} unary_case;

static double r_relu(double x) { return x > 0 ? x : 0; }
static double r_leaky(double x) { return x >= 0 ? x : 0.01 * x; }
static double r_neg(double x) { return -x; }
static double r_recip(double x) { return 1 / x; }
static double r_softplus(double x) { return log(1 + exp(x)); }
static double r_hsig(double x) { return fmax(0, fmin(1, 0.2 * x + 0.5)); }
static double r_elu(double x) { return x >= 0 ? x : exp(x) - 1; }
static double r_selu(double x) {
    const double a = 1.67326319217681884765625, g = 1.05070102214813232421875;
    return x > 0 ? g * x : g * (a * exp(x) - a);
}
static double r_sign(double x) { return (x > 0) - (x < 0); }
static double r_softsign(double x) { return x / (1 + fabs(x)); }
static double r_hswish(double x) { return x * fmax(0, fmin(1, x / 6 + 0.5)); }
static double r_gelu(double x) { return 0.5 * x * (1 + erf(x / sqrt(2))); }

static const unary_case g_unary_cases[] = {
    {"Relu", -3, 3, r_relu},       {"LeakyRelu", -3, 3, r_leaky},  {"Sigmoid", -8, 8, sigm},
    {"Tanh", -4, 4, tanh},         {"Erf", -3, 3, erf},            {"Abs", -3, 3, fabs},
    {"Neg", -3, 3, r_neg},         {"Exp", -5, 5, exp},            {"Log", 0.01f, 9, log},
    {"Sqrt", 0, 9, sqrt},          {"Reciprocal", 0.5f, 4, r_recip}, {"Floor", -5, 5, floor},
    {"Ceil", -5, 5, ceil},         {"Softplus", -6, 6, r_softplus}, {"HardSigmoid", -4, 4, r_hsig},
    {"Elu", -3, 3, r_elu},         {"Selu", -3, 3, r_selu},        {"Sign", -3, 3, r_sign},
    {"Softsign", -5, 5, r_softsign}, {"Sin", -3, 3, sin},          {"Cos", -3, 3, cos},
    {"HardSwish", -5, 5, r_hswish}, {"Gelu", -4, 4, r_gelu},
};

static void test_unary(void) {
    for (size_t c = 0; c < GL_ARRAY_LEN(g_unary_cases); c++) {
        const unary_case *u = &g_unary_cases[c];
        tnode t = {0};
        tn_init(&t, u->op, 17);
        gl_shape s = rand_shape(3, 1, 7);
        float *x = rand_floats(&s, u->lo, u->hi);
        gl_tensor in = tt(GLINT_DTYPE_FLOAT32, s, x);
        RUN_OK(&t, &in, 1);
        size_t n = (size_t)gl_shape_numel(&s);
        float *want = malloc(n * sizeof *want);
        for (size_t i = 0; i < n; i++) want[i] = (float)u->ref(x[i]);
        CHECK(shape_is(&t.out[0].shape, s));
        CHECK_MSG(tl_close(t.out[0].data, want, n, 1e-5f, 1e-6f, u->op), "%s", u->op);
        free(want);
        free(x);
        tn_free_out(&t);
    }
    /* attributes: LeakyRelu alpha, Elu alpha, HardSigmoid alpha/beta */
    tnode t = {0};
    float x[4] = {-2, -0.5f, 0.5f, 3};
    gl_tensor in = tt(GLINT_DTYPE_FLOAT32, SHAPE(4), x);
    tn_init(&t, "LeakyRelu", 16);
    tn_float(&t, "alpha", 0.5f);
    RUN_OK(&t, &in, 1);
    float w1[4] = {-1, -0.25f, 0.5f, 3};
    CHECK(tl_close(t.out[0].data, w1, 4, 0, 0, "LeakyRelu alpha"));
    tn_init(&t, "HardSigmoid", 16);
    tn_float(&t, "alpha", 0.25f);
    tn_float(&t, "beta", 0.25f);
    RUN_OK(&t, &in, 1);
    float w2[4] = {0, 0.125f, 0.375f, 1};
    CHECK(tl_close(t.out[0].data, w2, 4, 0, 0, "HardSigmoid alpha beta"));
    tn_init(&t, "Gelu", 20);
    tn_string(&t, "approximate", "cubic");
    RUN_FAILS(&t, &in, 1, GLINT_ERR_UNSUPPORTED);
    /* int64 Abs/Neg/Relu; Sigmoid refuses int64 at infer */
    int64_t xi[4] = {-5, 0, 7, INT64_MIN};
    gl_tensor ini = tt(GLINT_DTYPE_INT64, SHAPE(4), xi);
    tn_init(&t, "Abs", 13);
    RUN_OK(&t, &ini, 1);
    int64_t wa[4] = {5, 0, 7, INT64_MIN};
    CHECK(eq_i64(t.out[0].data, wa, 4, "Abs int64"));
    tn_init(&t, "Relu", 14);
    RUN_OK(&t, &ini, 1);
    int64_t wr[4] = {0, 0, 7, 0};
    CHECK(eq_i64(t.out[0].data, wr, 4, "Relu int64"));
    tn_init(&t, "Sigmoid", 13);
    RUN_FAILS(&t, &ini, 1, GLINT_ERR_UNSUPPORTED);
    CHECK(strstr(t.err.msg, "int64") != NULL);
    tn_free_out(&t);
}

static void test_clip(void) {
    tnode t = {0};
    float x[6] = {-3, -1, 0, 0.5f, 2, 9};
    float lo = -1.5f, hi = 1;
    gl_tensor in[3] = {tt(GLINT_DTYPE_FLOAT32, SHAPE(2, 3), x),
                       tt(GLINT_DTYPE_FLOAT32, SCALAR_SHAPE, &lo),
                       tt(GLINT_DTYPE_FLOAT32, SCALAR_SHAPE, &hi)};
    tn_init(&t, "Clip", 13);
    RUN_OK(&t, in, 3);
    float w[6] = {-1.5f, -1, 0, 0.5f, 1, 1};
    CHECK(tl_close(t.out[0].data, w, 6, 0, 0, "Clip both"));
    gl_tensor in2[3] = {in[0], T_NONE, in[2]}; /* min omitted */
    RUN_OK(&t, in2, 3);
    float w2[6] = {-3, -1, 0, 0.5f, 1, 1};
    CHECK(tl_close(t.out[0].data, w2, 6, 0, 0, "Clip max only"));
    tn_init(&t, "Clip", 6); /* attribute form */
    tn_float(&t, "min", 0);
    RUN_OK(&t, in, 1);
    float w3[6] = {0, 0, 0, 0.5f, 2, 9};
    CHECK(tl_close(t.out[0].data, w3, 6, 0, 0, "Clip attr"));
    int64_t xi[4] = {-9, 3, 5, 100}, li = 0, hi_i = 6;
    gl_tensor ini[3] = {tt(GLINT_DTYPE_INT64, SHAPE(4), xi), tt(GLINT_DTYPE_INT64, SCALAR_SHAPE, &li),
                        tt(GLINT_DTYPE_INT64, SCALAR_SHAPE, &hi_i)};
    tn_init(&t, "Clip", 12);
    RUN_OK(&t, ini, 3);
    int64_t wi[4] = {0, 3, 5, 6};
    CHECK(eq_i64(t.out[0].data, wi, 4, "Clip int64"));
    tn_free_out(&t);
}

/* ---------------------------------------------------------------- broadcasting */
/* A random shape that broadcasts to out: some dims set to 1, some leading
 * dims dropped. */
static gl_shape bcast_from(const gl_shape *out) {
    gl_shape s = {.rank = (int)rand_int(0, out->rank)};
    for (int i = 0; i < s.rank; i++) {
        int64_t d = out->d[out->rank - s.rank + i];
        s.d[i] = tl_rand_u64() % 3 == 0 ? 1 : d;
    }
    return s;
}

static int64_t bcast_index(const gl_shape *in, const gl_shape *out, const int64_t *oidx) {
    int64_t f = 0;
    for (int i = 0; i < in->rank; i++) {
        int64_t d = in->d[i];
        int64_t k = d == 1 ? 0 : oidx[out->rank - in->rank + i];
        f = f * d + k;
    }
    return f;
}

static double ref_bin(const char *op, double a, double b) {
    if (!strcmp(op, "Add")) return a + b;
    if (!strcmp(op, "Sub")) return a - b;
    if (!strcmp(op, "Mul")) return a * b;
    if (!strcmp(op, "Div")) return a / b;
    if (!strcmp(op, "Pow")) return pow(a, b);
    if (!strcmp(op, "Min")) return a < b ? a : b;
    return a > b ? a : b; /* Max */
}

static void test_broadcast_random(void) {
    static const char *ops[] = {"Add", "Sub", "Mul", "Div", "Pow", "Min", "Max"};
    for (int iter = 0; iter < 300; iter++) {
        const char *op = ops[iter % GL_ARRAY_LEN(ops)];
        gl_shape out = rand_shape((int)rand_int(0, 5), 1, 5);
        if (iter % 50 == 7) out.d[0] = 0; /* an empty output now and then */
        gl_shape sa = bcast_from(&out), sb = bcast_from(&out);
        if (iter % 2) sa = out;
        float *a = rand_floats(&sa, 0.5f, 2), *b = rand_floats(&sb, -2, 2);
        gl_tensor in[2] = {tt(GLINT_DTYPE_FLOAT32, sa, a), tt(GLINT_DTYPE_FLOAT32, sb, b)};
        tnode t = {0};
        tn_init(&t, op, 14);
        RUN_OK(&t, in, 2);
        gl_shape want_shape;
        gl_shape_broadcast(&sa, &sb, &want_shape);
        CHECK(shape_is(&t.out[0].shape, want_shape));
        size_t n = (size_t)gl_shape_numel(&want_shape);
        float *want = malloc((n ? n : 1) * sizeof *want);
        for (size_t i = 0; i < n; i++) {
            int64_t idx[GL_MAX_RANK];
            unflatten(&want_shape, (int64_t)i, idx);
            want[i] = (float)ref_bin(op, a[bcast_index(&sa, &want_shape, idx)],
                                     b[bcast_index(&sb, &want_shape, idx)]);
        }
        char what[64];
        snprintf(what, sizeof what, "%s broadcast iter %d", op, iter);
        CHECK(tl_close(t.out[0].data, want, n, 1e-6f, 1e-7f, what));
        free(want);
        free(a);
        free(b);
        tn_free_out(&t);
    }
}

static void test_variadic(void) {
    static const char *ops[] = {"Sum", "Mean", "Max", "Min"};
    for (int iter = 0; iter < 40; iter++) {
        const char *op = ops[iter % 4];
        int k = (int)rand_int(1, 4);
        gl_shape out = rand_shape((int)rand_int(1, 4), 1, 4);
        gl_shape s[4];
        float *x[4];
        gl_tensor in[4];
        for (int i = 0; i < k; i++) {
            s[i] = i == 0 ? out : bcast_from(&out);
            x[i] = rand_floats(&s[i], -3, 3);
            in[i] = tt(GLINT_DTYPE_FLOAT32, s[i], x[i]);
        }
        tnode t = {0};
        tn_init(&t, op, 13);
        RUN_OK(&t, in, k);
        size_t n = (size_t)gl_shape_numel(&out);
        float *want = malloc(n * sizeof *want);
        for (size_t e = 0; e < n; e++) {
            int64_t idx[GL_MAX_RANK];
            unflatten(&out, (int64_t)e, idx);
            double acc = x[0][bcast_index(&s[0], &out, idx)];
            for (int i = 1; i < k; i++) {
                double v = x[i][bcast_index(&s[i], &out, idx)];
                acc = !strcmp(op, "Max") ? fmax(acc, v) : !strcmp(op, "Min") ? fmin(acc, v) : acc + v;
            }
            want[e] = (float)(!strcmp(op, "Mean") ? acc / k : acc);
        }
        CHECK_MSG(tl_close(t.out[0].data, want, n, 1e-6f, 1e-6f, op), "%s with %d inputs", op, k);
        free(want);
        for (int i = 0; i < k; i++) free(x[i]);
        tn_free_out(&t);
    }
}

static void test_integer_arith(void) {
    /* PyTorch shape arithmetic: int64 Div truncates, Mul/Add wrap */
    int64_t a[4] = {7, -7, 64, 3}, b[4] = {2, 2, 8, -2};
    gl_tensor in[2] = {tt(GLINT_DTYPE_INT64, SHAPE(4), a), tt(GLINT_DTYPE_INT64, SHAPE(4), b)};
    tnode t = {0};
    tn_init(&t, "Div", 14);
    RUN_OK(&t, in, 2);
    int64_t wd[4] = {3, -3, 8, -1};
    CHECK(eq_i64(t.out[0].data, wd, 4, "Div int64"));
    tn_init(&t, "Mod", 13);
    RUN_OK(&t, in, 2);
    int64_t wm[4] = {1, 1, 0, -1}; /* sign of the divisor */
    CHECK(eq_i64(t.out[0].data, wm, 4, "Mod int64"));
    tn_int(&t, "fmod", 1);
    RUN_OK(&t, in, 2);
    int64_t wf[4] = {1, -1, 0, 1}; /* sign of the dividend */
    CHECK(eq_i64(t.out[0].data, wf, 4, "Mod fmod int64"));
    int64_t z[1] = {0};
    gl_tensor inz[2] = {in[0], tt(GLINT_DTYPE_INT64, SHAPE(1), z)};
    tn_init(&t, "Div", 14);
    RUN_FAILS(&t, inz, 2, GLINT_ERR_INVALID_ARGUMENT);
    int64_t big[2] = {INT64_MAX, INT64_MIN}, m1[1] = {-1};
    gl_tensor inb[2] = {tt(GLINT_DTYPE_INT64, SHAPE(2), big), tt(GLINT_DTYPE_INT64, SHAPE(1), m1)};
    RUN_OK(&t, inb, 2); /* INT64_MIN / -1 wraps instead of trapping */
    int64_t wb[2] = {-INT64_MAX, INT64_MIN};
    CHECK(eq_i64(t.out[0].data, wb, 2, "Div overflow"));
    int32_t a32[3] = {5, 6, 7}, b32[1] = {3};
    gl_tensor in32[2] = {tt(GLINT_DTYPE_INT32, SHAPE(3), a32), tt(GLINT_DTYPE_INT32, SHAPE(1), b32)};
    tn_init(&t, "Mul", 14);
    RUN_OK(&t, in32, 2);
    CHECK(((int32_t *)t.out[0].data)[2] == 21);
    /* mixed dtypes are refused */
    gl_tensor mix[2] = {in[0], in32[1]};
    tn_init(&t, "Add", 14);
    RUN_FAILS(&t, mix, 2, GLINT_ERR_INVALID_MODEL);
    /* Pow with an int64 exponent on float32 */
    float base[3] = {2, 3, 0.5f};
    int64_t ex[1] = {3};
    gl_tensor inp[2] = {tt(GLINT_DTYPE_FLOAT32, SHAPE(3), base), tt(GLINT_DTYPE_INT64, SHAPE(1), ex)};
    tn_init(&t, "Pow", 15);
    RUN_OK(&t, inp, 2);
    float wp[3] = {8, 27, 0.125f};
    CHECK(tl_close(t.out[0].data, wp, 3, 0, 0, "Pow float^int64"));
    tn_free_out(&t);
}

/* ---------------------------------------------------------------- logic */
static void test_compare_where(void) {
    static const char *ops[] = {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"};
    for (int iter = 0; iter < 50; iter++) {
        const char *op = ops[iter % 5];
        gl_shape out = rand_shape((int)rand_int(1, 4), 1, 4);
        gl_shape sa = out, sb = bcast_from(&out);
        size_t na = (size_t)gl_shape_numel(&sa), nb = (size_t)gl_shape_numel(&sb);
        int64_t *a = malloc(na * 8), *b = malloc((nb ? nb : 1) * 8);
        for (size_t i = 0; i < na; i++) a[i] = rand_int(-2, 2);
        for (size_t i = 0; i < nb; i++) b[i] = rand_int(-2, 2);
        gl_tensor in[2] = {tt(GLINT_DTYPE_INT64, sa, a), tt(GLINT_DTYPE_INT64, sb, b)};
        tnode t = {0};
        tn_init(&t, op, 16);
        RUN_OK(&t, in, 2);
        CHECK(t.out[0].dtype == GLINT_DTYPE_BOOL);
        const uint8_t *y = t.out[0].data;
        bool ok = true;
        for (size_t i = 0; i < na; i++) {
            int64_t idx[GL_MAX_RANK];
            unflatten(&out, (int64_t)i, idx);
            int64_t x = a[i], z = b[bcast_index(&sb, &out, idx)];
            int w = iter % 5 == 0 ? x == z : iter % 5 == 1 ? x < z : iter % 5 == 2 ? x > z
                  : iter % 5 == 3 ? x <= z : x >= z;
            if (y[i] != w) ok = false;
        }
        CHECK_MSG(ok, "%s int64 broadcast", op);
        /* Where(cond, a, b) with cond from this comparison: a float select */
        float *fa = rand_floats(&sa, -1, 1), fb = 42.0f;
        gl_tensor win[3] = {tt(GLINT_DTYPE_BOOL, t.out[0].shape, t.out[0].data),
                            tt(GLINT_DTYPE_FLOAT32, sa, fa), tt(GLINT_DTYPE_FLOAT32, SCALAR_SHAPE, &fb)};
        tnode w = {0};
        tn_init(&w, "Where", 16);
        RUN_OK(&w, win, 3);
        const float *wy = w.out[0].data;
        bool okw = true;
        for (size_t i = 0; i < na; i++)
            if (wy[i] != (y[i] ? fa[i] : 42.0f)) okw = false;
        CHECK(okw);
        free(fa);
        free(a);
        free(b);
        tn_free_out(&w);
        tn_free_out(&t);
    }
    uint8_t p[4] = {0, 0, 1, 1}, q[4] = {0, 1, 0, 1};
    gl_tensor in[2] = {tt(GLINT_DTYPE_BOOL, SHAPE(4), p), tt(GLINT_DTYPE_BOOL, SHAPE(4), q)};
    static const char *lops[] = {"And", "Or", "Xor"};
    static const uint8_t want[3][4] = {{0, 0, 0, 1}, {0, 1, 1, 1}, {0, 1, 1, 0}};
    for (int k = 0; k < 3; k++) {
        tnode t = {0};
        tn_init(&t, lops[k], 7);
        RUN_OK(&t, in, 2);
        CHECK_MSG(memcmp(t.out[0].data, want[k], 4) == 0, "%s", lops[k]);
        tn_free_out(&t);
    }
    tnode t = {0};
    tn_init(&t, "Not", 1);
    RUN_OK(&t, in, 1);
    uint8_t wn[4] = {1, 1, 0, 0};
    CHECK(memcmp(t.out[0].data, wn, 4) == 0);
    float f[2] = {1, 2};
    gl_tensor fin[2] = {tt(GLINT_DTYPE_FLOAT32, SHAPE(2), f), tt(GLINT_DTYPE_FLOAT32, SHAPE(2), f)};
    tn_init(&t, "And", 7);
    RUN_FAILS(&t, fin, 2, GLINT_ERR_UNSUPPORTED);
    tn_free_out(&t);
}

/* ---------------------------------------------------------------- Cast */
static void test_cast(void) {
    float x[6] = {-2.75f, -0.5f, 0, 1.5f, 65504.0f, 3.14159f};
    gl_tensor in = tt(GLINT_DTYPE_FLOAT32, SHAPE(6), x);
    tnode t = {0};
    tn_init(&t, "Cast", 13);
    tn_int(&t, "to", GLINT_DTYPE_INT64);
    RUN_OK(&t, &in, 1);
    int64_t wi[6] = {-2, 0, 0, 1, 65504, 3};
    CHECK(eq_i64(t.out[0].data, wi, 6, "Cast float->int64 truncates"));
    tn_init(&t, "Cast", 13);
    tn_int(&t, "to", GLINT_DTYPE_FLOAT16);
    RUN_OK(&t, &in, 1);
    CHECK(((uint16_t *)t.out[0].data)[4] == 0x7bff); /* 65504 is half's max */
    gl_tensor h = tt(GLINT_DTYPE_FLOAT16, SHAPE(6), t.out[0].data);
    tnode back = {0};
    tn_init(&back, "Cast", 13);
    tn_int(&back, "to", GLINT_DTYPE_FLOAT32);
    RUN_OK(&back, &h, 1);
    float wb[6] = {-2.75f, -0.5f, 0, 1.5f, 65504.0f, 3.140625f};
    CHECK(tl_close(back.out[0].data, wb, 6, 0, 0, "float16 round trip"));
    tn_free_out(&back);
    tn_init(&t, "Cast", 13);
    tn_int(&t, "to", GLINT_DTYPE_BOOL);
    RUN_OK(&t, &in, 1);
    uint8_t wbool[6] = {1, 1, 0, 1, 1, 1};
    CHECK(memcmp(t.out[0].data, wbool, 6) == 0);
    int64_t big[3] = {300, -1, (int64_t)1 << 40};
    gl_tensor ib = tt(GLINT_DTYPE_INT64, SHAPE(3), big);
    tn_init(&t, "Cast", 13);
    tn_int(&t, "to", GLINT_DTYPE_UINT8);
    RUN_OK(&t, &ib, 1);
    uint8_t wu[3] = {44, 255, 0}; /* wraps like numpy astype */
    CHECK(memcmp(t.out[0].data, wu, 3) == 0);
    double d[3] = {0.1, -1e300, 2.5};
    gl_tensor id = tt(GLINT_DTYPE_FLOAT64, SHAPE(3), d);
    tn_init(&t, "Cast", 13);
    tn_int(&t, "to", GLINT_DTYPE_FLOAT32);
    RUN_OK(&t, &id, 1);
    float wd[3] = {0.1f, -INFINITY, 2.5f};
    CHECK(((float *)t.out[0].data)[0] == wd[0] && ((float *)t.out[0].data)[1] == wd[1]);
    tn_init(&t, "Cast", 13);
    tn_int(&t, "to", GLINT_DTYPE_STRING);
    RUN_FAILS(&t, &in, 1, GLINT_ERR_UNSUPPORTED);
    CHECK(strstr(t.err.msg, "string") != NULL);
    /* random float32 -> float16 -> float32 agrees with the library's rounding */
    float r[64];
    tl_fill_uniform(r, 64, -100, 100);
    gl_tensor ir = tt(GLINT_DTYPE_FLOAT32, SHAPE(64), r);
    tn_init(&t, "Cast", 19);
    tn_int(&t, "to", GLINT_DTYPE_FLOAT16);
    RUN_OK(&t, &ir, 1);
    bool ok = true;
    for (int i = 0; i < 64; i++)
        if (((uint16_t *)t.out[0].data)[i] != gl_f32_to_f16(r[i])) ok = false;
    CHECK(ok);
    tn_free_out(&t);
}

int main(void) {
    tl_seed_from_env();
    test_unary();
    test_clip();
    test_broadcast_random();
    test_variadic();
    test_integer_arith();
    test_compare_where();
    test_cast();
    return TEST_END();
}
