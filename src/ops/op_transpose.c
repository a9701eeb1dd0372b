/* Data movement that is a strided view of the input: Transpose (permuted
 * strides), Expand (zero strides where broadcast) and Tile (each dimension
 * split into repeat × size with the repeat stride 0). All dtypes; the kernel
 * is gl_strided_copy. */
#include <string.h>

#include "ops/op_util.h"

/* ---------------------------------------------------------------- Transpose */
typedef struct transpose_params {
    int n_perm;                 /* 0: reverse the dimensions */
    int perm[GL_MAX_RANK];
} transpose_params;

static glint_status transpose_parse(const gl_graph *g, const gl_node *n, void **params,
                                    gl_err *err) {
    transpose_params *p;
    glint_status s = gl_params_alloc(g, n, sizeof *p, (void **)&p, err);
    if (s) return s;
    *params = p;
    const int64_t *perm;
    size_t count;
    s = gl_attr_ints(n, "perm", &perm, &count, err);
    if (s) return s;
    if (count > GL_MAX_RANK)
        return gl_fail(err, GLINT_ERR_UNSUPPORTED, "Transpose '%s': rank %zu (at most %d)",
                       n->name, count, GL_MAX_RANK);
    uint32_t seen = 0;
    for (size_t i = 0; i < count; i++) {
        if (perm[i] < 0 || perm[i] >= (int64_t)count || (seen & (1u << perm[i])))
            return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                           "Transpose '%s': perm is not a permutation (entry %zu is %lld)",
                           n->name, i, (long long)perm[i]);
        seen |= 1u << perm[i];
        p->perm[i] = (int)perm[i];
    }
    p->n_perm = (int)count;
    return GLINT_OK;
}

static void transpose_perm(const transpose_params *p, int rank, int *perm) {
    for (int i = 0; i < rank; i++) perm[i] = p->n_perm ? p->perm[i] : rank - 1 - i;
}

static glint_status transpose_infer(const void *params, const gl_tensor *in, int n_in,
                                    gl_tensor *out, int n_out, gl_err *err) {
    const transpose_params *p = params;
    int r = in[0].shape.rank, perm[GL_MAX_RANK];
    if (p->n_perm && p->n_perm != r)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "Transpose: perm has %d entries for rank %d",
                       p->n_perm, r);
    transpose_perm(p, r, perm);
    out[0].dtype = in[0].dtype;
    out[0].shape.rank = r;
    for (int i = 0; i < r; i++) out[0].shape.d[i] = in[0].shape.d[perm[i]];
    return GLINT_OK;
}

static glint_status transpose_run(const void *params, const gl_tensor *in, int n_in,
                                  gl_tensor *out, int n_out, void *ws, gl_err *err) {
    int r = in[0].shape.rank, perm[GL_MAX_RANK];
    int64_t st[GL_MAX_RANK], vs[GL_MAX_RANK];
    transpose_perm(params, r, perm);
    gl_shape_strides(&in[0].shape, st);
    for (int i = 0; i < r; i++) vs[i] = st[perm[i]];
    gl_strided_copy(glint_dtype_size(in[0].dtype), r, out[0].shape.d, vs, in[0].data,
                    out[0].data);
    return GLINT_OK;
}

const gl_op gl_op_transpose = {
    .domain = "", .name = "Transpose", .min_inputs = 1, .max_inputs = 1, .min_outputs = 1,
    .max_outputs = 1, .parse = transpose_parse, .infer = transpose_infer, .run = transpose_run,
};

/* Element strides of `in` viewed at rank `rank` with broadcasting: 0 where
 * the input dimension is 1 (or missing). */
static void broadcast_strides(const gl_shape *in, int rank, int64_t *vs) {
    int64_t st[GL_MAX_RANK];
    gl_shape_strides(in, st);
    int shift = rank - in->rank;
    for (int i = 0; i < rank; i++)
        vs[i] = (i < shift || in->d[i - shift] == 1) ? 0 : st[i - shift];
}

/* ---------------------------------------------------------------- Expand */
static glint_status expand_infer(const void *params, const gl_tensor *in, int n_in,
                                 gl_tensor *out, int n_out, gl_err *err) {
    int64_t dims[GL_MAX_RANK];
    int n;
    glint_status s = gl_read_ints("Expand", "the shape input", &in[1], dims, GL_MAX_RANK, &n, err);
    if (s) return s;
    gl_shape target = {.rank = n};
    for (int i = 0; i < n; i++) {
        if (dims[i] < 0)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL, "Expand: shape[%d] is %lld", i,
                           (long long)dims[i]);
        target.d[i] = dims[i];
    }
    /* bidirectional: a 1 in the shape keeps the input's size */
    if (!gl_shape_broadcast(&in[0].shape, &target, &out[0].shape)) {
        char a[96], b[96];
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "Expand: input %s does not broadcast to %s",
                       gl_shape_str(&in[0].shape, a, sizeof a), gl_shape_str(&target, b, sizeof b));
    }
    out[0].dtype = in[0].dtype;
    return GLINT_OK;
}

static glint_status expand_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                               int n_out, void *ws, gl_err *err) {
    int64_t vs[GL_MAX_RANK];
    broadcast_strides(&in[0].shape, out[0].shape.rank, vs);
    gl_strided_copy(glint_dtype_size(in[0].dtype), out[0].shape.rank, out[0].shape.d, vs,
                    in[0].data, out[0].data);
    return GLINT_OK;
}

const gl_op gl_op_expand = {
    .domain = "", .name = "Expand", .min_inputs = 2, .max_inputs = 2, .min_outputs = 1,
    .max_outputs = 1, .infer = expand_infer, .run = expand_run,
};

/* ---------------------------------------------------------------- Tile */
static glint_status tile_infer(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                               int n_out, gl_err *err) {
    int64_t reps[GL_MAX_RANK];
    int n;
    glint_status s = gl_read_ints("Tile", "the repeats input", &in[1], reps, GL_MAX_RANK, &n, err);
    if (s) return s;
    if (n != in[0].shape.rank)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "Tile: %d repeats for rank %d", n,
                       in[0].shape.rank);
    out[0].dtype = in[0].dtype;
    out[0].shape.rank = n;
    for (int i = 0; i < n; i++) {
        if (reps[i] < 0 || !gl_mul_i64(in[0].shape.d[i], reps[i], &out[0].shape.d[i]))
            return gl_fail(err, GLINT_ERR_INVALID_MODEL, "Tile: repeats[%d] is %lld", i,
                           (long long)reps[i]);
    }
    return GLINT_OK;
}

static glint_status tile_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                             int n_out, void *ws, gl_err *err) {
    const gl_shape *x = &in[0].shape;
    int64_t st[GL_MAX_RANK], dims[GL_COPY_MAX_RANK], vs[GL_COPY_MAX_RANK];
    gl_shape_strides(x, st);
    for (int i = 0; i < x->rank; i++) {
        dims[2 * i] = x->d[i] ? out[0].shape.d[i] / x->d[i] : 0;
        vs[2 * i] = 0;
        dims[2 * i + 1] = x->d[i];
        vs[2 * i + 1] = st[i];
    }
    gl_strided_copy(glint_dtype_size(in[0].dtype), 2 * x->rank, dims, vs, in[0].data,
                    out[0].data);
    return GLINT_OK;
}

const gl_op gl_op_tile = {
    .domain = "", .name = "Tile", .min_inputs = 2, .max_inputs = 2, .min_outputs = 1,
    .max_outputs = 1, .infer = tile_infer, .run = tile_run,
};
