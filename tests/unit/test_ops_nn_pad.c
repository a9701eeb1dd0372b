/* Pad against an element-by-element reference (reflection by repeated
 * bouncing, wrap by repeated shifting) on random shapes, pads (negative ones
 * crop), modes, constant values and opset-18 axes; an int64 tensor; the ONNX
 * documentation examples; refusals. */
#include "ops_nn_testutil.h"

static const char *mode_names[] = {"constant", "reflect", "edge", "wrap"};

static int64_t ref_source(int mode, int64_t s, int64_t n) {
    if (s >= 0 && s < n) return s;
    if (mode == 0) return -1;
    if (mode == 2) return s < 0 ? 0 : n - 1;
    if (mode == 3) {
        while (s < 0) s += n;
        while (s >= n) s -= n;
        return s;
    }
    if (n == 1) return 0;
    while (s < 0 || s >= n) s = s < 0 ? -s : 2 * (n - 1) - s; /* bounce off the ends */
    return s;
}

static void test_pad_random(void) {
    for (int iter = 0; iter < 300; iter++) {
        int r = tn_randint(1, 4), mode = tn_randint(0, 3);
        gl_shape s = {.rank = r};
        for (int i = 0; i < r; i++) s.d[i] = tn_randint(1, 5);
        bool use_axes = tn_randint(0, 1);
        int64_t axes[8], pads[16], pb[8] = {0}, pe[8] = {0};
        int na = r;
        if (use_axes) {
            na = tn_randint(1, r);
            int perm[8];
            for (int i = 0; i < r; i++) perm[i] = i;
            for (int i = r - 1; i > 0; i--) {
                int j = tn_randint(0, i), tmp = perm[i];
                perm[i] = perm[j];
                perm[j] = tmp;
            }
            for (int i = 0; i < na; i++) axes[i] = tn_randint(0, 1) ? perm[i] : perm[i] - r;
        } else {
            for (int i = 0; i < r; i++) axes[i] = i;
        }
        for (int i = 0; i < na; i++) {
            int64_t a = axes[i] < 0 ? axes[i] + r : axes[i], n = s.d[a];
            /* negative pads crop, but leave at least one element */
            pads[i] = tn_randint(-(int)(n - 1) / 2, 4);
            pads[na + i] = tn_randint(-(int)(n - 1) / 2, 4);
            pb[a] = pads[i];
            pe[a] = pads[na + i];
        }
        tn_node t;
        tn_init(&t, "Pad", use_axes ? 18 : 13);
        if (mode || tn_randint(0, 1)) tn_str(&t, "mode", mode_names[mode]);
        float cval = tl_rand_uniform(-5, 5);
        bool has_c = tn_randint(0, 1);
        gl_tensor in[4] = {tn_rand(s, -1, 1), tn_i64(2 * na, pads),
                           has_c ? tn_f32v(1, &cval) : tn_absent(),
                           use_axes ? tn_i64(na, axes) : tn_absent()};
        if (has_c) in[2].shape.rank = 0;
        const gl_op *op;
        void *p;
        gl_err err = {0};
        CHECK_OK(tn_parse(&t, "", &op, &p, &err));
        gl_tensor y[1];
        int n_in = use_axes ? 4 : has_c ? 3 : 2;
        glint_status st = tn_exec(op, p, in, n_in, y, 1, &err);
        CHECK_MSG(st == GLINT_OK, "iter %d: %s", iter, err.msg);
        if (st == GLINT_OK) {
            gl_shape os = s;
            for (int i = 0; i < r; i++) os.d[i] += pb[i] + pe[i];
            CHECK(gl_shape_equal(&y[0].shape, &os));
            size_t ny = tn_numel(&y[0]);
            float *want = malloc(ny * sizeof(float));
            for (size_t o = 0; o < ny; o++) {
                int64_t rem = (int64_t)o, src = 0, stride = 1;
                bool constant = false;
                for (int i = r - 1; i >= 0; i--) {
                    int64_t c = rem % os.d[i];
                    rem /= os.d[i];
                    int64_t si = ref_source(mode, c - pb[i], s.d[i]);
                    if (si < 0) constant = true;
                    src += si * stride;
                    stride *= s.d[i];
                }
                want[o] = constant ? (has_c ? cval : 0.0f) : ((float *)in[0].data)[src];
            }
            char what[64];
            snprintf(what, sizeof what, "Pad iter %d mode %s", iter, mode_names[mode]);
            CHECK(tl_close(y[0].data, want, ny, 0, 0, what));
            free(want);
        }
        tn_free(y, 1);
        tn_free(in, 4);
        tn_free_params(op, p);
    }
}

/* The examples of the ONNX Pad documentation, and an int64 tensor. */
static void test_pad_examples(void) {
    static const float x[6] = {1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f}; /* [3,2] */
    static const int64_t pads[4] = {0, 2, 0, 0};
    static const float want_const[12] = {0, 0, 1.0f, 1.2f, 0, 0, 2.3f, 3.4f, 0, 0, 4.5f, 5.7f};
    static const float want_reflect[12] = {1.0f, 1.2f, 1.0f, 1.2f, 2.3f, 3.4f,
                                           2.3f, 3.4f, 4.5f, 5.7f, 4.5f, 5.7f};
    static const float want_edge[12] = {1.0f, 1.0f, 1.0f, 1.2f, 2.3f, 2.3f,
                                        2.3f, 3.4f, 4.5f, 4.5f, 4.5f, 5.7f};
    static const float want_wrap[12] = {1.0f, 1.2f, 1.0f, 1.2f, 2.3f, 3.4f,
                                        2.3f, 3.4f, 4.5f, 5.7f, 4.5f, 5.7f};
    const float *wants[4] = {want_const, want_reflect, want_edge, want_wrap};
    for (int m = 0; m < 4; m++) {
        tn_node t;
        tn_init(&t, "Pad", 19);
        tn_str(&t, "mode", mode_names[m]);
        const gl_op *op;
        void *p;
        gl_err err = {0};
        CHECK_OK(tn_parse(&t, "", &op, &p, &err));
        gl_tensor in[2] = {tn_f32v(6, x), tn_i64(4, pads)};
        in[0].shape = (gl_shape){.rank = 2, .d = {3, 2}};
        gl_tensor y[1];
        CHECK_OK(tn_exec(op, p, in, 2, y, 1, &err));
        CHECK(y[0].shape.d[0] == 3 && y[0].shape.d[1] == 4);
        if (y[0].data) CHECK(tl_close(y[0].data, wants[m], 12, 0, 0, mode_names[m]));
        tn_free(y, 1);
        tn_free(in, 2);
        tn_free_params(op, p);
    }
    tn_node t;
    tn_init(&t, "Pad", 13);
    tn_str(&t, "mode", "edge");
    const gl_op *op;
    void *p;
    gl_err err = {0};
    CHECK_OK(tn_parse(&t, "", &op, &p, &err));
    int64_t xi[3] = {7, -8, 9}, pi[2] = {1, 2};
    gl_tensor in[2] = {tn_i64(3, xi), tn_i64(2, pi)};
    gl_tensor y[1];
    CHECK_OK(tn_exec(op, p, in, 2, y, 1, &err));
    int64_t want[6] = {7, 7, -8, 9, 9, 9};
    CHECK(y[0].dtype == GLINT_DTYPE_INT64 && y[0].shape.d[0] == 6 && y[0].data &&
          memcmp(y[0].data, want, sizeof want) == 0);
    tn_free(y, 1);
    tn_free(in, 2);
    tn_free_params(op, p);
}

static void test_pad_refusals(void) {
    tn_node t;
    tn_init(&t, "Pad", 13);
    tn_str(&t, "mode", "symmetric");
    CHECK(tn_expect_parse(&t, GLINT_ERR_UNSUPPORTED, "mode 'symmetric'"));
    tn_init(&t, "Pad", 13);
    const gl_op *op;
    void *p;
    gl_err err = {0};
    CHECK_OK(tn_parse(&t, "", &op, &p, &err));
    int64_t pads[4] = {0, 0, 1, 1}, bad[4] = {0, -3, 0, 0};
    gl_tensor in[2] = {tn_rand((gl_shape){.rank = 2, .d = {2, 2}}, -1, 1), tn_i64(4, pads)};
    gl_tensor y[1];
    void *saved = in[1].data;
    in[1].data = NULL; /* pads not known at plan time */
    CHECK(op->infer(p, in, 2, y, 1, &err) == GLINT_ERR_UNSUPPORTED && strstr(err.msg, "pads"));
    in[1].data = saved;
    in[1].shape.d[0] = 2;
    CHECK(op->infer(p, in, 2, y, 1, &err) == GLINT_ERR_INVALID_MODEL);
    in[1].shape.d[0] = 4;
    memcpy(in[1].data, bad, sizeof bad);
    CHECK(op->infer(p, in, 2, y, 1, &err) == GLINT_ERR_INVALID_MODEL); /* size 2 - 3 < 0 */
    tn_free(in, 2);
    tn_free_params(op, p);
}

int main(void) {
    tl_seed_from_env();
    test_pad_random();
    test_pad_examples();
    test_pad_refusals();
    return TEST_END();
}
