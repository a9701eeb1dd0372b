/* Shape and data-movement operators: hand-computed cases for every
 * attribute form, and randomized checks against naive index loops
 * (Transpose, Expand, Tile, Slice, Gather, Concat/Split). */
#include "test_ops_basic_util.h"

static gl_tensor i64s(int n, int64_t *v) { return tt(GLINT_DTYPE_INT64, SHAPE(n), v); }

static void test_shape_size_constant(void) {
    float x[60];
    tl_fill_uniform(x, 60, -1, 1);
    gl_tensor in = tt(GLINT_DTYPE_FLOAT32, SHAPE(3, 4, 5), x);
    struct { int64_t start, end; int n; int64_t want[3]; } cases[] = {
        {0, INT64_MAX, 3, {3, 4, 5}}, {1, INT64_MAX, 2, {4, 5}}, {0, -1, 2, {3, 4}},
        {-1, INT64_MAX, 1, {5}},      {1, 2, 1, {4}},            {10, INT64_MAX, 0, {0}},
        {-10, 10, 3, {3, 4, 5}},      {2, 1, 0, {0}},
    };
    for (size_t c = 0; c < GL_ARRAY_LEN(cases); c++) {
        tnode t = {0};
        tn_init(&t, "Shape", 15);
        if (cases[c].start) tn_int(&t, "start", cases[c].start);
        if (cases[c].end != INT64_MAX) tn_int(&t, "end", cases[c].end);
        RUN_OK(&t, &in, 1);
        CHECK(shape_is(&t.out[0].shape, SHAPE(cases[c].n)));
        CHECK_MSG(eq_i64(t.out[0].data, cases[c].want, (size_t)cases[c].n, "Shape"), "case %zu", c);
        tn_free_out(&t);
    }
    tnode t = {0};
    tn_init(&t, "Size", 13);
    RUN_OK(&t, &in, 1);
    CHECK(t.out[0].shape.rank == 0 && *(int64_t *)t.out[0].data == 60);

    tn_init(&t, "Constant", 13);
    tn_float(&t, "value_float", 2.5f);
    RUN_OK(&t, NULL, 0);
    CHECK(t.out[0].shape.rank == 0 && *(float *)t.out[0].data == 2.5f);
    tn_init(&t, "Constant", 13);
    int64_t iv[3] = {4, -1, 7};
    tn_ints(&t, "value_ints", 3, iv);
    RUN_OK(&t, NULL, 0);
    CHECK(shape_is(&t.out[0].shape, SHAPE(3)) && eq_i64(t.out[0].data, iv, 3, "value_ints"));
    tn_init(&t, "Constant", 13);
    tn_int(&t, "value_int", -9);
    RUN_OK(&t, NULL, 0);
    CHECK(t.out[0].dtype == GLINT_DTYPE_INT64 && *(int64_t *)t.out[0].data == -9);
    tn_init(&t, "Constant", 13);
    float fv[2] = {1.5f, -3};
    tn_floats(&t, "value_floats", 2, fv);
    RUN_OK(&t, NULL, 0);
    CHECK(tl_close(t.out[0].data, fv, 2, 0, 0, "value_floats"));
    tn_init(&t, "Constant", 13);
    tn_tensor(&t, "value", GLINT_DTYPE_FLOAT32, SHAPE(2, 3), x);
    RUN_OK(&t, NULL, 0);
    CHECK(shape_is(&t.out[0].shape, SHAPE(2, 3)) && tl_close(t.out[0].data, x, 6, 0, 0, "value"));
    tn_init(&t, "Constant", 13);
    tn_string(&t, "value_string", "hello");
    RUN_FAILS(&t, NULL, 0, GLINT_ERR_UNSUPPORTED);
    tn_init(&t, "Constant", 13);
    RUN_FAILS(&t, NULL, 0, GLINT_ERR_INVALID_MODEL);
    tn_free_out(&t);
}

static void test_constant_of_shape_range(void) {
    int64_t dims[3] = {2, 0, 3}, dims2[2] = {2, 3};
    gl_tensor sh = i64s(2, dims2);
    tnode t = {0};
    tn_init(&t, "ConstantOfShape", 9);
    RUN_OK(&t, &sh, 1);
    float zero[6] = {0};
    CHECK(t.out[0].dtype == GLINT_DTYPE_FLOAT32 && tl_close(t.out[0].data, zero, 6, 0, 0, "COS 0"));
    int64_t seven = 7;
    tn_init(&t, "ConstantOfShape", 9);
    tn_tensor(&t, "value", GLINT_DTYPE_INT64, SHAPE(1), &seven);
    RUN_OK(&t, &sh, 1);
    int64_t w7[6] = {7, 7, 7, 7, 7, 7};
    CHECK(t.out[0].dtype == GLINT_DTYPE_INT64 && eq_i64(t.out[0].data, w7, 6, "COS 7"));
    gl_tensor sh0 = i64s(3, dims);
    RUN_OK(&t, &sh0, 1);
    CHECK(shape_is(&t.out[0].shape, SHAPE(2, 0, 3)));
    gl_tensor unknown = tt(GLINT_DTYPE_INT64, SHAPE(2), NULL);
    RUN_FAILS(&t, &unknown, 1, GLINT_ERR_UNSUPPORTED);
    CHECK(strstr(t.err.msg, "must be known when planning") != NULL);

    float fs = 1, fl = 5, fd = 1.5f;
    gl_tensor fr[3] = {tt(GLINT_DTYPE_FLOAT32, SCALAR_SHAPE, &fs), tt(GLINT_DTYPE_FLOAT32, SCALAR_SHAPE, &fl),
                       tt(GLINT_DTYPE_FLOAT32, SCALAR_SHAPE, &fd)};
    tn_init(&t, "Range", 11);
    RUN_OK(&t, fr, 3);
    float wr[3] = {1, 2.5f, 4};
    CHECK(shape_is(&t.out[0].shape, SHAPE(3)) && tl_close(t.out[0].data, wr, 3, 0, 0, "Range f32"));
    int32_t is = 10, il = 4, id = -3;
    gl_tensor ir[3] = {tt(GLINT_DTYPE_INT32, SCALAR_SHAPE, &is), tt(GLINT_DTYPE_INT32, SCALAR_SHAPE, &il),
                       tt(GLINT_DTYPE_INT32, SCALAR_SHAPE, &id)};
    RUN_OK(&t, ir, 3);
    CHECK(shape_is(&t.out[0].shape, SHAPE(2)) && ((int32_t *)t.out[0].data)[0] == 10 &&
          ((int32_t *)t.out[0].data)[1] == 7);
    int64_t a = 0, b = -3, d = 1;
    gl_tensor er[3] = {tt(GLINT_DTYPE_INT64, SCALAR_SHAPE, &a), tt(GLINT_DTYPE_INT64, SCALAR_SHAPE, &b),
                       tt(GLINT_DTYPE_INT64, SCALAR_SHAPE, &d)};
    RUN_OK(&t, er, 3);
    CHECK(shape_is(&t.out[0].shape, SHAPE(0)));
    d = 0;
    RUN_FAILS(&t, er, 3, GLINT_ERR_INVALID_MODEL);
    tn_free_out(&t);
}

static void test_reshape_family(void) {
    float x[24];
    tl_fill_uniform(x, 24, -1, 1);
    gl_tensor in = tt(GLINT_DTYPE_FLOAT32, SHAPE(2, 3, 4), x);
    struct { int n; int64_t shape[4]; int64_t allowzero; gl_shape want; glint_status st; } cases[] = {
        {2, {0, -1}, 0, SHAPE(2, 12), GLINT_OK},
        {3, {4, 0, 2}, 0, SHAPE(4, 3, 2), GLINT_OK},
        {1, {-1}, 0, SHAPE(24), GLINT_OK},
        {4, {1, -1, 2, 3}, 0, SHAPE(1, 4, 2, 3), GLINT_OK},
        {2, {-1, -1}, 0, SHAPE(0), GLINT_ERR_INVALID_MODEL},
        {2, {5, -1}, 0, SHAPE(0), GLINT_ERR_INVALID_MODEL},
        {2, {0, 24}, 1, SHAPE(0), GLINT_ERR_INVALID_MODEL}, /* allowzero: 0 is a real 0 */
    };
    for (size_t c = 0; c < GL_ARRAY_LEN(cases); c++) {
        tnode t = {0};
        tn_init(&t, "Reshape", 14);
        if (cases[c].allowzero) tn_int(&t, "allowzero", 1);
        gl_tensor ins[2] = {in, i64s(cases[c].n, cases[c].shape)};
        if (cases[c].st == GLINT_OK) {
            RUN_OK(&t, ins, 2);
            CHECK_MSG(shape_is(&t.out[0].shape, cases[c].want), "Reshape case %zu", c);
            CHECK(tl_close(t.out[0].data, x, 24, 0, 0, "Reshape data"));
        } else {
            RUN_FAILS(&t, ins, 2, cases[c].st);
        }
        tn_free_out(&t);
    }
    /* allowzero with an empty input */
    int64_t zs[2] = {0, 5};
    gl_tensor empty[2] = {tt(GLINT_DTYPE_FLOAT32, SHAPE(0, 5), x), i64s(2, zs)};
    tnode t = {0};
    tn_init(&t, "Reshape", 14);
    tn_int(&t, "allowzero", 1);
    RUN_OK(&t, empty, 2);
    CHECK(shape_is(&t.out[0].shape, SHAPE(0, 5)));
    gl_tensor unknown[2] = {in, tt(GLINT_DTYPE_INT64, SHAPE(2), NULL)};
    tn_init(&t, "Reshape", 14);
    RUN_FAILS(&t, unknown, 2, GLINT_ERR_UNSUPPORTED);
    CHECK(strstr(t.err.msg, "Reshape: the shape input must be known when planning") != NULL);

    int64_t fl_axis[4] = {0, 2, -1, 3};
    gl_shape fl_want[4] = {SHAPE(1, 24), SHAPE(6, 4), SHAPE(6, 4), SHAPE(24, 1)};
    for (int c = 0; c < 4; c++) {
        tn_init(&t, "Flatten", 13);
        tn_int(&t, "axis", fl_axis[c]);
        RUN_OK(&t, &in, 1);
        CHECK_MSG(shape_is(&t.out[0].shape, fl_want[c]), "Flatten axis %lld", (long long)fl_axis[c]);
    }
    gl_tensor in1 = tt(GLINT_DTYPE_FLOAT32, SHAPE(1, 3, 1, 8), x);
    int64_t ax_sq[1] = {-2}, ax_un[3] = {4, 0, -1};
    tn_init(&t, "Squeeze", 11);
    tn_ints(&t, "axes", 1, ax_sq);
    RUN_OK(&t, &in1, 1);
    CHECK(shape_is(&t.out[0].shape, SHAPE(1, 3, 8)));
    tn_init(&t, "Squeeze", 13);
    gl_tensor sq13[2] = {in1, i64s(1, ax_sq)};
    RUN_OK(&t, sq13, 2);
    CHECK(shape_is(&t.out[0].shape, SHAPE(1, 3, 8)));
    RUN_OK(&t, &in1, 1); /* no axes: every 1 goes */
    CHECK(shape_is(&t.out[0].shape, SHAPE(3, 8)) && tl_close(t.out[0].data, x, 24, 0, 0, "Squeeze"));
    int64_t bad[1] = {1};
    gl_tensor sqbad[2] = {in1, i64s(1, bad)};
    RUN_FAILS(&t, sqbad, 2, GLINT_ERR_INVALID_MODEL);
    tn_init(&t, "Unsqueeze", 11);
    tn_ints(&t, "axes", 3, ax_un);
    RUN_OK(&t, &in, 1);
    CHECK(shape_is(&t.out[0].shape, SHAPE(1, 2, 3, 4, 1, 1)));
    tn_init(&t, "Unsqueeze", 13);
    gl_tensor un13[2] = {in, i64s(3, ax_un)};
    RUN_OK(&t, un13, 2);
    CHECK(shape_is(&t.out[0].shape, SHAPE(1, 2, 3, 4, 1, 1)) &&
          tl_close(t.out[0].data, x, 24, 0, 0, "Unsqueeze"));
    int64_t dup[2] = {0, 0};
    gl_tensor undup[2] = {in, i64s(2, dup)};
    RUN_FAILS(&t, undup, 2, GLINT_ERR_INVALID_MODEL);
    tn_free_out(&t);
}

/* ---------------------------------------------------------------- random */
static void test_transpose_expand_tile(void) {
    for (int iter = 0; iter < 60; iter++) {
        int r = (int)rand_int(1, 5);
        gl_shape s = rand_shape(r, 1, 5);
        float *x = rand_floats(&s, -1, 1);
        int64_t perm[GL_MAX_RANK], inv[GL_MAX_RANK];
        for (int i = 0; i < r; i++) perm[i] = i;
        for (int i = r - 1; i > 0; i--) {
            int j = (int)rand_int(0, i);
            int64_t tmp = perm[i]; perm[i] = perm[j]; perm[j] = tmp;
        }
        for (int i = 0; i < r; i++) inv[perm[i]] = i;
        tnode t = {0}, u = {0};
        tn_init(&t, "Transpose", 13);
        tn_ints(&t, "perm", r, perm);
        gl_tensor in = tt(GLINT_DTYPE_FLOAT32, s, x);
        RUN_OK(&t, &in, 1);
        size_t n = (size_t)gl_shape_numel(&s);
        const float *y = t.out[0].data;
        bool ok = true;
        for (size_t f = 0; f < n; f++) { /* y[idx] == x[idx permuted back] */
            int64_t oi[GL_MAX_RANK] = {0}, ii[GL_MAX_RANK] = {0};
            unflatten(&t.out[0].shape, (int64_t)f, oi);
            for (int k = 0; k < r; k++) ii[perm[k]] = oi[k];
            if (y[f] != x[flat_index(&s, ii)]) ok = false;
        }
        CHECK_MSG(ok, "Transpose vs naive, rank %d", r);
        tn_init(&u, "Transpose", 13);
        tn_ints(&u, "perm", r, inv);
        RUN_OK(&u, &t.out[0], 1);
        CHECK(shape_is(&u.out[0].shape, s) && tl_close(u.out[0].data, x, n, 0, 0, "Transpose twice"));

        /* Expand to a random broadcast target, and Tile with random repeats */
        gl_shape tgt = {.rank = r + (int)rand_int(0, 2)};
        for (int i = 0; i < tgt.rank; i++) {
            int j = i - (tgt.rank - r);
            tgt.d[i] = j < 0 ? rand_int(1, 3) : s.d[j] == 1 ? rand_int(1, 3) : (tl_rand_u64() & 1 ? s.d[j] : 1);
        }
        tn_init(&u, "Expand", 13);
        gl_tensor ein[2] = {in, i64s(tgt.rank, tgt.d)};
        RUN_OK(&u, ein, 2);
        gl_shape eo = u.out[0].shape;
        size_t ne = (size_t)gl_shape_numel(&eo);
        ok = true;
        for (size_t f = 0; f < ne; f++) {
            int64_t oi[GL_MAX_RANK] = {0}, ii[GL_MAX_RANK] = {0};
            unflatten(&eo, (int64_t)f, oi);
            for (int k = 0; k < r; k++) ii[k] = s.d[k] == 1 ? 0 : oi[k + eo.rank - r];
            if (((float *)u.out[0].data)[f] != x[flat_index(&s, ii)]) ok = false;
        }
        CHECK_MSG(ok, "Expand vs naive");
        int64_t reps[GL_MAX_RANK];
        for (int i = 0; i < r; i++) reps[i] = rand_int(0, 3);
        tn_init(&u, "Tile", 13);
        gl_tensor tin[2] = {in, i64s(r, reps)};
        RUN_OK(&u, tin, 2);
        gl_shape to = u.out[0].shape;
        size_t nt = (size_t)gl_shape_numel(&to);
        ok = true;
        for (int i = 0; i < r; i++) if (to.d[i] != s.d[i] * reps[i]) ok = false;
        for (size_t f = 0; f < nt; f++) {
            int64_t oi[GL_MAX_RANK];
            unflatten(&to, (int64_t)f, oi);
            for (int k = 0; k < r; k++) oi[k] %= s.d[k];
            if (((float *)u.out[0].data)[f] != x[flat_index(&s, oi)]) ok = false;
        }
        CHECK_MSG(ok, "Tile vs naive");
        free(x);
        tn_free_out(&t);
        tn_free_out(&u);
    }
}

static void test_slice_random(void) {
    for (int iter = 0; iter < 200; iter++) {
        int r = (int)rand_int(1, 4);
        gl_shape s = rand_shape(r, 1, 6);
        float *x = rand_floats(&s, -1, 1);
        int n = (int)rand_int(1, r);
        int64_t starts[4], ends[4], axes[4], steps[4];
        int64_t order[4] = {0, 1, 2, 3};
        for (int i = r - 1; i > 0; i--) {
            int j = (int)rand_int(0, i);
            int64_t tmp = order[i]; order[i] = order[j]; order[j] = tmp;
        }
        for (int i = 0; i < n; i++) {
            int64_t d = s.d[order[i]];
            axes[i] = tl_rand_u64() & 1 ? order[i] : order[i] - r;
            starts[i] = rand_int(-d - 2, d + 2);
            ends[i] = iter % 7 == 0 ? (tl_rand_u64() & 1 ? INT64_MAX : INT64_MIN) : rand_int(-d - 2, d + 2);
            steps[i] = rand_int(1, 3) * (tl_rand_u64() & 1 ? 1 : -1);
        }
        gl_tensor in[5] = {tt(GLINT_DTYPE_FLOAT32, s, x), i64s(n, starts), i64s(n, ends),
                           i64s(n, axes), i64s(n, steps)};
        tnode t = {0};
        tn_init(&t, "Slice", 13);
        RUN_OK(&t, in, 5);
        /* naive: per axis, the list of selected indices */
        int64_t sel[4][16], cnt[4];
        for (int a = 0; a < r; a++) {
            cnt[a] = s.d[a];
            for (int64_t k = 0; k < s.d[a]; k++) sel[a][k] = k;
        }
        for (int i = 0; i < n; i++) {
            int a = (int)(axes[i] < 0 ? axes[i] + r : axes[i]);
            int64_t d = s.d[a], b = starts[i], e = ends[i], st = steps[i];
            if (b < 0) b += d;
            if (e < 0 && e != INT64_MIN) e += d;
            cnt[a] = 0;
            if (st > 0) {
                b = b < 0 ? 0 : b > d ? d : b;
                e = e < 0 ? 0 : e > d ? d : e;
                for (int64_t k = b; k < e; k += st) sel[a][cnt[a]++] = k;
            } else {
                b = b < 0 ? 0 : b > d - 1 ? d - 1 : b;
                e = e < -1 ? -1 : e > d - 1 ? d - 1 : e;
                for (int64_t k = b; k > e; k += st) sel[a][cnt[a]++] = k;
            }
        }
        gl_shape want = {.rank = r};
        for (int a = 0; a < r; a++) want.d[a] = cnt[a];
        CHECK_MSG(shape_is(&t.out[0].shape, want), "Slice shape, iter %d", iter);
        size_t m = (size_t)gl_shape_numel(&want);
        bool ok = shape_is(&t.out[0].shape, want);
        for (size_t f = 0; ok && f < m; f++) {
            int64_t oi[GL_MAX_RANK] = {0}, ii[GL_MAX_RANK] = {0};
            unflatten(&want, (int64_t)f, oi);
            for (int a = 0; a < r; a++) ii[a] = sel[a][oi[a]];
            if (((float *)t.out[0].data)[f] != x[flat_index(&s, ii)]) ok = false;
        }
        CHECK_MSG(ok, "Slice vs naive, iter %d", iter);
        free(x);
        tn_free_out(&t);
    }
    /* opset 1 attribute form */
    float x[12];
    tl_fill_uniform(x, 12, -1, 1);
    gl_tensor in = tt(GLINT_DTYPE_FLOAT32, SHAPE(3, 4), x);
    int64_t st[1] = {1}, en[1] = {3}, ax[1] = {1};
    tnode t = {0};
    tn_init(&t, "Slice", 1);
    tn_ints(&t, "starts", 1, st);
    tn_ints(&t, "ends", 1, en);
    tn_ints(&t, "axes", 1, ax);
    RUN_OK(&t, &in, 1);
    float w[6] = {x[1], x[2], x[5], x[6], x[9], x[10]};
    CHECK(shape_is(&t.out[0].shape, SHAPE(3, 2)) && tl_close(t.out[0].data, w, 6, 0, 0, "Slice attrs"));
    tn_free_out(&t);
}

static void test_gather_concat_split(void) {
    for (int iter = 0; iter < 60; iter++) {
        int r = (int)rand_int(1, 4);
        gl_shape s = rand_shape(r, 1, 5);
        float *x = rand_floats(&s, -1, 1);
        int axis = (int)rand_int(0, r - 1);
        gl_shape is = rand_shape((int)rand_int(0, 2), 1, 3);
        size_t ni = (size_t)gl_shape_numel(&is);
        int64_t idx[16];
        for (size_t i = 0; i < ni; i++) idx[i] = rand_int(-s.d[axis], s.d[axis] - 1);
        gl_tensor in[2] = {tt(GLINT_DTYPE_FLOAT32, s, x), tt(GLINT_DTYPE_INT64, is, idx)};
        tnode t = {0};
        tn_init(&t, "Gather", 13);
        tn_int(&t, "axis", iter & 1 ? axis : axis - r);
        RUN_OK(&t, in, 2);
        gl_shape o = t.out[0].shape;
        CHECK(o.rank == r - 1 + is.rank);
        size_t m = (size_t)gl_shape_numel(&o);
        bool ok = true;
        for (size_t f = 0; f < m; f++) {
            int64_t oi[GL_MAX_RANK] = {0}, xi[GL_MAX_RANK] = {0}, ii[GL_MAX_RANK] = {0};
            unflatten(&o, (int64_t)f, oi);
            for (int k = 0; k < axis; k++) xi[k] = oi[k];
            for (int k = 0; k < is.rank; k++) ii[k] = oi[axis + k];
            int64_t v = idx[is.rank ? flat_index(&is, ii) : 0];
            xi[axis] = v < 0 ? v + s.d[axis] : v;
            for (int k = axis + 1; k < r; k++) xi[k] = oi[k - 1 + is.rank];
            if (((float *)t.out[0].data)[f] != x[flat_index(&s, xi)]) ok = false;
        }
        CHECK_MSG(ok, "Gather vs naive, iter %d", iter);

        /* Split along axis into random parts, then Concat them back */
        int parts = (int)rand_int(1, 3);
        int64_t sizes[3] = {0, 0, 0}, left = s.d[axis];
        for (int i = 0; i < parts - 1; i++) { sizes[i] = rand_int(0, left); left -= sizes[i]; }
        sizes[parts - 1] = left;
        tnode sp = {0}, cc = {0};
        tn_init(&sp, "Split", 13);
        sp.n_out = parts;
        tn_int(&sp, "axis", axis);
        gl_tensor sin[2] = {in[0], i64s(parts, sizes)};
        RUN_OK(&sp, sin, 2);
        tn_init(&cc, "Concat", 13);
        tn_int(&cc, "axis", axis - r);
        RUN_OK(&cc, sp.out, parts);
        CHECK(shape_is(&cc.out[0].shape, s) &&
              tl_close(cc.out[0].data, x, (size_t)gl_shape_numel(&s), 0, 0, "Split+Concat"));
        free(x);
        tn_free_out(&t);
        tn_free_out(&sp);
        tn_free_out(&cc);
    }
    float x[10];
    tl_fill_uniform(x, 10, -1, 1);
    int64_t bad[2] = {1, 5};
    gl_tensor in[2] = {tt(GLINT_DTYPE_FLOAT32, SHAPE(5, 2), x), i64s(2, bad)};
    tnode t = {0};
    tn_init(&t, "Gather", 13);
    RUN_FAILS(&t, in, 2, GLINT_ERR_INVALID_ARGUMENT);
    CHECK(strstr(t.err.msg, "index 5") != NULL);
    /* Split: equal parts (opset 11 attr form), uneven num_outputs (18) */
    gl_tensor v = tt(GLINT_DTYPE_FLOAT32, SHAPE(10), x);
    int64_t sz[2] = {3, 7};
    tn_init(&t, "Split", 11);
    t.n_out = 2;
    tn_ints(&t, "split", 2, sz);
    RUN_OK(&t, &v, 1);
    CHECK(shape_is(&t.out[0].shape, SHAPE(3)) && shape_is(&t.out[1].shape, SHAPE(7)));
    CHECK(tl_close(t.out[1].data, x + 3, 7, 0, 0, "Split attr"));
    tn_init(&t, "Split", 18);
    t.n_out = 3;
    tn_int(&t, "num_outputs", 3);
    RUN_OK(&t, &v, 1);
    CHECK(shape_is(&t.out[0].shape, SHAPE(4)) && shape_is(&t.out[2].shape, SHAPE(2)));
    CHECK(tl_close(t.out[2].data, x + 8, 2, 0, 0, "Split num_outputs"));
    tn_init(&t, "Split", 13);
    t.n_out = 3;
    RUN_FAILS(&t, &v, 1, GLINT_ERR_INVALID_MODEL); /* 10 does not split in 3 */
    tn_free_out(&t);
}

/* What PyTorch exporters emit: Shape -> Gather -> Unsqueeze -> Concat ->
 * Reshape, all int64. */
static void test_pytorch_shape_chain(void) {
    float x[2 * 3 * 4 * 5];
    tl_fill_uniform(x, 120, -1, 1);
    gl_tensor xin = tt(GLINT_DTYPE_FLOAT32, SHAPE(2, 3, 4, 5), x);
    tnode sh = {0}, ga = {0}, un = {0}, cc = {0}, rs = {0};
    tn_init(&sh, "Shape", 13);
    RUN_OK(&sh, &xin, 1);
    int64_t zero = 0, minus1[1] = {-1}, ax0[1] = {0};
    gl_tensor gin[2] = {sh.out[0], tt(GLINT_DTYPE_INT64, SCALAR_SHAPE, &zero)};
    tn_init(&ga, "Gather", 13);
    RUN_OK(&ga, gin, 2);
    CHECK(ga.out[0].shape.rank == 0 && *(int64_t *)ga.out[0].data == 2);
    gl_tensor uin[2] = {ga.out[0], i64s(1, ax0)};
    tn_init(&un, "Unsqueeze", 13);
    RUN_OK(&un, uin, 2);
    gl_tensor cin[2] = {un.out[0], i64s(1, minus1)};
    tn_init(&cc, "Concat", 13);
    tn_int(&cc, "axis", 0);
    RUN_OK(&cc, cin, 2);
    int64_t want[2] = {2, -1};
    CHECK(eq_i64(cc.out[0].data, want, 2, "shape chain"));
    gl_tensor rin[2] = {xin, cc.out[0]};
    tn_init(&rs, "Reshape", 14);
    RUN_OK(&rs, rin, 2);
    CHECK(shape_is(&rs.out[0].shape, SHAPE(2, 60)));
    tn_free_out(&sh);
    tn_free_out(&ga);
    tn_free_out(&un);
    tn_free_out(&cc);
    tn_free_out(&rs);
}

int main(void) {
    tl_seed_from_env();
    test_shape_size_constant();
    test_constant_of_shape_range();
    test_reshape_family();
    test_transpose_expand_tile();
    test_slice_random();
    test_gather_concat_split();
    test_pytorch_shape_chain();
    return TEST_END();
}
