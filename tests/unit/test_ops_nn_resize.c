/* Resize and Upsample: the ONNX documentation examples (hand-checked
 * values), random N-D cases against one-axis-at-a-time 1-D resizing written
 * here from the spec (nearest and linear are separable), opset-18 axes,
 * Upsample, and refusals for every unsupported mode. */
#include "ops_nn_testutil.h"

static const char *coord_names[] = {"half_pixel", "asymmetric", "align_corners",
                                    "pytorch_half_pixel", "tf_half_pixel_for_nearest"};
static const char *nearest_names[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};

/* Runs Resize on x (rank 4) with scales or sizes; returns the output. */
static gl_tensor run_resize(tn_node *t, gl_tensor x, const float *scales, const int64_t *sizes,
                            int n, glint_status *st_out, gl_err *err) {
    const gl_op *op;
    void *p;
    gl_tensor y[1] = {{0}};
    glint_status st = tn_parse(t, "", &op, &p, err);
    if (st == GLINT_OK) {
        gl_tensor in[4] = {x, tn_absent(), scales ? tn_f32v(n, scales) : tn_absent(),
                           sizes ? tn_i64(n, sizes) : tn_absent()};
        st = tn_exec(op, p, in, sizes ? 4 : 3, y, 1, err);
        free(in[2].data);
        free(in[3].data);
        tn_free_params(op, p);
    }
    *st_out = st;
    return y[0];
}

static void check_example(const char *name, const char *mode, const char *coord,
                          const char *nearest, const float *x, int64_t h, int64_t w,
                          const float *scales, const int64_t *sizes, const float *want,
                          int64_t oh, int64_t ow) {
    tn_node t;
    tn_init(&t, "Resize", 13);
    tn_str(&t, "mode", mode);
    if (coord) tn_str(&t, "coordinate_transformation_mode", coord);
    if (nearest) tn_str(&t, "nearest_mode", nearest);
    gl_tensor xt = tn_f32v((int)(h * w), x);
    xt.shape = (gl_shape){.rank = 4, .d = {1, 1, h, w}};
    gl_err err = {0};
    glint_status st;
    gl_tensor y = run_resize(&t, xt, scales, sizes, 4, &st, &err);
    CHECK_MSG(st == GLINT_OK, "%s: %s", name, err.msg);
    if (st == GLINT_OK) {
        CHECK_MSG(y.shape.d[2] == oh && y.shape.d[3] == ow, "%s: out %lldx%lld", name,
                  (long long)y.shape.d[2], (long long)y.shape.d[3]);
        if (y.shape.d[2] == oh && y.shape.d[3] == ow)
            CHECK(tl_close(y.data, want, (size_t)(oh * ow), 1e-6f, 1e-6f, name));
    }
    free(y.data);
    free(xt.data);
}

static void test_doc_examples(void) {
    static const float x22[4] = {1, 2, 3, 4}, x24[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    float x44[16];
    for (int i = 0; i < 16; i++) x44[i] = (float)(i + 1);
    static const float s_up_nn[4] = {1, 1, 2, 3}, s_up2[4] = {1, 1, 2, 2},
                       s_down[4] = {1, 1, 0.6f, 0.6f};
    static const float up_nn[24] = {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2,
                                    3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4};
    check_example("resize_upsample_scales_nearest", "nearest", NULL, NULL, x22, 2, 2, s_up_nn,
                  NULL, up_nn, 4, 6);
    static const float down_nn[2] = {1, 3};
    check_example("resize_downsample_scales_nearest", "nearest", NULL, NULL, x24, 2, 4, s_down,
                  NULL, down_nn, 1, 2);
    static const float up_lin[16] = {1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f,
                                     2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4};
    check_example("resize_upsample_scales_linear", "linear", NULL, NULL, x22, 2, 2, s_up2, NULL,
                  up_lin, 4, 4);
    const float a = 1.0f / 3, b = 2.0f / 3;
    const float up_ac[16] = {1, 1 + a, 1 + b, 2, 1 + b, 2, 2 + a, 2 + b,
                             2 + a, 2 + b, 3, 3 + a, 3, 3 + a, 3 + b, 4};
    check_example("resize_upsample_scales_linear_align_corners", "linear", "align_corners", NULL,
                  x22, 2, 2, s_up2, NULL, up_ac, 4, 4);
    static const float down_lin[2] = {2.6666665f, 4.3333331f};
    check_example("resize_downsample_scales_linear", "linear", NULL, NULL, x24, 2, 4, s_down, NULL,
                  down_lin, 1, 2);
    /* 4x4 -> 8x8 nearest: the source row/column of each output index */
    static const int64_t sz8[4] = {1, 1, 8, 8};
    struct { const char *name, *coord, *nearest; int idx[8]; } nn8[] = {
        {"resize_upsample_sizes_nearest_ceil_half_pixel", "half_pixel", "ceil", {0, 1, 1, 2, 2, 3, 3, 3}},
        {"resize_upsample_sizes_nearest_floor_align_corners", "align_corners", "floor", {0, 0, 0, 1, 1, 2, 2, 3}},
        {"resize_upsample_sizes_nearest_round_prefer_ceil_asymmetric", "asymmetric", "round_prefer_ceil", {0, 1, 1, 2, 2, 3, 3, 3}},
        {"nearest round_prefer_floor asymmetric", "asymmetric", "round_prefer_floor", {0, 0, 1, 1, 2, 2, 3, 3}},
        {"nearest tf_half_pixel_for_nearest", "tf_half_pixel_for_nearest", "round_prefer_floor", {0, 1, 1, 2, 2, 3, 3, 3}},
    };
    for (size_t c = 0; c < GL_ARRAY_LEN(nn8); c++) {
        float want[64];
        for (int i = 0; i < 8; i++)
            for (int j = 0; j < 8; j++) want[i * 8 + j] = x44[nn8[c].idx[i] * 4 + nn8[c].idx[j]];
        check_example(nn8[c].name, "nearest", nn8[c].coord, nn8[c].nearest, x44, 4, 4, NULL, sz8,
                      want, 8, 8);
    }
}

/* ------------------------------------------------ separable reference */
static double coord_of(int cm, int64_t x, double scale, int64_t lin, int64_t lout) {
    switch (cm) {
    case 0: return (x + 0.5) / scale - 0.5;
    case 1: return x / scale;
    case 2: return lout == 1 ? 0 : x * (double)(lin - 1) / (double)(lout - 1);
    case 3: return lout > 1 ? (x + 0.5) / scale - 0.5 : 0;
    default: return (x + 0.5) / scale;
    }
}

static int64_t clampi(int64_t v, int64_t n) { return v < 0 ? 0 : v >= n ? n - 1 : v; }

/* Resizes axis `a` of a double tensor (shape s) to length lout. */
static double *resize_axis(const double *x, gl_shape *s, int a, int64_t lout, double scale,
                           bool linear, int cm, int nm) {
    int64_t outer = 1, inner = 1, lin = s->d[a];
    for (int i = 0; i < a; i++) outer *= s->d[i];
    for (int i = a + 1; i < s->rank; i++) inner *= s->d[i];
    double *y = malloc((size_t)(outer * lout * inner) * sizeof(double));
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < lout; j++) {
            double c = coord_of(cm, j, scale, lin, lout);
            int64_t i0, i1;
            double w;
            if (linear) {
                double f = floor(c);
                i0 = clampi((int64_t)f, lin);
                i1 = clampi((int64_t)f + 1, lin);
                w = c - f;
            } else {
                double fl = floor(c), frac = c - fl, r;
                if (nm == 2) r = fl;
                else if (nm == 3) r = ceil(c);
                else if (frac == 0.5) r = nm == 0 ? fl : fl + 1;
                else r = frac < 0.5 ? fl : fl + 1;
                i0 = i1 = clampi((int64_t)r, lin);
                w = 0;
            }
            for (int64_t k = 0; k < inner; k++)
                y[(o * lout + j) * inner + k] = (1 - w) * x[(o * lin + i0) * inner + k] +
                                                w * x[(o * lin + i1) * inner + k];
        }
    s->d[a] = lout;
    return y;
}

static void test_random_separable(void) {
    for (int iter = 0; iter < 200; iter++) {
        int r = tn_randint(3, 5);
        gl_shape s = {.rank = r};
        for (int i = 0; i < r; i++) s.d[i] = tn_randint(1, i < 2 ? 2 : 6);
        bool linear = tn_randint(0, 1), use_sizes = tn_randint(0, 1);
        int cm = tn_randint(0, 4), nm = tn_randint(0, 3);
        /* axes to resize: the last 1, 2 or 3 (bilinear / trilinear), or any */
        float scales[8];
        int64_t sizes[8], lout[8];
        double used_scale[8];
        for (int i = 0; i < r; i++) {
            bool resized = i >= 2 ? tn_randint(0, 4) > 0 : tn_randint(0, 5) == 0;
            if (use_sizes) {
                sizes[i] = resized ? tn_randint(1, 9) : s.d[i];
                lout[i] = sizes[i];
                used_scale[i] = (double)sizes[i] / (double)s.d[i];
            } else {
                static const float choices[] = {0.5f, 0.6f, 0.75f, 1.0f, 1.5f, 2.0f, 2.5f, 3.0f, 1.25f};
                scales[i] = resized ? choices[tn_randint(0, 8)] : 1.0f;
                lout[i] = (int64_t)floor((double)s.d[i] * scales[i]);
                if (lout[i] < 1) scales[i] = 1.0f, lout[i] = s.d[i];
                used_scale[i] = scales[i];
            }
        }
        tn_node t;
        tn_init(&t, "Resize", 19);
        tn_str(&t, "mode", linear ? "linear" : "nearest");
        tn_str(&t, "coordinate_transformation_mode", coord_names[cm]);
        tn_str(&t, "nearest_mode", nearest_names[nm]);
        gl_tensor x = tn_rand(s, -1, 1);
        gl_err err = {0};
        glint_status st;
        gl_tensor y = run_resize(&t, x, use_sizes ? NULL : scales, use_sizes ? sizes : NULL, r,
                                 &st, &err);
        CHECK_MSG(st == GLINT_OK, "iter %d: %s", iter, err.msg);
        size_t nx = tn_numel(&x);
        double *ref = malloc(nx * sizeof(double));
        for (size_t i = 0; i < nx; i++) ref[i] = ((float *)x.data)[i];
        gl_shape cur = s;
        for (int a = 0; a < r; a++) {
            double *next = resize_axis(ref, &cur, a, lout[a], used_scale[a], linear, cm, nm);
            free(ref);
            ref = next;
        }
        if (st == GLINT_OK) {
            CHECK(gl_shape_equal(&y.shape, &cur));
            size_t ny = (size_t)gl_shape_numel(&cur);
            float *want = malloc(ny * sizeof(float));
            for (size_t i = 0; i < ny; i++) want[i] = (float)ref[i];
            char what[96];
            snprintf(what, sizeof what, "Resize iter %d %s %s %s %s", iter,
                     linear ? "linear" : "nearest", coord_names[cm], nearest_names[nm],
                     use_sizes ? "sizes" : "scales");
            if (gl_shape_equal(&y.shape, &cur)) CHECK(tl_close(y.data, want, ny, 1e-5f, 1e-6f, what));
            free(want);
        }
        free(ref);
        free(y.data);
        free(x.data);
    }
}

/* Resize-18 axes: scales on [2,3] (or negative [-1,-2]) equal full scales. */
static void test_axes(void) {
    for (int iter = 0; iter < 20; iter++) {
        gl_shape s = {.rank = 4, .d = {tn_randint(1, 2), tn_randint(1, 3), tn_randint(1, 5), tn_randint(1, 5)}};
        float sh = (float)tn_randint(1, 3), sw = tn_randint(0, 1) ? 0.5f : 2.0f;
        float full[4] = {1, 1, sh, sw}, part_pos[2] = {sh, sw}, part_neg[2] = {sw, sh};
        if (s.d[3] * sw < 1) full[3] = part_pos[1] = part_neg[0] = sw = 1;
        bool neg = tn_randint(0, 1);
        int64_t axes_pos[2] = {2, 3}, axes_neg[2] = {-1, -2};
        gl_tensor x = tn_rand(s, -1, 1);
        tn_node t1, t2;
        tn_init(&t1, "Resize", 18);
        tn_str(&t1, "mode", "linear");
        tn_init(&t2, "Resize", 18);
        tn_str(&t2, "mode", "linear");
        tn_ints(&t2, "axes", 2, neg ? axes_neg : axes_pos);
        gl_err err = {0};
        glint_status st1, st2;
        gl_tensor y1 = run_resize(&t1, x, full, NULL, 4, &st1, &err);
        gl_tensor y2 = run_resize(&t2, x, neg ? part_neg : part_pos, NULL, 2, &st2, &err);
        CHECK_MSG(st1 == GLINT_OK && st2 == GLINT_OK, "axes iter %d: %s", iter, err.msg);
        if (st1 == GLINT_OK && st2 == GLINT_OK) {
            CHECK(gl_shape_equal(&y1.shape, &y2.shape));
            CHECK(tl_close(y2.data, y1.data, tn_numel(&y1), 0, 0, "Resize axes"));
        }
        free(y1.data);
        free(y2.data);
        free(x.data);
    }
}

static void test_upsample(void) {
    const gl_op *op;
    void *p;
    gl_err err = {0};
    tn_node t;
    /* nearest with integer scales repeats elements */
    tn_init(&t, "Upsample", 9);
    tn_str(&t, "mode", "nearest");
    CHECK_OK(tn_parse(&t, "", &op, &p, &err));
    gl_tensor x = tn_rand((gl_shape){.rank = 4, .d = {1, 2, 3, 2}}, -1, 1);
    static const float sc[4] = {1, 1, 2, 3};
    gl_tensor in[2] = {x, tn_f32v(4, sc)}, y[1];
    CHECK_OK(tn_exec(op, p, in, 2, y, 1, &err));
    if (y[0].data) {
        CHECK(y[0].shape.d[2] == 6 && y[0].shape.d[3] == 6);
        float want[72];
        for (int c = 0; c < 2; c++)
            for (int i = 0; i < 6; i++)
                for (int j = 0; j < 6; j++)
                    want[(c * 6 + i) * 6 + j] = ((float *)x.data)[(c * 3 + i / 2) * 2 + j / 3];
        CHECK(tl_close(y[0].data, want, 72, 0, 0, "Upsample nearest"));
    }
    tn_free(y, 1);
    tn_free_params(op, p);
    /* linear is asymmetric: out[j] = interp at j / scale, clamped at the end */
    tn_init(&t, "Upsample", 9);
    tn_str(&t, "mode", "linear");
    CHECK_OK(tn_parse(&t, "", &op, &p, &err));
    static const float v[3] = {1, 3, 7}, sc2[3] = {1, 1, 2};
    gl_tensor in2[2] = {tn_f32v(3, v), tn_f32v(3, sc2)};
    in2[0].shape = (gl_shape){.rank = 3, .d = {1, 1, 3}};
    CHECK_OK(tn_exec(op, p, in2, 2, y, 1, &err));
    static const float want2[6] = {1, 2, 3, 5, 7, 7};
    if (y[0].data) CHECK(tl_close(y[0].data, want2, 6, 0, 1e-6f, "Upsample linear"));
    tn_free(y, 1);
    /* downsampling is refused */
    static const float sc3[3] = {1, 1, 0.5f};
    memcpy(in2[1].data, sc3, sizeof sc3);
    CHECK(op->infer(p, in2, 2, y, 1, &err) == GLINT_ERR_UNSUPPORTED);
    tn_free(in2, 2);
    tn_free(in, 2);
    tn_free_params(op, p);
}

static void test_refusals(void) {
    struct { const char *attr, *val, *needle; } cases[] = {
        {"mode", "cubic", "mode 'cubic'"},
        {"mode", "area", "mode 'area'"},
        {"coordinate_transformation_mode", "tf_crop_and_resize", "tf_crop_and_resize"},
        {"coordinate_transformation_mode", "half_pixel_symmetric", "half_pixel_symmetric"},
        {"nearest_mode", "round_half_even", "round_half_even"},
        {"keep_aspect_ratio_policy", "not_larger", "not_larger"},
    };
    for (size_t i = 0; i < GL_ARRAY_LEN(cases); i++) {
        tn_node t;
        tn_init(&t, "Resize", 19);
        tn_str(&t, cases[i].attr, cases[i].val);
        CHECK(tn_expect_parse(&t, GLINT_ERR_UNSUPPORTED, cases[i].needle));
    }
    tn_node t;
    tn_init(&t, "Resize", 18);
    tn_int(&t, "antialias", 1);
    CHECK(tn_expect_parse(&t, GLINT_ERR_UNSUPPORTED, "antialias"));
    tn_init(&t, "Upsample", 9);
    tn_str(&t, "mode", "cubic");
    CHECK(tn_expect_parse(&t, GLINT_ERR_UNSUPPORTED, "mode 'cubic'"));
    /* infer: both scales and sizes, neither, unknown at plan time */
    tn_init(&t, "Resize", 13);
    const gl_op *op;
    void *p;
    gl_err err = {0};
    CHECK_OK(tn_parse(&t, "", &op, &p, &err));
    static const float sc[4] = {1, 1, 2, 2};
    static const int64_t sz[4] = {1, 1, 4, 4};
    gl_tensor in[4] = {tn_rand((gl_shape){.rank = 4, .d = {1, 1, 2, 2}}, -1, 1), tn_absent(),
                       tn_f32v(4, sc), tn_i64(4, sz)};
    gl_tensor y[1];
    CHECK(op->infer(p, in, 4, y, 1, &err) == GLINT_ERR_INVALID_MODEL);
    CHECK(op->infer(p, in, 2, y, 1, &err) == GLINT_ERR_INVALID_MODEL);
    void *saved = in[2].data;
    in[2].data = NULL;
    CHECK(op->infer(p, in, 3, y, 1, &err) == GLINT_ERR_UNSUPPORTED && strstr(err.msg, "scales"));
    in[2].data = saved;
    in[0].dtype = GLINT_DTYPE_UINT8;
    CHECK(op->infer(p, in, 3, y, 1, &err) == GLINT_ERR_UNSUPPORTED && strstr(err.msg, "uint8"));
    tn_free(in, 4);
    tn_free_params(op, p);
}

int main(void) {
    tl_seed_from_env();
    test_doc_examples();
    test_random_separable();
    test_axes();
    test_upsample();
    test_refusals();
    return TEST_END();
}
