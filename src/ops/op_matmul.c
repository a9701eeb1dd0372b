/* MatMul (ONNX opsets 1-13): numpy matmul — N-D batched with the batch dims
 * broadcast, a 1-D first operand treated as a row [1,K] and a 1-D second
 * operand as a column [K,1], the added dim removed from the result. */
#include "ops/nn_common.h"

/* The operands as batched matrices: batch dims right-aligned to `rank`
 * entries of the output's batch shape, with 0 strides where broadcast. */
typedef struct mm_geom {
    int64_t m, k, n;
    int batch_rank;
    int64_t batch[GL_MAX_RANK];
    int64_t a_stride[GL_MAX_RANK], b_stride[GL_MAX_RANK]; /* in matrices */
    gl_shape out;
} mm_geom;

static glint_status mm_resolve(const gl_tensor *in, mm_geom *g, gl_err *err) {
    glint_status st;
    if ((st = gl_nn_need_f32("MatMul", "A", &in[0], err)) || (st = gl_nn_need_f32("MatMul", "B", &in[1], err)))
        return st;
    const gl_shape *a = &in[0].shape, *b = &in[1].shape;
    char as[96], bs[96];
    if (a->rank < 1 || b->rank < 1)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "MatMul: A %s and B %s must have rank >= 1",
                       gl_shape_str(a, as, sizeof as), gl_shape_str(b, bs, sizeof bs));
    int ab = a->rank >= 2 ? a->rank - 2 : 0, bb = b->rank >= 2 ? b->rank - 2 : 0;
    g->m = a->rank >= 2 ? a->d[a->rank - 2] : 1;
    g->k = a->d[a->rank - 1];
    int64_t kb = b->rank >= 2 ? b->d[b->rank - 2] : b->d[0];
    g->n = b->rank >= 2 ? b->d[b->rank - 1] : 1;
    if (kb != g->k)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "MatMul: A %s and B %s disagree on K",
                       gl_shape_str(a, as, sizeof as), gl_shape_str(b, bs, sizeof bs));
    g->batch_rank = GL_MAX(ab, bb);
    int64_t sa = 1, sb = 1;
    for (int i = g->batch_rank - 1; i >= 0; i--) {
        int ia = i - (g->batch_rank - ab), ib = i - (g->batch_rank - bb);
        int64_t da = ia >= 0 ? a->d[ia] : 1, db = ib >= 0 ? b->d[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                           "MatMul: batch dims of A %s and B %s do not broadcast",
                           gl_shape_str(a, as, sizeof as), gl_shape_str(b, bs, sizeof bs));
        g->batch[i] = da == 1 ? db : da;
        g->a_stride[i] = da == 1 ? 0 : sa;
        g->b_stride[i] = db == 1 ? 0 : sb;
        sa *= da;
        sb *= db;
    }
    int r = 0;
    for (int i = 0; i < g->batch_rank; i++) g->out.d[r++] = g->batch[i];
    if (a->rank >= 2) g->out.d[r++] = g->m;
    if (b->rank >= 2) g->out.d[r++] = g->n;
    g->out.rank = r;
    return GLINT_OK;
}

static glint_status mm_infer(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                             int n_out, gl_err *err) {
    mm_geom g;
    glint_status st = mm_resolve(in, &g, err);
    if (st != GLINT_OK) return st;
    out[0].dtype = GLINT_DTYPE_FLOAT32;
    out[0].shape = g.out;
    return GLINT_OK;
}

static glint_status mm_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                           int n_out, void *ws, gl_err *err) {
    mm_geom g;
    glint_status st = mm_resolve(in, &g, err);
    if (st != GLINT_OK) return st;
    int64_t nbatch = 1;
    for (int i = 0; i < g.batch_rank; i++) nbatch *= g.batch[i];
    int64_t mk = g.m * g.k, kn = g.k * g.n, mn = g.m * g.n;
    const float *a = in[0].data, *b = in[1].data;
    float *y = out[0].data;
    for (int64_t bi = 0; bi < nbatch; bi++) {
        /* matrix offsets of this batch element in A and B */
        int64_t oa = 0, ob = 0, rem = bi;
        for (int i = g.batch_rank - 1; i >= 0; i--) {
            int64_t coord = rem % g.batch[i];
            rem /= g.batch[i];
            oa += coord * g.a_stride[i];
            ob += coord * g.b_stride[i];
        }
        const float *am = a + oa * mk, *bm = b + ob * kn;
        float *ym = y + bi * mn;
        for (int64_t i = 0; i < g.m; i++) {
            float *yr = ym + i * g.n;
            for (int64_t j = 0; j < g.n; j++) yr[j] = 0.0f;
            for (int64_t kk = 0; kk < g.k; kk++) {
                float av = am[i * g.k + kk];
                const float *br = bm + kk * g.n;
                for (int64_t j = 0; j < g.n; j++) yr[j] += av * br[j];
            }
        }
    }
    return GLINT_OK;
}

static int64_t mm_flops(const void *params, const gl_tensor *in, int n_in, const gl_tensor *out,
                        int n_out) {
    mm_geom g;
    if (mm_resolve(in, &g, NULL) != GLINT_OK) return 0;
    int64_t f = 2 * g.m * g.k * g.n;
    for (int i = 0; i < g.batch_rank; i++) f *= g.batch[i];
    return f;
}

const gl_op gl_op_matmul = {
    .domain = "",
    .name = "MatMul",
    .min_inputs = 2, .max_inputs = 2,
    .min_outputs = 1, .max_outputs = 1,
    .infer = mm_infer,
    .run = mm_run,
    .flops = mm_flops,
};
