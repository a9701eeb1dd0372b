/* Gemm and MatMul against direct sums in double on random shapes: Gemm with
 * every transA/transB, alpha/beta and C broadcast form; MatMul with 1-D
 * operands and broadcast batch dims (numpy rules written out here). */
#include "ops_nn_testutil.h"

static void test_gemm(void) {
    for (int iter = 0; iter < 200; iter++) {
        int64_t m = tn_randint(1, 9), k = tn_randint(1, 9), n = tn_randint(1, 9);
        int ta = tn_randint(0, 1), tb = tn_randint(0, 1);
        float alpha = tn_randint(0, 2) ? tl_rand_uniform(-2, 2) : 1.0f;
        float beta = tn_randint(0, 2) ? tl_rand_uniform(-2, 2) : 1.0f;
        int cform = tn_randint(0, 6); /* none, [], [1], [N], [1,N], [M,1], [M,N] */
        gl_shape cs[7] = {{0}, {.rank = 0}, {.rank = 1, .d = {1}}, {.rank = 1, .d = {n}},
                          {.rank = 2, .d = {1, n}}, {.rank = 2, .d = {m, 1}},
                          {.rank = 2, .d = {m, n}}};
        tn_node t;
        tn_init(&t, "Gemm", 13);
        if (alpha != 1.0f) tn_float(&t, "alpha", alpha);
        if (beta != 1.0f) tn_float(&t, "beta", beta);
        if (ta || tn_randint(0, 1)) tn_int(&t, "transA", ta);
        if (tb || tn_randint(0, 1)) tn_int(&t, "transB", tb);
        gl_tensor in[3] = {tn_rand((gl_shape){.rank = 2, .d = {ta ? k : m, ta ? m : k}}, -1, 1),
                           tn_rand((gl_shape){.rank = 2, .d = {tb ? n : k, tb ? k : n}}, -1, 1),
                           cform ? tn_rand(cs[cform], -1, 1) : tn_absent()};
        const gl_op *op;
        void *p;
        gl_err err = {0};
        CHECK_OK(tn_parse(&t, "", &op, &p, &err));
        gl_tensor y[1];
        glint_status st = tn_exec(op, p, in, cform ? 3 : 2, y, 1, &err);
        CHECK_MSG(st == GLINT_OK, "iter %d: %s", iter, err.msg);
        if (st == GLINT_OK) {
            CHECK(y[0].shape.rank == 2 && y[0].shape.d[0] == m && y[0].shape.d[1] == n);
            float want[81];
            const float *a = in[0].data, *b = in[1].data, *c = in[2].data;
            for (int64_t i = 0; i < m; i++)
                for (int64_t j = 0; j < n; j++) {
                    double acc = 0;
                    for (int64_t q = 0; q < k; q++)
                        acc += (double)(ta ? a[q * m + i] : a[i * k + q]) *
                               (tb ? b[j * k + q] : b[q * n + j]);
                    double cv = 0;
                    if (cform == 1 || cform == 2) cv = c[0];
                    else if (cform == 3 || cform == 4) cv = c[j];
                    else if (cform == 5) cv = c[i];
                    else if (cform == 6) cv = c[i * n + j];
                    want[i * n + j] = (float)(alpha * acc + beta * cv);
                }
            char what[64];
            snprintf(what, sizeof what, "Gemm iter %d tA %d tB %d C %d", iter, ta, tb, cform);
            CHECK(tl_close(y[0].data, want, (size_t)(m * n), 1e-5f, 1e-5f, what));
            CHECK(op->flops(p, in, cform ? 3 : 2, y, 1) == 2 * m * n * k);
        }
        tn_free(y, 1);
        tn_free(in, 3);
        tn_free_params(op, p);
    }
    /* mismatched K and a C that does not broadcast */
    tn_node t;
    tn_init(&t, "Gemm", 13);
    const gl_op *op;
    void *p;
    gl_err err = {0};
    CHECK_OK(tn_parse(&t, "", &op, &p, &err));
    gl_tensor in[3] = {tn_rand((gl_shape){.rank = 2, .d = {2, 3}}, -1, 1),
                       tn_rand((gl_shape){.rank = 2, .d = {4, 5}}, -1, 1),
                       tn_rand((gl_shape){.rank = 1, .d = {4}}, -1, 1)};
    gl_tensor y[1];
    CHECK(op->infer(p, in, 2, y, 1, &err) == GLINT_ERR_INVALID_MODEL);
    in[1].shape = (gl_shape){.rank = 2, .d = {3, 5}};
    CHECK(op->infer(p, in, 3, y, 1, &err) == GLINT_ERR_INVALID_MODEL);
    tn_free(in, 3);
    tn_free_params(op, p);
}

static void test_matmul(void) {
    const gl_op *op = gl_op_find("", "MatMul");
    CHECK(op != NULL);
    if (!op) return;
    for (int iter = 0; iter < 200; iter++) {
        int64_t m = tn_randint(1, 5), k = tn_randint(1, 5), n = tn_randint(1, 5);
        int ra = tn_randint(1, 5), rb = tn_randint(1, 5);
        if (ra == 1) m = 1; /* a 1-D A is one row, a 1-D B one column */
        if (rb == 1) n = 1;
        int nb = GL_MAX(ra, rb) - 2 > 0 ? GL_MAX(ra, rb) - 2 : 0;
        int64_t batch[8];
        for (int i = 0; i < nb; i++) batch[i] = tn_randint(1, 3);
        gl_shape as = {.rank = ra}, bs = {.rank = rb};
        /* batch dims right-aligned; each operand may have 1 where the other has more */
        for (int i = 0; i < ra - 2; i++) as.d[i] = tn_randint(0, 2) ? batch[nb - (ra - 2) + i] : 1;
        for (int i = 0; i < rb - 2; i++) bs.d[i] = tn_randint(0, 2) ? batch[nb - (rb - 2) + i] : 1;
        if (ra >= 2) as.d[ra - 2] = m, as.d[ra - 1] = k;
        else as.d[0] = k;
        if (rb >= 2) bs.d[rb - 2] = k, bs.d[rb - 1] = n;
        else bs.d[0] = k;
        gl_tensor in[2] = {tn_rand(as, -1, 1), tn_rand(bs, -1, 1)};
        gl_tensor y[1];
        gl_err err = {0};
        glint_status st = tn_exec(op, NULL, in, 2, y, 1, &err);
        CHECK_MSG(st == GLINT_OK, "iter %d: %s", iter, err.msg);
        if (st != GLINT_OK) {
            tn_free(in, 2);
            continue;
        }
        /* expected shape: broadcast batch, then M (if A is 2-D+), then N (if B is) */
        gl_shape ob = {.rank = nb};
        for (int i = 0; i < nb; i++) {
            int ia = i - (nb - GL_MAX(ra - 2, 0)), ib = i - (nb - GL_MAX(rb - 2, 0));
            int64_t da = ia >= 0 ? as.d[ia] : 1, db = ib >= 0 ? bs.d[ib] : 1;
            ob.d[i] = da > db ? da : db;
        }
        gl_shape ys = ob;
        if (ra >= 2) ys.d[ys.rank++] = m;
        if (rb >= 2) ys.d[ys.rank++] = n;
        char s1[96], s2[96];
        CHECK_MSG(gl_shape_equal(&y[0].shape, &ys), "iter %d: shape %s want %s", iter,
                  gl_shape_str(&y[0].shape, s1, 96), gl_shape_str(&ys, s2, 96));
        size_t ny = tn_numel(&y[0]);
        float *want = malloc((ny ? ny : 1) * sizeof(float));
        int64_t nbatch = gl_shape_numel(&ob);
        const float *a = in[0].data, *b = in[1].data;
        for (int64_t bi = 0; bi < nbatch; bi++) {
            /* coordinates of bi in ob, then flat matrix index into A and B */
            int64_t c[8], rem = bi;
            for (int i = nb - 1; i >= 0; i--) c[i] = rem % ob.d[i], rem /= ob.d[i];
            int64_t fa = 0, fb = 0;
            for (int i = 0; i < ra - 2; i++) {
                int64_t ci = c[nb - (ra - 2) + i];
                fa = fa * as.d[i] + (as.d[i] == 1 ? 0 : ci);
            }
            for (int i = 0; i < rb - 2; i++) {
                int64_t ci = c[nb - (rb - 2) + i];
                fb = fb * bs.d[i] + (bs.d[i] == 1 ? 0 : ci);
            }
            for (int64_t i = 0; i < m; i++)
                for (int64_t j = 0; j < n; j++) {
                    double acc = 0;
                    for (int64_t q = 0; q < k; q++)
                        acc += (double)a[fa * m * k + i * k + q] * b[fb * k * n + q * n + j];
                    want[bi * m * n + i * n + j] = (float)acc;
                }
        }
        snprintf(s1, sizeof s1, "MatMul iter %d ranks %d,%d", iter, ra, rb);
        if (gl_shape_equal(&y[0].shape, &ys)) CHECK(tl_close(y[0].data, want, ny, 1e-5f, 1e-6f, s1));
        CHECK(op->flops(NULL, in, 2, y, 1) == 2 * nbatch * m * n * k);
        free(want);
        tn_free(y, 1);
        tn_free(in, 2);
    }
    gl_tensor in[2] = {tn_rand((gl_shape){.rank = 3, .d = {2, 3, 4}}, -1, 1),
                       tn_rand((gl_shape){.rank = 3, .d = {3, 4, 5}}, -1, 1)};
    gl_tensor y[1];
    gl_err err = {0};
    CHECK(op->infer(NULL, in, 2, y, 1, &err) == GLINT_ERR_INVALID_MODEL && strstr(err.msg, "batch"));
    in[1].dtype = GLINT_DTYPE_INT32;
    CHECK(op->infer(NULL, in, 2, y, 1, &err) == GLINT_ERR_UNSUPPORTED);
    tn_free(in, 2);
}

int main(void) {
    tl_seed_from_env();
    test_gemm();
    test_matmul();
    return TEST_END();
}
