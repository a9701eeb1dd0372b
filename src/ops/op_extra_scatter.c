/* ScatterElements and ScatterND: output = a copy of data, then updates
 * written (or combined by `reduction`) at the indexed places, in index order,
 * so duplicate indices with a reduction accumulate and without one the last
 * write wins. Every index is checked before anything is written. */
#include <string.h>

#include "ops/op_extra_index.h"

typedef struct scatter_params {
    int64_t axis;            /* ScatterElements */
    gl_scatter_red red;
    const char *name;
} scatter_params;

static glint_status scatter_parse(const gl_graph *g, const gl_node *n, void **params,
                                  gl_err *err) {
    scatter_params *p;
    glint_status s = gl_params_alloc(g, n, sizeof *p, (void **)&p, err);
    if (s) return s;
    *params = p;
    bool elements = strcmp(n->op_type, "ScatterElements") == 0;
    p->name = elements ? "ScatterElements" : "ScatterND";
    if (elements) s = gl_attr_int(n, "axis", 0, &p->axis, err);
    if (!s) s = gl_scatter_parse_reduction(g, n, &p->red, err);
    return s;
}

/* data and updates share a dtype the reduction is defined on */
static glint_status scatter_check_types(const scatter_params *p, const gl_tensor *in,
                                        gl_err *err) {
    glint_status s = gl_check_dtype(p->name, "input 0", in[0].dtype, gl_scatter_dtypes(p->red),
                                    err);
    if (!s) s = gl_check_dtype(p->name, "the indices", in[1].dtype, GL_DT_INTS, err);
    if (!s) s = gl_check_same_dtype(p->name, in, 0, 2, err);
    return s;
}

static void copy_data(const gl_tensor *in, gl_tensor *out) {
    size_t bytes = gl_numel(&in[0]) * glint_dtype_size(in[0].dtype);
    if (bytes && out[0].data != in[0].data) memmove(out[0].data, in[0].data, bytes);
}

/* ------------------------------------------------------- ScatterElements */
static glint_status se_infer(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                             int n_out, gl_err *err) {
    const scatter_params *p = params;
    int axis;
    glint_status s = scatter_check_types(p, in, err);
    if (!s) s = gl_axis_norm(p->name, p->axis, in[0].shape.rank, &axis, err);
    if (!s) s = gl_idx_same_rank_within(p->name, &in[0].shape, &in[1].shape, axis, err);
    if (s) return s;
    if (!gl_shape_equal(&in[1].shape, &in[2].shape)) {
        char a[96], b[96];
        return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                       "ScatterElements: updates shape %s differs from indices shape %s",
                       gl_shape_str(&in[2].shape, a, sizeof a),
                       gl_shape_str(&in[1].shape, b, sizeof b));
    }
    out[0].dtype = in[0].dtype;
    out[0].shape = in[0].shape;
    return GLINT_OK;
}

static glint_status se_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                           int n_out, void *ws, gl_err *err) {
    const scatter_params *p = params;
    const gl_shape *x = &in[0].shape, *ix = &in[1].shape;
    int axis = (int)(p->axis < 0 ? p->axis + x->rank : p->axis);
    glint_status s = gl_idx_check_all(p->name, &in[1], x->d[axis], err);
    if (s) return s;
    copy_data(in, out);
    int64_t xst[GL_MAX_RANK], ist[GL_MAX_RANK];
    gl_shape_strides(x, xst);
    gl_shape_strides(ix, ist);
    size_t n = gl_numel(&in[1]);
    for (size_t i = 0; i < n; i++) {
        int64_t rem = (int64_t)i, off = 0;
        for (int d = 0; d < ix->rank; d++) {
            int64_t c = ist[d] ? rem / ist[d] : 0;
            rem -= c * ist[d];
            if (d == axis) c = gl_idx_wrap(gl_idx_at(&in[1], i), x->d[axis]);
            off += c * xst[d];
        }
        gl_scatter_apply(p->red, in[0].dtype, out[0].data, (size_t)off, in[2].data, i, 1);
    }
    return GLINT_OK;
}

const gl_op gl_op_scatter_elements = {
    .domain = "", .name = "ScatterElements", .min_inputs = 3, .max_inputs = 3,
    .min_outputs = 1, .max_outputs = 1, .parse = scatter_parse, .infer = se_infer,
    .run = se_run,
};

/* ------------------------------------------------------------- ScatterND
 * indices [..., m]; updates shape = indices.shape[:-1] ++ data.shape[m:]. */
static glint_status snd_infer(const void *params, const gl_tensor *in, int n_in,
                              gl_tensor *out, int n_out, gl_err *err) {
    const scatter_params *p = params;
    const gl_shape *x = &in[0].shape, *ix = &in[1].shape, *u = &in[2].shape;
    glint_status s = scatter_check_types(p, in, err);
    if (!s) s = gl_idx_nd_geometry(p->name, x, ix, 0, err);
    if (s) return s;
    int m = (int)ix->d[ix->rank - 1];
    gl_shape want = {.rank = 0};
    bool ok = ix->rank - 1 + x->rank - m <= GL_MAX_RANK;
    for (int i = 0; ok && i < ix->rank - 1; i++) want.d[want.rank++] = ix->d[i];
    for (int i = m; ok && i < x->rank; i++) want.d[want.rank++] = x->d[i];
    if (!ok || !gl_shape_equal(u, &want)) {
        char a[96], b[96], c[96];
        return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                       "ScatterND: updates shape %s does not match indices %s and data %s",
                       gl_shape_str(u, a, sizeof a), gl_shape_str(ix, b, sizeof b),
                       gl_shape_str(x, c, sizeof c));
    }
    out[0].dtype = in[0].dtype;
    out[0].shape = *x;
    return GLINT_OK;
}

static glint_status snd_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                            int n_out, void *ws, gl_err *err) {
    const scatter_params *p = params;
    gl_nd_geom ge;
    glint_status s = gl_idx_nd_resolve(p->name, &in[0].shape, &in[1], 0, &ge, err);
    if (s) return s;
    copy_data(in, out);
    for (int64_t t = 0; t < ge.tuples; t++) {
        int64_t off;
        gl_idx_nd_offset(&ge, &in[1], t * ge.m, 0, &off);
        gl_scatter_apply(p->red, in[0].dtype, out[0].data, (size_t)off, in[2].data,
                         (size_t)(t * ge.slice), (size_t)ge.slice);
    }
    return GLINT_OK;
}

const gl_op gl_op_scatter_nd = {
    .domain = "", .name = "ScatterND", .min_inputs = 3, .max_inputs = 3, .min_outputs = 1,
    .max_outputs = 1, .parse = scatter_parse, .infer = snd_infer, .run = snd_run,
};
