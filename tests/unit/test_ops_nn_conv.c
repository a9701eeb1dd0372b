/* Conv, ConvTranspose and glint::FusedConv reference kernels against
 * independent formulas on fresh random inputs:
 *   - Conv vs a direct nested-loop sum (own geometry formulas) over random
 *     1-D/2-D/3-D shapes, groups, strides, dilations, pads and auto_pad;
 *   - grouped Conv vs separate per-group Convs;
 *   - ConvTranspose vs the adjoint identity <conv(x), y> = <x, convT(y)> and
 *     the ONNX documentation example, output_shape and auto_pad shapes;
 *   - FusedConv vs Conv followed by an explicit epilogue, every kind and
 *     broadcast;
 *   - parse refusals. */
#include "ops_nn_testutil.h"

/* ------------------------------------------------------------- geometry */
typedef struct cgeo {
    int sp, auto_pad; /* 0 NOTSET, 1 SAME_UPPER, 2 SAME_LOWER, 3 VALID */
    int64_t n, c, m, group;
    int64_t in[3], k[3], s[3], d[3], pb[3], pe[3], out[3];
} cgeo;

static const char *auto_pad_name(int a) {
    static const char *names[] = {"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"};
    return names[a];
}

/* Output size and effective begin pad, straight from the ONNX Conv text. */
static void conv_out(cgeo *g) {
    for (int i = 0; i < g->sp; i++) {
        int64_t eff = (g->k[i] - 1) * g->d[i] + 1;
        if (g->auto_pad == 1 || g->auto_pad == 2) {
            g->out[i] = (g->in[i] + g->s[i] - 1) / g->s[i];
            int64_t total = (g->out[i] - 1) * g->s[i] + eff - g->in[i];
            if (total < 0) total = 0;
            g->pb[i] = g->auto_pad == 1 ? total / 2 : (total + 1) / 2;
        } else if (g->auto_pad == 3) {
            g->out[i] = (g->in[i] - eff + g->s[i]) / g->s[i]; /* ceil((in-eff+1)/s) */
            g->pb[i] = 0;
        } else {
            g->out[i] = (g->in[i] + g->pb[i] + g->pe[i] - eff) / g->s[i] + 1;
        }
    }
}

static int64_t prod3(const int64_t *v, int sp) {
    int64_t p = 1;
    for (int i = 0; i < sp; i++) p *= v[i];
    return p;
}

/* Direct sum, double accumulation: y[n,m,o] = b[m] + sum x[n,c',o*s+k*d-pb] w[m,c,k]. */
static void naive_conv(const cgeo *g, const float *x, const float *w, const float *b, float *y) {
    int64_t cg = g->c / g->group, mg = g->m / g->group;
    int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1}, s[3] = {1, 1, 1},
            d[3] = {1, 1, 1}, p[3] = {0, 0, 0};
    for (int i = 0; i < g->sp; i++) {
        in[i] = g->in[i]; out[i] = g->out[i]; k[i] = g->k[i];
        s[i] = g->s[i]; d[i] = g->d[i]; p[i] = g->pb[i];
    }
    for (int64_t n = 0; n < g->n; n++)
        for (int64_t m = 0; m < g->m; m++)
            for (int64_t o0 = 0; o0 < out[0]; o0++)
                for (int64_t o1 = 0; o1 < out[1]; o1++)
                    for (int64_t o2 = 0; o2 < out[2]; o2++) {
                        double acc = b ? b[m] : 0.0;
                        for (int64_t c = 0; c < cg; c++)
                            for (int64_t k0 = 0; k0 < k[0]; k0++)
                                for (int64_t k1 = 0; k1 < k[1]; k1++)
                                    for (int64_t k2 = 0; k2 < k[2]; k2++) {
                                        int64_t i0 = o0 * s[0] + k0 * d[0] - p[0];
                                        int64_t i1 = o1 * s[1] + k1 * d[1] - p[1];
                                        int64_t i2 = o2 * s[2] + k2 * d[2] - p[2];
                                        if (i0 < 0 || i0 >= in[0] || i1 < 0 || i1 >= in[1] ||
                                            i2 < 0 || i2 >= in[2])
                                            continue;
                                        int64_t ci = (m / mg) * cg + c;
                                        double xv = x[(((n * g->c + ci) * in[0] + i0) * in[1] + i1) * in[2] + i2];
                                        double wv = w[(((m * cg + c) * k[0] + k0) * k[1] + k1) * k[2] + k2];
                                        acc += xv * wv;
                                    }
                        y[(((n * g->m + m) * out[0] + o0) * out[1] + o1) * out[2] + o2] = (float)acc;
                    }
}

static void random_geo(cgeo *g) {
    memset(g, 0, sizeof *g);
    g->sp = tn_randint(1, 3);
    g->n = tn_randint(1, 2);
    int kind = tn_randint(0, 3);
    g->group = kind == 0 ? 1 : tn_randint(2, 3);
    g->c = g->group * tn_randint(1, 3);
    g->m = g->group * tn_randint(1, 3);
    if (kind == 3) g->m = g->c = g->group = tn_randint(2, 4); /* depthwise */
    g->auto_pad = tn_randint(0, 4) % 4; /* NOTSET twice as likely */
    int maxin = g->sp == 3 ? 6 : g->sp == 2 ? 10 : 16;
    for (int i = 0; i < g->sp; i++) {
        g->k[i] = tn_randint(1, 3);
        g->s[i] = tn_randint(1, 3);
        g->d[i] = tn_randint(1, 2);
        int64_t eff = (g->k[i] - 1) * g->d[i] + 1;
        g->in[i] = tn_randint((int)eff, maxin);
        g->pb[i] = tn_randint(0, 2);
        g->pe[i] = tn_randint(0, 2);
        if (g->auto_pad) g->pb[i] = g->pe[i] = 0;
    }
    conv_out(g);
}

/* Builds the Conv (or ConvTranspose) node for g; explicit pads only with NOTSET. */
static void conv_node(tn_node *t, const cgeo *g, bool transpose, bool with_kernel_shape) {
    tn_init(t, transpose ? "ConvTranspose" : "Conv", 17);
    int64_t pads[6];
    for (int i = 0; i < g->sp; i++) {
        pads[i] = g->pb[i];
        pads[g->sp + i] = g->pe[i];
    }
    if (with_kernel_shape) tn_ints(t, "kernel_shape", g->sp, g->k);
    tn_ints(t, "strides", g->sp, g->s);
    tn_ints(t, "dilations", g->sp, g->d);
    if (g->auto_pad) tn_str(t, "auto_pad", auto_pad_name(g->auto_pad));
    else tn_ints(t, "pads", 2 * g->sp, pads);
    if (g->group != 1 || tn_randint(0, 1)) tn_int(t, "group", g->group);
}

static gl_shape shape_nc(int64_t n, int64_t c, int sp, const int64_t *sz) {
    gl_shape s = {.rank = 2 + sp, .d = {n, c}};
    for (int i = 0; i < sp; i++) s.d[2 + i] = sz[i];
    return s;
}

static void test_conv_random(void) {
    for (int iter = 0; iter < 300; iter++) {
        cgeo g;
        random_geo(&g);
        tn_node t;
        conv_node(&t, &g, false, tn_randint(0, 1));
        const gl_op *op;
        void *p;
        gl_err err = {0};
        CHECK_OK(tn_parse(&t, "", &op, &p, &err));
        bool bias = tn_randint(0, 1);
        gl_tensor in[3];
        in[0] = tn_rand(shape_nc(g.n, g.c, g.sp, g.in), -1, 1);
        in[1] = tn_rand(shape_nc(g.m, g.c / g.group, g.sp, g.k), -1, 1);
        in[2] = bias ? tn_rand((gl_shape){.rank = 1, .d = {g.m}}, -1, 1) : tn_absent();
        gl_tensor out[1];
        glint_status st = tn_exec(op, p, in, bias ? 3 : 2, out, 1, &err);
        CHECK_MSG(st == GLINT_OK, "iter %d: %s", iter, err.msg);
        if (st == GLINT_OK) {
            gl_shape want = shape_nc(g.n, g.m, g.sp, g.out);
            CHECK(gl_shape_equal(&out[0].shape, &want));
            size_t ny = (size_t)gl_shape_numel(&want);
            float *ref = malloc(ny * sizeof(float));
            naive_conv(&g, in[0].data, in[1].data, bias ? in[2].data : NULL, ref);
            char what[128];
            snprintf(what, sizeof what, "conv iter %d sp %d group %lld ap %d", iter, g.sp,
                     (long long)g.group, g.auto_pad);
            CHECK(tl_close(out[0].data, ref, ny, 1e-5f, 1e-5f, what));
            CHECK(op->flops(p, in, bias ? 3 : 2, out, 1) ==
                  2 * g.n * g.m * prod3(g.out, g.sp) * (g.c / g.group) * prod3(g.k, g.sp));
            free(ref);
        }
        tn_free(out, 1);
        tn_free(in, 3);
        tn_free_params(op, p);
    }
}

/* A grouped conv equals `group` independent convs on channel slices. */
static void test_conv_groups_split(void) {
    for (int iter = 0; iter < 40; iter++) {
        cgeo g;
        random_geo(&g);
        if (g.group == 1) g.group = 2, g.c *= 2, g.m *= 2;
        tn_node t, t1;
        conv_node(&t, &g, false, true);
        cgeo g1 = g;
        g1.group = 1;
        g1.c = g.c / g.group;
        g1.m = g.m / g.group;
        conv_node(&t1, &g1, false, false);
        const gl_op *op;
        void *p, *p1;
        gl_err err = {0};
        CHECK_OK(tn_parse(&t, "", &op, &p, &err));
        CHECK_OK(tn_parse(&t1, "", &op, &p1, &err));
        gl_tensor in[3] = {tn_rand(shape_nc(g.n, g.c, g.sp, g.in), -1, 1),
                           tn_rand(shape_nc(g.m, g.c / g.group, g.sp, g.k), -1, 1),
                           tn_rand((gl_shape){.rank = 1, .d = {g.m}}, -1, 1)};
        gl_tensor out[1];
        CHECK_OK(tn_exec(op, p, in, 3, out, 1, &err));
        int64_t in_plane = prod3(g.in, g.sp), out_plane = prod3(g.out, g.sp),
                ksz = prod3(g.k, g.sp);
        for (int64_t gi = 0; gi < g.group; gi++) {
            gl_tensor sub[3] = {tn_rand(shape_nc(g.n, g1.c, g.sp, g.in), 0, 0),
                                tn_rand(shape_nc(g1.m, g1.c, g.sp, g.k), 0, 0),
                                tn_rand((gl_shape){.rank = 1, .d = {g1.m}}, 0, 0)};
            for (int64_t n = 0; n < g.n; n++)
                memcpy((float *)sub[0].data + n * g1.c * in_plane,
                       (float *)in[0].data + (n * g.c + gi * g1.c) * in_plane,
                       (size_t)(g1.c * in_plane) * sizeof(float));
            memcpy(sub[1].data, (float *)in[1].data + gi * g1.m * g1.c * ksz,
                   (size_t)(g1.m * g1.c * ksz) * sizeof(float));
            memcpy(sub[2].data, (float *)in[2].data + gi * g1.m, (size_t)g1.m * sizeof(float));
            gl_tensor so[1];
            CHECK_OK(tn_exec(op, p1, sub, 3, so, 1, &err));
            bool same = true;
            for (int64_t n = 0; n < g.n && so[0].data; n++)
                same &= memcmp((float *)so[0].data + n * g1.m * out_plane,
                               (float *)out[0].data + (n * g.m + gi * g1.m) * out_plane,
                               (size_t)(g1.m * out_plane) * sizeof(float)) == 0;
            CHECK_MSG(same, "iter %d group %lld of %lld differs", iter, (long long)gi,
                      (long long)g.group);
            tn_free(so, 1);
            tn_free(sub, 3);
        }
        tn_free(out, 1);
        tn_free(in, 3);
        tn_free_params(op, p);
        tn_free_params(op, p1);
    }
}

static double dot(const float *a, const float *b, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

/* <conv(x), y> = <x, convT(y)> with the same weights; convT gets the conv's
 * pads and output_padding = the remainder the conv dropped, so its output
 * has the conv's input size. */
static void test_conv_transpose_adjoint(void) {
    for (int iter = 0; iter < 150; iter++) {
        cgeo g;
        random_geo(&g);
        g.auto_pad = 0;
        conv_out(&g);
        tn_node tc, tt;
        conv_node(&tc, &g, false, false);
        conv_node(&tt, &g, true, tn_randint(0, 1));
        int64_t adj[3];
        for (int i = 0; i < g.sp; i++)
            adj[i] = (g.in[i] + g.pb[i] + g.pe[i] - ((g.k[i] - 1) * g.d[i] + 1)) % g.s[i];
        tn_ints(&tt, "output_padding", g.sp, adj);
        const gl_op *opc, *opt;
        void *pc, *pt;
        gl_err err = {0};
        CHECK_OK(tn_parse(&tc, "", &opc, &pc, &err));
        CHECK_OK(tn_parse(&tt, "", &opt, &pt, &err));
        gl_tensor x[2] = {tn_rand(shape_nc(g.n, g.c, g.sp, g.in), -1, 1),
                          tn_rand(shape_nc(g.m, g.c / g.group, g.sp, g.k), -1, 1)};
        gl_tensor y[2] = {tn_rand(shape_nc(g.n, g.m, g.sp, g.out), -1, 1), x[1]};
        gl_tensor cx[1], ty[1];
        CHECK_OK(tn_exec(opc, pc, x, 2, cx, 1, &err));
        glint_status st = tn_exec(opt, pt, y, 2, ty, 1, &err);
        CHECK_MSG(st == GLINT_OK, "iter %d: %s", iter, err.msg);
        if (st == GLINT_OK) {
            CHECK(gl_shape_equal(&ty[0].shape, &x[0].shape));
            double a = dot(cx[0].data, y[0].data, tn_numel(&y[0]));
            double b = dot(x[0].data, ty[0].data, tn_numel(&x[0]));
            CHECK_MSG(fabs(a - b) <= 1e-4 * (1 + fabs(a)), "iter %d: <conv x,y> %g vs <x,convT y> %g",
                      iter, a, b);
            CHECK(opt->flops(pt, y, 2, ty, 1) == opc->flops(pc, x, 2, cx, 1));
        }
        tn_free(cx, 1);
        tn_free(ty, 1);
        tn_free(x, 2);
        free(y[0].data);
        tn_free_params(opc, pc);
        tn_free_params(opt, pt);
    }
}

/* The ConvTranspose example of the ONNX operator documentation. */
static void test_conv_transpose_doc_example(void) {
    tn_node t;
    tn_init(&t, "ConvTranspose", 11);
    const gl_op *op;
    void *p;
    gl_err err = {0};
    CHECK_OK(tn_parse(&t, "", &op, &p, &err));
    float xv[9] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
    gl_tensor in[2] = {tn_f32v(9, xv), tn_rand((gl_shape){.rank = 4, .d = {1, 2, 3, 3}}, 1, 1)};
    in[0].shape = (gl_shape){.rank = 4, .d = {1, 1, 3, 3}};
    static const float want[25] = {0, 1, 3, 3, 2, 3, 8, 15, 12, 7, 9, 21, 36, 27, 15,
                                   9, 20, 33, 24, 13, 6, 13, 21, 15, 8};
    gl_tensor out[1];
    CHECK_OK(tn_exec(op, p, in, 2, out, 1, &err));
    gl_shape ws = {.rank = 4, .d = {1, 2, 5, 5}};
    CHECK(gl_shape_equal(&out[0].shape, &ws));
    if (out[0].data) {
        CHECK(tl_close(out[0].data, want, 25, 0, 1e-6f, "convT doc ch0"));
        CHECK(tl_close((float *)out[0].data + 25, want, 25, 0, 1e-6f, "convT doc ch1"));
    }
    tn_free(out, 1);
    tn_free(in, 2);
    tn_free_params(op, p);
}

/* output_shape and auto_pad: the shape rules and the placement of the crop,
 * checked against a full (unpadded) transpose cropped by hand. */
static void test_conv_transpose_shapes(void) {
    for (int iter = 0; iter < 60; iter++) {
        int64_t in = tn_randint(2, 7), k = tn_randint(1, 4), s = tn_randint(1, 3),
                d = tn_randint(1, 2);
        int64_t full = s * (in - 1) + (k - 1) * d + 1;
        int mode = tn_randint(0, 3); /* output_shape+UPPER, output_shape+LOWER/NOTSET, SAME_UPPER, SAME_LOWER */
        int64_t out, pb;
        tn_node t;
        tn_init(&t, "ConvTranspose", 13);
        tn_ints(&t, "strides", 1, &s);
        tn_ints(&t, "dilations", 1, &d);
        if (mode <= 1) {
            out = tn_randint(1, (int)full + 2);
            int64_t total = full - out > 0 ? full - out : 0;
            pb = mode == 0 ? total / 2 : total - total / 2;
            tn_ints(&t, "output_shape", 1, &out);
            if (mode == 0) tn_str(&t, "auto_pad", "SAME_UPPER");
        } else {
            out = in * s;
            int64_t total = full - out > 0 ? full - out : 0;
            out = full - total;
            pb = mode == 2 ? total / 2 : total - total / 2;
            tn_str(&t, "auto_pad", mode == 2 ? "SAME_UPPER" : "SAME_LOWER");
        }
        const gl_op *op;
        void *p;
        gl_err err = {0};
        CHECK_OK(tn_parse(&t, "", &op, &p, &err));
        gl_tensor xin[2] = {tn_rand((gl_shape){.rank = 3, .d = {1, 1, in}}, -1, 1),
                            tn_rand((gl_shape){.rank = 3, .d = {1, 1, k}}, -1, 1)};
        gl_tensor y[1];
        glint_status st = tn_exec(op, p, xin, 2, y, 1, &err);
        CHECK_MSG(st == GLINT_OK, "iter %d: %s", iter, err.msg);
        if (st == GLINT_OK) {
            CHECK_MSG(y[0].shape.d[2] == out, "iter %d mode %d: out %lld want %lld", iter, mode,
                      (long long)y[0].shape.d[2], (long long)out);
            float want[64] = {0};
            const float *xv = xin[0].data, *wv = xin[1].data;
            for (int64_t o = 0; o < out; o++) {
                double acc = 0;
                for (int64_t i = 0; i < in; i++)
                    for (int64_t kk = 0; kk < k; kk++)
                        if (i * s + kk * d - pb == o) acc += (double)xv[i] * wv[kk];
                want[o] = (float)acc;
            }
            char what[64];
            snprintf(what, sizeof what, "convT shapes iter %d mode %d", iter, mode);
            if (y[0].shape.d[2] == out) CHECK(tl_close(y[0].data, want, (size_t)out, 1e-5f, 1e-6f, what));
        }
        tn_free(y, 1);
        tn_free(xin, 2);
        tn_free_params(op, p);
    }
}

/* ------------------------------------------------------------ fused conv */
static double epi_ref(gl_epi_kind k, double y, double v, float alpha, float beta) {
    switch (k) {
    case GL_EPI_RELU: return y < 0 ? 0 : y;
    case GL_EPI_LEAKY_RELU: return y < 0 ? alpha * y : y;
    case GL_EPI_SIGMOID: return 1 / (1 + exp(-y));
    case GL_EPI_TANH: return tanh(y);
    case GL_EPI_SILU: return y / (1 + exp(-y));
    case GL_EPI_GELU: return 0.5 * y * (1 + erf(y / sqrt(2.0)));
    case GL_EPI_CLIP: return y < alpha ? alpha : y > beta ? beta : y;
    case GL_EPI_MUL: return y * v;
    case GL_EPI_ADD: return y + v;
    case GL_EPI_SUB: return y - v;
    case GL_EPI_RSUB: return v - y;
    }
    return NAN;
}

static void test_fused_conv(void) {
    const gl_op *op = gl_op_find("glint", "FusedConv");
    const gl_op *conv = gl_op_find("", "Conv");
    CHECK(op && conv && !op->parse);
    if (!op || !conv) return;
    int covered[GL_EPI_RSUB + 1][4] = {{0}};
    for (int iter = 0; iter < 200; iter++) {
        cgeo g;
        random_geo(&g);
        tn_node t;
        conv_node(&t, &g, false, false);
        void *pc;
        gl_err err = {0};
        const gl_op *opc;
        CHECK_OK(tn_parse(&t, "", &opc, &pc, &err));
        gl_fused_conv_params fp = {0};
        fp.conv = *(gl_conv_params *)pc;
        fp.n_epi = tn_randint(1, 4);
        gl_tensor in[3 + GL_MAX_EPILOGUE];
        int n_in = 3;
        bool bias = tn_randint(0, 1);
        in[0] = tn_rand(shape_nc(g.n, g.c, g.sp, g.in), -2, 2);
        in[1] = tn_rand(shape_nc(g.m, g.c / g.group, g.sp, g.k), -1, 1);
        in[2] = bias ? tn_rand((gl_shape){.rank = 1, .d = {g.m}}, -1, 1) : tn_absent();
        int64_t plane = prod3(g.out, g.sp);
        for (int s = 0; s < fp.n_epi; s++) {
            gl_epi_step *e = &fp.epi[s];
            e->kind = (gl_epi_kind)tn_randint(0, GL_EPI_RSUB);
            e->alpha = tl_rand_uniform(0.05f, 0.5f);
            e->beta = e->alpha + 0.5f;
            e->alpha = e->kind == GL_EPI_CLIP ? -e->alpha : e->alpha;
            e->operand = -1;
            bool has = e->kind >= GL_EPI_MUL;
            e->bcast = (gl_epi_bcast)tn_randint(0, 3);
            covered[e->kind][has ? e->bcast : 0]++;
            if (!has) continue;
            gl_shape os;
            switch (e->bcast) {
            case GL_BCAST_SCALAR: os = (gl_shape){.rank = 1, .d = {1}}; break;
            case GL_BCAST_CHANNEL: os = (gl_shape){.rank = 3, .d = {g.m, 1, 1}}; break;
            case GL_BCAST_SAMPLE_CHANNEL: os = (gl_shape){.rank = 2, .d = {g.n, g.m}}; break;
            default: os = shape_nc(g.n, g.m, g.sp, g.out); break;
            }
            e->operand = n_in;
            in[n_in++] = tn_rand(os, -1, 1);
        }
        gl_tensor y[1], yc[1];
        glint_status st = tn_exec(op, &fp, in, n_in, y, 1, &err);
        CHECK_MSG(st == GLINT_OK, "iter %d: %s", iter, err.msg);
        CHECK_OK(tn_exec(conv, pc, in, bias ? 3 : 2, yc, 1, &err));
        if (st == GLINT_OK && yc[0].data) {
            size_t ny = tn_numel(&yc[0]);
            float *want = malloc(ny * sizeof(float));
            for (int64_t n = 0; n < g.n; n++)
                for (int64_t c = 0; c < g.m; c++)
                    for (int64_t i = 0; i < plane; i++) {
                        int64_t at = (n * g.m + c) * plane + i;
                        double v = ((float *)yc[0].data)[at];
                        for (int s = 0; s < fp.n_epi; s++) {
                            const gl_epi_step *e = &fp.epi[s];
                            double o = 0;
                            if (e->operand >= 0) {
                                const float *od = in[e->operand].data;
                                o = e->bcast == GL_BCAST_SCALAR ? od[0]
                                    : e->bcast == GL_BCAST_CHANNEL ? od[c]
                                    : e->bcast == GL_BCAST_SAMPLE_CHANNEL ? od[n * g.m + c]
                                    : od[at];
                            }
                            v = epi_ref(e->kind, v, o, e->alpha, e->beta);
                        }
                        want[at] = (float)v;
                    }
            char what[64];
            snprintf(what, sizeof what, "fused iter %d (%d steps)", iter, fp.n_epi);
            CHECK(tl_close(y[0].data, want, ny, 1e-5f, 1e-5f, what));
            CHECK(op->flops(&fp, in, n_in, y, 1) > conv->flops(pc, in, 2, yc, 1));
            free(want);
        }
        tn_free(y, 1);
        tn_free(yc, 1);
        tn_free(in, n_in);
        tn_free_params(opc, pc);
    }
    for (int k = 0; k <= GL_EPI_RSUB; k++)
        for (int b = 0; b < (k >= GL_EPI_MUL ? 4 : 1); b++)
            CHECK_MSG(covered[k][b] > 0, "epilogue kind %d broadcast %d never drawn", k, b);

    /* an operand of the wrong size is refused in infer */
    gl_fused_conv_params fp = {0};
    fp.conv.group = 1;
    for (int i = 0; i < GL_MAX_SPATIAL; i++) fp.conv.stride[i] = fp.conv.dilation[i] = 1;
    fp.n_epi = 1;
    fp.epi[0] = (gl_epi_step){GL_EPI_ADD, 0, 0, 3, GL_BCAST_CHANNEL};
    gl_tensor in[4] = {tn_rand((gl_shape){.rank = 4, .d = {1, 2, 4, 4}}, -1, 1),
                       tn_rand((gl_shape){.rank = 4, .d = {3, 2, 3, 3}}, -1, 1), tn_absent(),
                       tn_rand((gl_shape){.rank = 1, .d = {2}}, -1, 1)};
    gl_tensor out[1];
    gl_err err = {0};
    fp.epi[0].bcast = GL_BCAST_SCALAR;
    CHECK(op->infer(&fp, in, 4, out, 1, &err) == GLINT_ERR_INTERNAL && strstr(err.msg, "operand"));
    fp.epi[0].bcast = GL_BCAST_CHANNEL;
    in[3].shape.d[0] = 3;
    CHECK_OK(op->infer(&fp, in, 4, out, 1, &err));
    tn_free(in, 4);
}

/* ------------------------------------------------------------- refusals */
static void test_conv_refusals(void) {
    tn_node t;
    tn_init(&t, "Conv", 17);
    tn_str(&t, "auto_pad", "SAME_MIDDLE");
    CHECK(tn_expect_parse(&t, GLINT_ERR_UNSUPPORTED, "auto_pad 'SAME_MIDDLE'"));
    tn_init(&t, "Conv", 17);
    int64_t s2[2] = {1, 1}, s3[3] = {1, 1, 1};
    tn_ints(&t, "strides", 2, s2);
    tn_ints(&t, "dilations", 3, s3);
    CHECK(tn_expect_parse(&t, GLINT_ERR_INVALID_MODEL, "dilations"));
    tn_init(&t, "Conv", 17);
    tn_int(&t, "group", 0);
    CHECK(tn_expect_parse(&t, GLINT_ERR_INVALID_MODEL, "group"));
    tn_init(&t, "Conv", 17);
    tn_float(&t, "group", 2.0f);
    CHECK(tn_expect_parse(&t, GLINT_ERR_INVALID_MODEL, "'group'"));
    tn_init(&t, "ConvTranspose", 17);
    int64_t os5[5] = {1, 1, 8, 8, 8};
    tn_ints(&t, "output_shape", 5, os5);
    CHECK(tn_expect_parse(&t, GLINT_ERR_UNSUPPORTED, "output_shape"));

    /* infer: dtype, rank, channel and bias mismatches */
    tn_init(&t, "Conv", 17);
    const gl_op *op;
    void *p;
    gl_err err = {0};
    CHECK_OK(tn_parse(&t, "", &op, &p, &err));
    gl_tensor in[3] = {tn_rand((gl_shape){.rank = 4, .d = {1, 2, 5, 5}}, -1, 1),
                       tn_rand((gl_shape){.rank = 4, .d = {3, 2, 3, 3}}, -1, 1),
                       tn_rand((gl_shape){.rank = 1, .d = {4}}, -1, 1)};
    gl_tensor out[1];
    CHECK(op->infer(p, in, 3, out, 1, &err) == GLINT_ERR_INVALID_MODEL);
    in[0].dtype = GLINT_DTYPE_FLOAT16;
    CHECK(op->infer(p, in, 2, out, 1, &err) == GLINT_ERR_UNSUPPORTED && strstr(err.msg, "float16"));
    in[0].dtype = GLINT_DTYPE_FLOAT32;
    in[1].shape.d[1] = 3;
    CHECK(op->infer(p, in, 2, out, 1, &err) == GLINT_ERR_INVALID_MODEL);
    in[0].shape = (gl_shape){.rank = 2, .d = {1, 2}};
    CHECK(op->infer(p, in, 2, out, 1, &err) == GLINT_ERR_UNSUPPORTED);
    tn_free(in, 3);
    tn_free_params(op, p);
}

int main(void) {
    tl_seed_from_env();
    test_conv_random();
    test_conv_groups_split();
    test_conv_transpose_adjoint();
    test_conv_transpose_doc_example();
    test_conv_transpose_shapes();
    test_fused_conv();
    test_conv_refusals();
    return TEST_END();
}
