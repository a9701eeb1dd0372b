/* MaxPool, AveragePool, GlobalMaxPool and GlobalAveragePool against a naive
 * pooling over an explicitly padded copy of the input, over random 1-D to
 * 3-D shapes, strides, dilations, pads, auto_pad, ceil_mode and
 * count_include_pad; known ceil_mode shapes; refusals. */
#include <float.h>

#include "ops_nn_testutil.h"

typedef struct pgeo {
    int sp, auto_pad, ceil_mode, cip, is_max;
    int64_t n, c, in[3], k[3], s[3], d[3], pb[3], pe[3], out[3];
} pgeo;

static const char *ap_name(int a) {
    static const char *names[] = {"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"};
    return names[a];
}

/* The ONNX pooling shape rules. */
static void pool_out(pgeo *g) {
    for (int i = 0; i < g->sp; i++) {
        int64_t span = (g->k[i] - 1) * g->d[i] + 1;
        if (g->auto_pad == 1 || g->auto_pad == 2) {
            g->out[i] = (g->in[i] + g->s[i] - 1) / g->s[i];
            int64_t total = (g->out[i] - 1) * g->s[i] + span - g->in[i];
            if (total < 0) total = 0;
            g->pb[i] = g->auto_pad == 1 ? total / 2 : total - total / 2;
            g->pe[i] = total - g->pb[i];
        } else if (g->auto_pad == 3) {
            g->out[i] = (g->in[i] - span) / g->s[i] + 1;
            g->pb[i] = g->pe[i] = 0;
        } else {
            int64_t room = g->in[i] + g->pb[i] + g->pe[i] - span;
            g->out[i] = (g->ceil_mode ? (room + g->s[i] - 1) / g->s[i] : room / g->s[i]) + 1;
            if (g->ceil_mode && (g->out[i] - 1) * g->s[i] >= g->in[i] + g->pb[i]) g->out[i]--;
        }
    }
}

/* Pools over a padded copy: cells are real (flag 2), padding (1) or beyond
 * the padding, reached only by ceil_mode windows (0). */
static void naive_pool(const pgeo *g, const float *x, float *y) {
    int64_t in[3] = {1, 1, 1}, P[3] = {1, 1, 1}, pb[3] = {0}, k[3] = {1, 1, 1}, s[3] = {1, 1, 1},
            d[3] = {1, 1, 1}, out[3] = {1, 1, 1}, pe[3] = {0};
    for (int i = 0; i < g->sp; i++) {
        in[i] = g->in[i]; pb[i] = g->pb[i]; pe[i] = g->pe[i]; k[i] = g->k[i];
        s[i] = g->s[i]; d[i] = g->d[i]; out[i] = g->out[i];
        P[i] = (out[i] - 1) * s[i] + (k[i] - 1) * d[i] + 1; /* every window fits */
        if (P[i] < pb[i] + in[i] + pe[i]) P[i] = pb[i] + in[i] + pe[i];
    }
    int64_t psz = P[0] * P[1] * P[2];
    float *pv = calloc((size_t)psz, sizeof(float));
    int *pf = calloc((size_t)psz, sizeof(int));
    for (int64_t nc = 0; nc < g->n * g->c; nc++) {
        for (int64_t a = 0; a < P[0]; a++)
            for (int64_t b = 0; b < P[1]; b++)
                for (int64_t e = 0; e < P[2]; e++) {
                    int64_t ia = a - pb[0], ib = b - pb[1], ie = e - pb[2];
                    int64_t at = (a * P[1] + b) * P[2] + e;
                    bool real = ia >= 0 && ia < in[0] && ib >= 0 && ib < in[1] && ie >= 0 && ie < in[2];
                    bool inpad = a < pb[0] + in[0] + pe[0] && b < pb[1] + in[1] + pe[1] &&
                                 e < pb[2] + in[2] + pe[2];
                    pf[at] = real ? 2 : inpad ? 1 : 0;
                    pv[at] = real ? x[nc * in[0] * in[1] * in[2] + (ia * in[1] + ib) * in[2] + ie] : 0;
                }
        for (int64_t o0 = 0; o0 < out[0]; o0++)
            for (int64_t o1 = 0; o1 < out[1]; o1++)
                for (int64_t o2 = 0; o2 < out[2]; o2++) {
                    double m = -INFINITY, sum = 0;
                    int cnt_real = 0, cnt_pad = 0;
                    for (int64_t a = 0; a < k[0]; a++)
                        for (int64_t b = 0; b < k[1]; b++)
                            for (int64_t e = 0; e < k[2]; e++) {
                                int64_t at = ((o0 * s[0] + a * d[0]) * P[1] + o1 * s[1] + b * d[1]) * P[2] +
                                             o2 * s[2] + e * d[2];
                                if (pf[at] >= 1) cnt_pad++;
                                if (pf[at] != 2) continue;
                                cnt_real++;
                                sum += pv[at];
                                if (pv[at] > m) m = pv[at];
                            }
                    float v = g->is_max ? (float)m : (float)(sum / (g->cip ? cnt_pad : cnt_real));
                    *y++ = v;
                }
    }
    free(pv);
    free(pf);
}

static void test_pool_random(void) {
    for (int iter = 0; iter < 400; iter++) {
        pgeo g = {0};
        g.sp = tn_randint(1, 3);
        g.is_max = tn_randint(0, 1);
        g.n = tn_randint(1, 2);
        g.c = tn_randint(1, 3);
        g.auto_pad = tn_randint(0, 5) % 4; /* NOTSET more often */
        g.ceil_mode = tn_randint(0, 1);
        g.cip = !g.is_max && tn_randint(0, 1);
        bool dil = tn_randint(0, 1);
        for (int i = 0; i < g.sp; i++) {
            g.k[i] = tn_randint(1, 3);
            g.s[i] = tn_randint(1, 3);
            g.d[i] = dil ? tn_randint(1, 2) : 1;
            int64_t span = (g.k[i] - 1) * g.d[i] + 1;
            g.in[i] = tn_randint((int)span, g.sp == 3 ? 6 : 11);
            /* pads smaller than the kernel, as ONNX Runtime requires */
            g.pb[i] = g.auto_pad ? 0 : tn_randint(0, (int)g.k[i] - 1);
            g.pe[i] = g.auto_pad ? 0 : tn_randint(0, (int)g.k[i] - 1);
        }
        pool_out(&g);
        tn_node t;
        tn_init(&t, g.is_max ? "MaxPool" : "AveragePool", 19);
        int64_t pads[6];
        for (int i = 0; i < g.sp; i++) pads[i] = g.pb[i], pads[g.sp + i] = g.pe[i];
        tn_ints(&t, "kernel_shape", g.sp, g.k);
        bool strided = false;
        for (int i = 0; i < g.sp; i++) strided |= g.s[i] > 1;
        if (strided || tn_randint(0, 1)) tn_ints(&t, "strides", g.sp, g.s);
        if (dil) tn_ints(&t, "dilations", g.sp, g.d);
        if (g.auto_pad) tn_str(&t, "auto_pad", ap_name(g.auto_pad));
        else if (tn_randint(0, 3)) tn_ints(&t, "pads", 2 * g.sp, pads);
        else for (int i = 0; i < g.sp; i++) g.pb[i] = g.pe[i] = 0, pool_out(&g);
        if (g.ceil_mode || tn_randint(0, 1)) tn_int(&t, "ceil_mode", g.ceil_mode);
        if (g.cip) tn_int(&t, "count_include_pad", 1);
        const gl_op *op;
        void *p;
        gl_err err = {0};
        CHECK_OK(tn_parse(&t, "", &op, &p, &err));
        gl_shape xs = {.rank = 2 + g.sp, .d = {g.n, g.c}};
        for (int i = 0; i < g.sp; i++) xs.d[2 + i] = g.in[i];
        gl_tensor x[1] = {tn_rand(xs, -1, 1)}, y[1];
        glint_status st = tn_exec(op, p, x, 1, y, 1, &err);
        CHECK_MSG(st == GLINT_OK, "iter %d: %s", iter, err.msg);
        if (st == GLINT_OK) {
            gl_shape ys = {.rank = 2 + g.sp, .d = {g.n, g.c}};
            for (int i = 0; i < g.sp; i++) ys.d[2 + i] = g.out[i];
            bool shape_ok = gl_shape_equal(&y[0].shape, &ys);
            char a[96], b[96];
            CHECK_MSG(shape_ok, "iter %d: shape %s want %s", iter, gl_shape_str(&y[0].shape, a, 96),
                      gl_shape_str(&ys, b, 96));
            if (shape_ok) {
                size_t ny = tn_numel(&y[0]);
                float *want = malloc(ny * sizeof(float));
                naive_pool(&g, x[0].data, want);
                snprintf(a, sizeof a, "%s iter %d sp %d ap %d ceil %d cip %d", op->name, iter, g.sp,
                         g.auto_pad, g.ceil_mode, g.cip);
                CHECK(tl_close(y[0].data, want, ny, 1e-6f, 1e-6f, a));
                free(want);
            }
        }
        tn_free(y, 1);
        tn_free(x, 1);
        tn_free_params(op, p);
    }
}

/* Shapes from the ONNX tests and PyTorch's documented ceil_mode rule. */
static void test_pool_ceil_shapes(void) {
    struct { int64_t in, k, s, pb, pe, ceil, want; } cases[] = {
        {4, 3, 2, 0, 0, 1, 2},  /* maxpool_2d_ceil */
        {4, 3, 2, 0, 0, 0, 1},
        {5, 2, 2, 1, 1, 1, 3},  /* last window would start in the trailing pad */
        {5, 2, 2, 1, 1, 0, 3},
        {6, 3, 2, 1, 1, 1, 4},
        {7, 3, 3, 0, 0, 1, 3},
        {32, 2, 2, 0, 0, 1, 16},
    };
    for (size_t i = 0; i < GL_ARRAY_LEN(cases); i++) {
        for (int avg = 0; avg < 2; avg++) {
            tn_node t;
            tn_init(&t, avg ? "AveragePool" : "MaxPool", 12);
            int64_t pads[2] = {cases[i].pb, cases[i].pe};
            tn_ints(&t, "kernel_shape", 1, &cases[i].k);
            tn_ints(&t, "strides", 1, &cases[i].s);
            tn_ints(&t, "pads", 2, pads);
            tn_int(&t, "ceil_mode", cases[i].ceil);
            const gl_op *op;
            void *p;
            gl_err err = {0};
            CHECK_OK(tn_parse(&t, "", &op, &p, &err));
            gl_tensor x[1] = {tn_rand((gl_shape){.rank = 3, .d = {1, 1, cases[i].in}}, -1, 1)}, y[1];
            CHECK_OK(op->infer(p, x, 1, y, 1, &err));
            CHECK_MSG(y[0].shape.d[2] == cases[i].want, "case %zu: out %lld want %lld", i,
                      (long long)y[0].shape.d[2], (long long)cases[i].want);
            tn_free(x, 1);
            tn_free_params(op, p);
        }
    }
    /* averagepool_2d_ceil: 4x4 input 1..16, kernel 3, stride 2, ceil → [[6,7.5],[12,13.5]] */
    tn_node t;
    tn_init(&t, "AveragePool", 12);
    int64_t k2[2] = {3, 3}, s2[2] = {2, 2};
    tn_ints(&t, "kernel_shape", 2, k2);
    tn_ints(&t, "strides", 2, s2);
    tn_int(&t, "ceil_mode", 1);
    const gl_op *op;
    void *p;
    gl_err err = {0};
    CHECK_OK(tn_parse(&t, "", &op, &p, &err));
    float xv[16];
    for (int i = 0; i < 16; i++) xv[i] = (float)(i + 1);
    gl_tensor x[1] = {tn_f32v(16, xv)}, y[1];
    x[0].shape = (gl_shape){.rank = 4, .d = {1, 1, 4, 4}};
    static const float want[4] = {6, 7.5f, 12, 13.5f};
    CHECK_OK(tn_exec(op, p, x, 1, y, 1, &err));
    if (y[0].data) CHECK(tl_close(y[0].data, want, 4, 0, 1e-6f, "averagepool_2d_ceil"));
    tn_free(y, 1);
    tn_free(x, 1);
    tn_free_params(op, p);
}

static void test_global_pools(void) {
    for (int iter = 0; iter < 40; iter++) {
        int rank = tn_randint(3, 5);
        gl_shape s = {.rank = rank};
        for (int i = 0; i < rank; i++) s.d[i] = tn_randint(1, i < 2 ? 3 : 7);
        gl_tensor x[1] = {tn_rand(s, -3, 3)};
        for (int mx = 0; mx < 2; mx++) {
            tn_node t;
            tn_init(&t, mx ? "GlobalMaxPool" : "GlobalAveragePool", 13);
            const gl_op *op;
            void *p;
            gl_err err = {0};
            CHECK_OK(tn_parse(&t, "", &op, &p, &err));
            gl_tensor y[1];
            CHECK_OK(tn_exec(op, p, x, 1, y, 1, &err));
            int64_t nc = s.d[0] * s.d[1], plane = gl_shape_numel(&s) / nc;
            CHECK(y[0].shape.rank == rank && gl_shape_numel(&y[0].shape) == nc);
            float *want = malloc((size_t)nc * sizeof(float));
            for (int64_t j = 0; j < nc; j++) {
                double acc = mx ? -INFINITY : 0;
                for (int64_t i = 0; i < plane; i++) {
                    double v = ((float *)x[0].data)[j * plane + i];
                    acc = mx ? (v > acc ? v : acc) : acc + v;
                }
                want[j] = (float)(mx ? acc : acc / (double)plane);
            }
            if (y[0].data) CHECK(tl_close(y[0].data, want, (size_t)nc, 1e-6f, 1e-6f, op->name));
            free(want);
            tn_free(y, 1);
            tn_free_params(op, p);
        }
        tn_free(x, 1);
    }
}

static void test_pool_refusals(void) {
    tn_node t;
    int64_t k[2] = {2, 2};
    tn_init(&t, "MaxPool", 12);
    CHECK(tn_expect_parse(&t, GLINT_ERR_INVALID_MODEL, "kernel_shape"));
    tn_init(&t, "MaxPool", 12);
    tn_ints(&t, "kernel_shape", 2, k);
    int outs[2] = {5, 6};
    t.node.outputs = outs;
    t.node.n_outputs = 2;
    CHECK(tn_expect_parse(&t, GLINT_ERR_UNSUPPORTED, "Indices"));
    outs[1] = -1;
    CHECK(tn_expect_parse(&t, GLINT_OK, NULL));
    tn_init(&t, "AveragePool", 12);
    tn_ints(&t, "kernel_shape", 2, k);
    tn_str(&t, "auto_pad", "FULL");
    CHECK(tn_expect_parse(&t, GLINT_ERR_UNSUPPORTED, "auto_pad 'FULL'"));
    /* a 2-D kernel on a 1-D input, and a float64 input */
    tn_init(&t, "AveragePool", 12);
    tn_ints(&t, "kernel_shape", 2, k);
    const gl_op *op;
    void *p;
    gl_err err = {0};
    CHECK_OK(tn_parse(&t, "", &op, &p, &err));
    gl_tensor x[1] = {tn_rand((gl_shape){.rank = 3, .d = {1, 1, 8}}, -1, 1)}, y[1];
    CHECK(op->infer(p, x, 1, y, 1, &err) == GLINT_ERR_INVALID_MODEL);
    x[0].shape = (gl_shape){.rank = 4, .d = {1, 1, 2, 4}};
    x[0].dtype = GLINT_DTYPE_FLOAT64;
    CHECK(op->infer(p, x, 1, y, 1, &err) == GLINT_ERR_UNSUPPORTED && strstr(err.msg, "float64"));
    x[0].dtype = GLINT_DTYPE_FLOAT32;
    x[0].shape = (gl_shape){.rank = 4, .d = {1, 1, 1, 4}};
    CHECK(op->infer(p, x, 1, y, 1, &err) == GLINT_ERR_INVALID_MODEL); /* window bigger than input */
    tn_free(x, 1);
    tn_free_params(op, p);
}

int main(void) {
    tl_seed_from_env();
    test_pool_random();
    test_pool_ceil_shapes();
    test_global_pools();
    test_pool_refusals();
    return TEST_END();
}
