/* Gemm (ONNX opsets 11-13): Y = alpha * A' B' + beta * C with A' = A or Aᵀ
 * (transA), B' = B or Bᵀ (transB), C optional and broadcast one-way to
 * [M, N]. */
#include "ops/nn_common.h"

typedef struct gemm_params {
    float alpha, beta;
    bool trans_a, trans_b;
} gemm_params;

static glint_status gemm_parse(const gl_graph *g, const gl_node *n, void **params, gl_err *err) {
    gemm_params *p = gl_calloc(g->alloc, 1, sizeof *p);
    if (!p) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "Gemm: out of memory");
    int64_t ta = 0, tb = 0;
    glint_status st = gl_attr_float(n, "alpha", 1.0f, &p->alpha, err);
    if (st == GLINT_OK) st = gl_attr_float(n, "beta", 1.0f, &p->beta, err);
    if (st == GLINT_OK) st = gl_attr_int(n, "transA", 0, &ta, err);
    if (st == GLINT_OK) st = gl_attr_int(n, "transB", 0, &tb, err);
    p->trans_a = ta != 0;
    p->trans_b = tb != 0;
    if (st != GLINT_OK) {
        gl_free(g->alloc, p);
        return st;
    }
    *params = p;
    return GLINT_OK;
}

/* M, K, N from the operand shapes; checks C's broadcast. */
static glint_status gemm_dims(const gemm_params *p, const gl_tensor *in, int n_in, int64_t *m,
                              int64_t *k, int64_t *n, gl_err *err) {
    glint_status st;
    if ((st = gl_nn_need_f32("Gemm", "A", &in[0], err)) || (st = gl_nn_need_f32("Gemm", "B", &in[1], err)))
        return st;
    const gl_shape *a = &in[0].shape, *b = &in[1].shape;
    char as[96], bs[96];
    if (a->rank != 2 || b->rank != 2)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "Gemm: A %s and B %s must be matrices",
                       gl_shape_str(a, as, sizeof as), gl_shape_str(b, bs, sizeof bs));
    *m = p->trans_a ? a->d[1] : a->d[0];
    *k = p->trans_a ? a->d[0] : a->d[1];
    int64_t kb = p->trans_b ? b->d[1] : b->d[0];
    *n = p->trans_b ? b->d[0] : b->d[1];
    if (kb != *k)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                       "Gemm: A %s and B %s disagree on K (transA %d, transB %d)",
                       gl_shape_str(a, as, sizeof as), gl_shape_str(b, bs, sizeof bs),
                       p->trans_a, p->trans_b);
    if (gl_in_present(in, n_in, 2)) {
        if ((st = gl_nn_need_f32("Gemm", "C", &in[2], err))) return st;
        const gl_shape *c = &in[2].shape;
        bool ok = c->rank <= 2;
        if (ok && c->rank >= 1) ok = c->d[c->rank - 1] == 1 || c->d[c->rank - 1] == *n;
        if (ok && c->rank == 2) ok = c->d[0] == 1 || c->d[0] == *m;
        if (!ok)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL, "Gemm: C %s does not broadcast to [%lld,%lld]",
                           gl_shape_str(c, as, sizeof as), (long long)*m, (long long)*n);
    }
    return GLINT_OK;
}

static glint_status gemm_infer(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                               int n_out, gl_err *err) {
    int64_t m, k, n;
    glint_status st = gemm_dims(params, in, n_in, &m, &k, &n, err);
    if (st != GLINT_OK) return st;
    out[0].dtype = GLINT_DTYPE_FLOAT32;
    out[0].shape = (gl_shape){.rank = 2, .d = {m, n}};
    return GLINT_OK;
}

static glint_status gemm_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                             int n_out, void *ws, gl_err *err) {
    const gemm_params *p = params;
    int64_t m, k, n;
    glint_status st = gemm_dims(p, in, n_in, &m, &k, &n, err);
    if (st != GLINT_OK) return st;
    const float *a = in[0].data, *b = in[1].data;
    float *y = out[0].data;
    /* element (i, kk) of A' and (kk, j) of B' */
    int64_t a_si = p->trans_a ? 1 : k, a_sk = p->trans_a ? m : 1;
    int64_t b_sk = p->trans_b ? 1 : n, b_sj = p->trans_b ? k : 1;
    for (int64_t i = 0; i < m; i++) {
        float *yr = y + i * n;
        for (int64_t j = 0; j < n; j++) yr[j] = 0.0f;
        if (!p->trans_b) {
            /* row-times-matrix: the inner loop runs along a row of B */
            for (int64_t kk = 0; kk < k; kk++) {
                float av = a[i * a_si + kk * a_sk];
                const float *br = b + kk * b_sk;
                for (int64_t j = 0; j < n; j++) yr[j] += av * br[j];
            }
        } else {
            for (int64_t j = 0; j < n; j++) {
                float acc = 0.0f;
                for (int64_t kk = 0; kk < k; kk++) acc += a[i * a_si + kk * a_sk] * b[j * b_sj + kk];
                yr[j] = acc;
            }
        }
    }
    const gl_tensor *c = gl_in_present(in, n_in, 2) ? &in[2] : NULL;
    const float *cd = c ? c->data : NULL;
    int64_t c_si = 0, c_sj = 0;
    if (c && c->shape.rank >= 1 && c->shape.d[c->shape.rank - 1] != 1) c_sj = 1;
    if (c && c->shape.rank == 2 && c->shape.d[0] != 1) c_si = c->shape.d[1];
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            float v = p->alpha * y[i * n + j];
            if (cd) v += p->beta * cd[i * c_si + j * c_sj];
            y[i * n + j] = v;
        }
    return GLINT_OK;
}

static int64_t gemm_flops(const void *params, const gl_tensor *in, int n_in, const gl_tensor *out,
                          int n_out) {
    int64_t m, k, n;
    if (gemm_dims(params, in, n_in, &m, &k, &n, NULL) != GLINT_OK) return 0;
    return 2 * m * n * k;
}

const gl_op gl_op_gemm = {
    .domain = "",
    .name = "Gemm",
    .min_inputs = 2, .max_inputs = 3,
    .min_outputs = 1, .max_outputs = 1,
    .parse = gemm_parse,
    .infer = gemm_infer,
    .run = gemm_run,
    .flops = gemm_flops,
};
