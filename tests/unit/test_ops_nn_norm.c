/* BatchNormalization, InstanceNormalization, LayerNormalization and
 * GroupNormalization against the formulas written out here (two-pass
 * statistics in double), on random shapes; GroupNormalization with one
 * channel per group equals InstanceNormalization; refusals. */
#include "ops_nn_testutil.h"

static void run_node(tn_node *t, gl_tensor *in, int n_in, gl_tensor *out, int n_out,
                     const gl_op **opp, int iter) {
    const gl_op *op;
    void *p;
    gl_err err = {0};
    CHECK_OK(tn_parse(t, "", &op, &p, &err));
    glint_status st = tn_exec(op, p, in, n_in, out, n_out, &err);
    CHECK_MSG(st == GLINT_OK, "%s iter %d: %s", t->node.op_type, iter, err.msg);
    tn_free_params(op, p);
    if (opp) *opp = op;
}

/* Normalises x[i*stride] for i < count into y (same layout), double stats. */
static void ref_norm(const float *x, float *y, int64_t count, double eps, double *mean_out,
                     double *inv_out) {
    double m = 0, v = 0;
    for (int64_t i = 0; i < count; i++) m += x[i];
    m /= (double)count;
    for (int64_t i = 0; i < count; i++) v += (x[i] - m) * (x[i] - m);
    v /= (double)count;
    double inv = 1 / sqrt(v + eps);
    for (int64_t i = 0; i < count; i++) y[i] = (float)((x[i] - m) * inv);
    if (mean_out) *mean_out = m;
    if (inv_out) *inv_out = inv;
}

static gl_shape rand_nc_shape(int min_rank, int max_rank) {
    gl_shape s = {.rank = tn_randint(min_rank, max_rank)};
    for (int i = 0; i < s.rank; i++) s.d[i] = tn_randint(1, i < 2 ? 4 : 6);
    return s;
}

static void test_batch_norm(void) {
    for (int iter = 0; iter < 40; iter++) {
        gl_shape s = rand_nc_shape(2, 5);
        int64_t c = s.d[1], plane = gl_shape_numel(&s) / (s.d[0] * c);
        gl_shape cs = {.rank = 1, .d = {c}};
        gl_tensor in[5] = {tn_rand(s, -2, 2), tn_rand(cs, 0.5f, 2), tn_rand(cs, -1, 1),
                           tn_rand(cs, -1, 1), tn_rand(cs, 0.1f, 2)};
        tn_node t;
        tn_init(&t, "BatchNormalization", 15);
        float eps = tl_rand_uniform(1e-5f, 1e-2f);
        tn_float(&t, "epsilon", eps);
        tn_float(&t, "momentum", 0.9f);
        gl_tensor y[1];
        run_node(&t, in, 5, y, 1, NULL, iter);
        size_t n = tn_numel(&in[0]);
        float *want = malloc(n * sizeof(float));
        const float *x = in[0].data, *sc = in[1].data, *b = in[2].data, *m = in[3].data,
                    *v = in[4].data;
        for (size_t i = 0; i < n; i++) {
            int64_t ch = (int64_t)(i / (size_t)plane) % c;
            want[i] = (float)((x[i] - m[ch]) / sqrt((double)v[ch] + eps) * sc[ch] + b[ch]);
        }
        if (y[0].data) CHECK(tl_close(y[0].data, want, n, 1e-5f, 1e-6f, "BatchNormalization"));
        free(want);
        tn_free(y, 1);
        tn_free(in, 5);
    }
}

static void test_instance_and_group_norm(void) {
    for (int iter = 0; iter < 60; iter++) {
        gl_shape s = rand_nc_shape(3, 5);
        int64_t n = s.d[0], c = s.d[1], plane = gl_shape_numel(&s) / (n * c);
        int64_t groups_choice[4] = {1, c, 0, 0};
        int nch = 2;
        for (int64_t gcount = 2; gcount < c; gcount++)
            if (c % gcount == 0 && nch < 4) groups_choice[nch++] = gcount;
        int64_t G = groups_choice[tn_randint(0, nch - 1)];
        int opset = tn_randint(0, 1) ? 18 : 21;
        int64_t nsc = opset >= 21 ? c : G;
        float eps = tl_rand_uniform(1e-6f, 1e-3f);
        gl_shape scs = {.rank = 1, .d = {nsc}};
        gl_tensor in[3] = {tn_rand(s, -2, 3), tn_rand(scs, -2, 2), tn_rand(scs, -1, 1)};
        tn_node t;
        tn_init(&t, "GroupNormalization", opset);
        tn_int(&t, "num_groups", G);
        tn_float(&t, "epsilon", eps);
        gl_tensor y[1];
        run_node(&t, in, 3, y, 1, NULL, iter);
        size_t total = tn_numel(&in[0]);
        float *want = malloc(total * sizeof(float));
        int64_t block = (c / G) * plane;
        for (int64_t i = 0; i < n * G; i++)
            ref_norm((float *)in[0].data + i * block, want + i * block, block, eps, NULL, NULL);
        for (size_t i = 0; i < total; i++) {
            int64_t ch = (int64_t)(i / (size_t)plane) % c;
            int64_t k = opset >= 21 ? ch : ch / (c / G);
            want[i] = want[i] * ((float *)in[1].data)[k] + ((float *)in[2].data)[k];
        }
        char what[64];
        snprintf(what, sizeof what, "GroupNormalization opset %d G %lld", opset, (long long)G);
        if (y[0].data) CHECK(tl_close(y[0].data, want, total, 1e-5f, 1e-5f, what));

        /* one channel per group (opset 21 scale per channel) is InstanceNormalization */
        if (G == c) {
            gl_tensor in2[3] = {in[0], in[1], in[2]};
            tn_init(&t, "InstanceNormalization", 6);
            tn_float(&t, "epsilon", eps);
            gl_tensor yi[1];
            run_node(&t, in2, 3, yi, 1, NULL, iter);
            if (yi[0].data && y[0].data)
                CHECK(tl_close(yi[0].data, y[0].data, total, 1e-6f, 1e-6f, "Instance vs Group"));
            tn_free(yi, 1);
        }
        /* InstanceNormalization against the formula */
        gl_shape cs = {.rank = 1, .d = {c}};
        gl_tensor ii[3] = {in[0], tn_rand(cs, -2, 2), tn_rand(cs, -1, 1)};
        tn_init(&t, "InstanceNormalization", 6);
        gl_tensor yi[1];
        run_node(&t, ii, 3, yi, 1, NULL, iter);
        for (int64_t i = 0; i < n * c; i++) {
            ref_norm((float *)in[0].data + i * plane, want + i * plane, plane, 1e-5, NULL, NULL);
            for (int64_t e = 0; e < plane; e++)
                want[i * plane + e] = want[i * plane + e] * ((float *)ii[1].data)[i % c] +
                                      ((float *)ii[2].data)[i % c];
        }
        if (yi[0].data) CHECK(tl_close(yi[0].data, want, total, 1e-5f, 1e-5f, "InstanceNormalization"));
        tn_free(yi, 1);
        tn_free(ii + 1, 2);
        free(want);
        tn_free(y, 1);
        tn_free(in, 3);
    }
}

static void test_layer_norm(void) {
    for (int iter = 0; iter < 80; iter++) {
        gl_shape s = {.rank = tn_randint(1, 4)};
        for (int i = 0; i < s.rank; i++) s.d[i] = tn_randint(1, 6);
        int axis = tn_randint(0, s.rank - 1);
        bool neg = tn_randint(0, 1);
        /* scale / bias: the full normalised shape, a suffix of it, or with
         * some dims set to 1 (one-way broadcast) */
        gl_shape ss[2];
        for (int k = 0; k < 2; k++) {
            int nr = s.rank - axis;
            ss[k].rank = tn_randint(1, nr);
            for (int i = 0; i < ss[k].rank; i++) {
                int64_t d = s.d[s.rank - ss[k].rank + i];
                ss[k].d[i] = tn_randint(0, 3) ? d : 1;
            }
        }
        bool has_b = tn_randint(0, 1);
        int n_out = tn_randint(1, 3);
        gl_tensor in[3] = {tn_rand(s, -3, 3), tn_rand(ss[0], -2, 2),
                           has_b ? tn_rand(ss[1], -1, 1) : tn_absent()};
        tn_node t;
        tn_init(&t, "LayerNormalization", 17);
        tn_int(&t, "axis", neg ? axis - s.rank : axis);
        if (tn_randint(0, 1)) tn_int(&t, "stash_type", 1);
        gl_tensor y[3];
        run_node(&t, in, has_b ? 3 : 2, y, n_out, NULL, iter);
        int64_t inner = 1;
        for (int i = axis; i < s.rank; i++) inner *= s.d[i];
        int64_t outer = gl_shape_numel(&s) / inner;
        size_t total = tn_numel(&in[0]);
        float *want = malloc(total * sizeof(float));
        float *wm = malloc((size_t)outer * sizeof(float)), *wi = malloc((size_t)outer * sizeof(float));
        for (int64_t o = 0; o < outer; o++) {
            double m, is;
            ref_norm((float *)in[0].data + o * inner, want + o * inner, inner, 1e-5, &m, &is);
            wm[o] = (float)m;
            wi[o] = (float)is;
            for (int64_t i = 0; i < inner; i++) {
                /* coordinates of i in the normalised shape, mapped into each affine tensor */
                int64_t idx[2] = {0, 0};
                for (int k = 0; k < 2; k++) {
                    int64_t rem = i, stride = 1;
                    for (int dd = 0; dd < ss[k].rank; dd++) {
                        int64_t xd = s.d[s.rank - 1 - dd], td = ss[k].d[ss[k].rank - 1 - dd];
                        if (td != 1) idx[k] += (rem % xd) * stride;
                        rem /= xd;
                        stride *= td;
                    }
                }
                float v = want[o * inner + i] * ((float *)in[1].data)[idx[0]];
                if (has_b) v += ((float *)in[2].data)[idx[1]];
                want[o * inner + i] = v;
            }
        }
        char what[64];
        snprintf(what, sizeof what, "LayerNormalization iter %d axis %d", iter, axis);
        if (y[0].data) CHECK(tl_close(y[0].data, want, total, 1e-5f, 1e-5f, what));
        if (n_out > 1 && y[1].data) {
            CHECK(y[1].shape.rank == s.rank && gl_shape_numel(&y[1].shape) == outer);
            CHECK(tl_close(y[1].data, wm, (size_t)outer, 1e-5f, 1e-6f, "LayerNorm Mean"));
        }
        if (n_out > 2 && y[2].data)
            CHECK(tl_close(y[2].data, wi, (size_t)outer, 1e-5f, 1e-6f, "LayerNorm InvStdDev"));
        free(want);
        free(wm);
        free(wi);
        tn_free(y, n_out);
        tn_free(in, 3);
    }
}

static void test_norm_refusals(void) {
    tn_node t;
    tn_init(&t, "BatchNormalization", 15);
    tn_int(&t, "training_mode", 1);
    CHECK(tn_expect_parse(&t, GLINT_ERR_UNSUPPORTED, "training_mode 1"));
    tn_init(&t, "BatchNormalization", 9);
    int outs[3] = {4, 5, 6};
    t.node.outputs = outs;
    t.node.n_outputs = 3;
    CHECK(tn_expect_parse(&t, GLINT_ERR_UNSUPPORTED, "training output"));
    tn_init(&t, "LayerNormalization", 17);
    tn_int(&t, "stash_type", 11);
    CHECK(tn_expect_parse(&t, GLINT_ERR_UNSUPPORTED, "stash_type 11"));
    tn_init(&t, "GroupNormalization", 18);
    CHECK(tn_expect_parse(&t, GLINT_ERR_INVALID_MODEL, "num_groups"));

    /* infer: groups that do not divide C; opset-18 scale of length C != G */
    tn_init(&t, "GroupNormalization", 18);
    tn_int(&t, "num_groups", 2);
    const gl_op *op;
    void *p;
    gl_err err = {0};
    CHECK_OK(tn_parse(&t, "", &op, &p, &err));
    gl_tensor in[3] = {tn_rand((gl_shape){.rank = 3, .d = {1, 3, 4}}, -1, 1),
                       tn_rand((gl_shape){.rank = 1, .d = {2}}, -1, 1),
                       tn_rand((gl_shape){.rank = 1, .d = {2}}, -1, 1)};
    gl_tensor out[1];
    CHECK(op->infer(p, in, 3, out, 1, &err) == GLINT_ERR_INVALID_MODEL);
    in[0].shape.d[1] = 4;
    CHECK_OK(op->infer(p, in, 3, out, 1, &err));
    in[1].shape.d[0] = 4;
    CHECK(op->infer(p, in, 3, out, 1, &err) == GLINT_ERR_INVALID_MODEL);
    tn_free_params(op, p);
    /* LayerNormalization: axis out of range, scale not broadcastable */
    tn_init(&t, "LayerNormalization", 17);
    tn_int(&t, "axis", 3);
    CHECK_OK(tn_parse(&t, "", &op, &p, &err));
    in[1].shape = (gl_shape){.rank = 1, .d = {4}};
    CHECK(op->infer(p, in, 2, out, 1, &err) == GLINT_ERR_INVALID_MODEL && strstr(err.msg, "axis"));
    tn_free_params(op, p);
    tn_init(&t, "LayerNormalization", 17);
    CHECK_OK(tn_parse(&t, "", &op, &p, &err));
    in[1].shape = (gl_shape){.rank = 1, .d = {3}};
    CHECK(op->infer(p, in, 2, out, 1, &err) == GLINT_ERR_INVALID_MODEL);
    tn_free_params(op, p);
    tn_free(in, 3);
}

int main(void) {
    tl_seed_from_env();
    test_batch_norm();
    test_instance_and_group_norm();
    test_layer_norm();
    test_norm_refusals();
    return TEST_END();
}
