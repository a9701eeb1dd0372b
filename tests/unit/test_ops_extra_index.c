/* Index-driven extra operators (src/ops/op_extra_gather.c,
 * op_extra_scatter.c): GatherElements, ScatterElements, GatherND and
 * ScatterND against the ONNX documentation's examples and naive loops over
 * multi-indices on fresh random inputs (NaN-poisoned outputs); out-of-range
 * indices and refused modes; NonZero and Einsum refused at parse. */
#include "test_ops_basic_util.h"

static gl_tensor f32t(gl_shape s, float *v) { return tt(GLINT_DTYPE_FLOAT32, s, v); }
static gl_tensor i64t(gl_shape s, int64_t *v) { return tt(GLINT_DTYPE_INT64, s, v); }

static const char *const k_reds[5] = {"none", "add", "mul", "max", "min"};

static double reduce(int red, double a, double b) {
    switch (red) {
    case 1: return a + b;
    case 2: return a * b;
    case 3: return a > b ? a : b;
    case 4: return a < b ? a : b;
    default: return b;
    }
}

/* ------------------------------------------- GatherElements, ScatterElements */
static void test_elements(void) {
    tnode t = {0};
    float d[4] = {1, 2, 3, 4}, want[4] = {1, 1, 4, 3};
    int64_t ix[4] = {0, 0, 1, 0};
    gl_tensor in[3] = {f32t(SHAPE(2, 2), d), i64t(SHAPE(2, 2), ix)};
    tn_init(&t, "GatherElements", 13);
    tn_int(&t, "axis", 1);
    RUN_OK(&t, in, 2);
    CHECK(tl_close(t.out[0].data, want, 4, 0, 0, "GatherElements example"));
    float d5[5] = {1, 2, 3, 4, 5}, up[2] = {1.1f, 2.1f};
    float w_none[5] = {1, 1.1f, 3, 2.1f, 5}, w_dup[5] = {1, 5.2f, 3, 4, 5};
    int64_t i13[2] = {1, 3}, i11[2] = {1, 1};
    gl_tensor sin[3] = {f32t(SHAPE(1, 5), d5), i64t(SHAPE(1, 2), i13), f32t(SHAPE(1, 2), up)};
    tn_init(&t, "ScatterElements", 18);
    tn_int(&t, "axis", 1);
    RUN_OK(&t, sin, 3);
    CHECK(tl_close(t.out[0].data, w_none, 5, 0, 0, "ScatterElements example"));
    sin[1].data = i11;
    tn_string(&t, "reduction", "add");
    RUN_OK(&t, sin, 3);
    CHECK(tl_close(t.out[0].data, w_dup, 5, 1e-6f, 0, "ScatterElements duplicate add"));

    for (int it = 0; it < 50; it++) {
        gl_shape ds = rand_shape((int)rand_int(1, 4), 1, 5);
        int64_t axis = rand_int(-ds.rank, ds.rank - 1);
        int a = (int)(axis < 0 ? axis + ds.rank : axis);
        gl_shape is = ds;
        for (int i = 0; i < is.rank; i++) is.d[i] = i == a ? rand_int(0, 6) : rand_int(0, ds.d[i]);
        size_t nd = (size_t)gl_shape_numel(&ds), ni = (size_t)gl_shape_numel(&is);
        float *dv = rand_floats(&ds, 0.5f, 2), *uv = rand_floats(&is, 0.5f, 2);
        int64_t *iv = malloc((ni ? ni : 1) * sizeof *iv);
        for (size_t i = 0; i < ni; i++) iv[i] = rand_int(-ds.d[a], ds.d[a] - 1);
        gl_tensor gin[3] = {f32t(ds, dv), i64t(is, iv), f32t(is, uv)};
        /* gather */
        tn_init(&t, "GatherElements", 13);
        tn_int(&t, "axis", axis);
        RUN_OK(&t, gin, 2);
        float *w = malloc((nd > ni ? nd : ni) * sizeof *w + 4);
        int64_t idx[GL_MAX_RANK];
        for (size_t i = 0; i < ni; i++) {
            unflatten(&is, (int64_t)i, idx);
            idx[a] = iv[i] < 0 ? iv[i] + ds.d[a] : iv[i];
            w[i] = dv[flat_index(&ds, idx)];
        }
        CHECK(shape_is(&t.out[0].shape, is));
        CHECK_MSG(tl_close(t.out[0].data, w, ni, 0, 0, "GatherElements random"), "it %d", it);
        /* scatter, every reduction (in double, then rounded once per step
         * as the kernel's float arithmetic does) */
        int red = it % 5;
        tn_init(&t, "ScatterElements", 18);
        tn_int(&t, "axis", axis);
        tn_string(&t, "reduction", k_reds[red]);
        RUN_OK(&t, gin, 3);
        memcpy(w, dv, nd * sizeof *w);
        for (size_t i = 0; i < ni; i++) {
            unflatten(&is, (int64_t)i, idx);
            idx[a] = iv[i] < 0 ? iv[i] + ds.d[a] : iv[i];
            int64_t o = flat_index(&ds, idx);
            w[o] = (float)reduce(red, w[o], uv[i]);
        }
        CHECK_MSG(tl_close(t.out[0].data, w, nd, 1e-6f, 0, "ScatterElements random"),
                  "it %d reduction %s", it, k_reds[red]);
        free(dv), free(uv), free(iv), free(w);
    }
    /* int64 data with mul, int32 indices */
    int64_t di[6] = {1, 2, 3, 4, 5, 6}, ui[2] = {10, -3}, wi[6] = {1, 20, 3, 4, 5, -18};
    int32_t ii[2] = {1, -1};
    gl_tensor iin[3] = {i64t(SHAPE(2, 3), di), tt(GLINT_DTYPE_INT32, SHAPE(2, 1), ii),
                        i64t(SHAPE(2, 1), ui)};
    tn_init(&t, "ScatterElements", 16);
    tn_int(&t, "axis", 1);
    tn_string(&t, "reduction", "mul");
    RUN_OK(&t, iin, 3);
    CHECK(eq_i64(t.out[0].data, wi, 6, "ScatterElements int64 mul"));
    /* refusals and faults */
    tn_init(&t, "ScatterElements", 13);
    tn_string(&t, "reduction", "add"); /* add arrives in opset 16 */
    RUN_FAILS(&t, iin, 3, GLINT_ERR_UNSUPPORTED);
    tn_init(&t, "ScatterElements", 16);
    tn_string(&t, "reduction", "max"); /* max arrives in opset 18 */
    RUN_FAILS(&t, iin, 3, GLINT_ERR_UNSUPPORTED);
    tn_init(&t, "ScatterElements", 18);
    tn_string(&t, "reduction", "mean");
    RUN_FAILS(&t, iin, 3, GLINT_ERR_UNSUPPORTED);
    CHECK(strstr(t.err.msg, "mean") != NULL);
    ii[0] = 3;
    tn_init(&t, "ScatterElements", 18);
    tn_int(&t, "axis", 1);
    RUN_FAILS(&t, iin, 3, GLINT_ERR_INVALID_ARGUMENT);
    tn_init(&t, "GatherElements", 13);
    tn_int(&t, "axis", 1);
    RUN_FAILS(&t, iin, 2, GLINT_ERR_INVALID_ARGUMENT);
    CHECK(strstr(t.err.msg, "index 3") != NULL);
    int64_t big[12] = {0};
    gl_tensor wide[2] = {i64t(SHAPE(2, 3), di), i64t(SHAPE(3, 4), big)};
    RUN_FAILS(&t, wide, 2, GLINT_ERR_INVALID_MODEL); /* 3 rows of indices, data has 2 */
    tn_free_out(&t);
}

/* -------------------------------------------------- GatherND, ScatterND */
static void test_nd(void) {
    tnode t = {0};
    int64_t d4[4] = {0, 1, 2, 3}, i2[4] = {0, 0, 1, 1}, w2[2] = {0, 3};
    gl_tensor in[2] = {i64t(SHAPE(2, 2), d4), i64t(SHAPE(2, 2), i2)};
    tn_init(&t, "GatherND", 13);
    RUN_OK(&t, in, 2);
    CHECK(shape_is(&t.out[0].shape, SHAPE(2)) && eq_i64(t.out[0].data, w2, 2, "GatherND ex 1"));
    int64_t i1[2] = {1, 0}, w1[4] = {2, 3, 0, 1};
    in[1] = i64t(SHAPE(2, 1), i1);
    RUN_OK(&t, in, 2);
    CHECK(shape_is(&t.out[0].shape, SHAPE(2, 2)) && eq_i64(t.out[0].data, w1, 4, "GatherND ex 2"));
    int64_t d8[8] = {0, 1, 2, 3, 4, 5, 6, 7}, wb[4] = {2, 3, 4, 5};
    gl_tensor bin[2] = {i64t(SHAPE(2, 2, 2), d8), i64t(SHAPE(2, 1), i1)};
    tn_init(&t, "GatherND", 13);
    tn_int(&t, "batch_dims", 1);
    RUN_OK(&t, bin, 2);
    CHECK(shape_is(&t.out[0].shape, SHAPE(2, 2)) && eq_i64(t.out[0].data, wb, 4, "GatherND batch"));
    float sd[8] = {1, 2, 3, 4, 5, 6, 7, 8}, su[4] = {9, 10, 11, 12};
    float sw[8] = {1, 11, 3, 10, 9, 6, 7, 12};
    int64_t si[4] = {4, 3, 1, 7};
    gl_tensor sin[3] = {f32t(SHAPE(8), sd), i64t(SHAPE(4, 1), si), f32t(SHAPE(4), su)};
    tn_init(&t, "ScatterND", 13);
    RUN_OK(&t, sin, 3);
    CHECK(tl_close(t.out[0].data, sw, 8, 0, 0, "ScatterND example"));

    for (int it = 0; it < 60; it++) {
        gl_shape ds = rand_shape((int)rand_int(1, 4), 1, 4);
        int b = it % 3 == 0 && ds.rank > 1 ? (int)rand_int(1, ds.rank - 1) : 0;
        bool scatter = it % 2 == 1;
        if (scatter) b = 0;
        int m = (int)rand_int(1, ds.rank - b);
        /* indices: batch dims, up to 2 free dims, then m */
        gl_shape is = {.rank = 0};
        for (int i = 0; i < b; i++) is.d[is.rank++] = ds.d[i];
        int free_dims = (int)rand_int(0, 2);
        for (int i = 0; i < free_dims; i++) is.d[is.rank++] = rand_int(0, 3);
        is.d[is.rank++] = m;
        size_t ni = (size_t)gl_shape_numel(&is), nd = (size_t)gl_shape_numel(&ds);
        int64_t *iv = malloc((ni ? ni : 1) * sizeof *iv);
        for (size_t i = 0; i < ni; i++) {
            int64_t dim = ds.d[b + (int)(i % (size_t)m)];
            iv[i] = rand_int(-dim, dim - 1);
        }
        /* output (gather) / updates (scatter) shape: is[:-1] ++ ds[b+m:] */
        gl_shape os = {.rank = 0};
        for (int i = 0; i < is.rank - 1; i++) os.d[os.rank++] = is.d[i];
        for (int i = b + m; i < ds.rank; i++) os.d[os.rank++] = ds.d[i];
        size_t no = (size_t)gl_shape_numel(&os);
        float *dv = rand_floats(&ds, 0.5f, 2), *uv = rand_floats(&os, 0.5f, 2);
        float *w = malloc((nd > no ? nd : no) * sizeof *w + 4);
        int64_t oidx[GL_MAX_RANK], didx[GL_MAX_RANK];
        int red = it % 5;
        gl_tensor gin[3] = {f32t(ds, dv), i64t(is, iv), f32t(os, uv)};
        if (!scatter) {
            tn_init(&t, "GatherND", 13);
            tn_int(&t, "batch_dims", b);
            RUN_OK(&t, gin, 2);
            CHECK(shape_is(&t.out[0].shape, os));
        } else {
            tn_init(&t, "ScatterND", 18);
            tn_string(&t, "reduction", k_reds[red]);
            RUN_OK(&t, gin, 3);
            memcpy(w, dv, nd * sizeof *w);
        }
        /* walk the gathered / update elements: output multi-index
         * [batch..., free..., rest...] maps to data [batch..., tuple..., rest...] */
        for (size_t o = 0; o < no; o++) {
            unflatten(&os, (int64_t)o, oidx);
            int64_t tuple_flat = 0;
            for (int i = 0; i < is.rank - 1; i++) tuple_flat = tuple_flat * is.d[i] + oidx[i];
            for (int i = 0; i < b; i++) didx[i] = oidx[i];
            for (int j = 0; j < m; j++) {
                int64_t k = iv[tuple_flat * m + j], dim = ds.d[b + j];
                didx[b + j] = k < 0 ? k + dim : k;
            }
            for (int i = b + m; i < ds.rank; i++) didx[i] = oidx[is.rank - 1 + i - b - m];
            int64_t at = flat_index(&ds, didx);
            if (scatter) w[at] = (float)reduce(red, w[at], uv[o]);
            else w[o] = dv[at];
        }
        CHECK_MSG(tl_close(t.out[0].data, w, scatter ? nd : no, 1e-6f, 0, "GatherND/ScatterND"),
                  "it %d %s b=%d m=%d reduction %s", it, scatter ? "scatter" : "gather", b, m,
                  k_reds[red]);
        free(iv), free(dv), free(uv), free(w);
    }
    /* faults: index out of range, updates of the wrong shape, m too large */
    si[2] = 8;
    tn_init(&t, "ScatterND", 13);
    RUN_FAILS(&t, sin, 3, GLINT_ERR_INVALID_ARGUMENT);
    si[2] = 1;
    sin[2] = f32t(SHAPE(3), su);
    RUN_FAILS(&t, sin, 3, GLINT_ERR_INVALID_MODEL);
    int64_t i3[3] = {0, 0, 0};
    in[1] = i64t(SHAPE(1, 3), i3);
    tn_init(&t, "GatherND", 13);
    RUN_FAILS(&t, in, 2, GLINT_ERR_INVALID_MODEL);
    i2[1] = -3;
    in[1] = i64t(SHAPE(2, 2), i2);
    RUN_FAILS(&t, in, 2, GLINT_ERR_INVALID_ARGUMENT);
    tn_init(&t, "ScatterND", 13);
    tn_string(&t, "reduction", "mul");
    RUN_FAILS(&t, sin, 3, GLINT_ERR_UNSUPPORTED);
    tn_free_out(&t);
}

/* ------------------------------------------------- refused at load */
static void test_refused(void) {
    tnode t = {0};
    float x[4] = {1, 0, 2, 0};
    gl_tensor in = f32t(SHAPE(4), x);
    tn_init(&t, "NonZero", 13);
    RUN_FAILS(&t, &in, 1, GLINT_ERR_UNSUPPORTED);
    CHECK(strstr(t.err.msg, "depends on the input values") != NULL);
    tn_init(&t, "Einsum", 13);
    tn_string(&t, "equation", "i->i");
    RUN_FAILS(&t, &in, 1, GLINT_ERR_UNSUPPORTED);
    CHECK(strstr(t.err.msg, "Einsum") != NULL);
    tn_free_out(&t);
}

int main(void) {
    tl_seed_from_env();
    test_elements();
    test_nd();
    test_refused();
    return TEST_END();
}
