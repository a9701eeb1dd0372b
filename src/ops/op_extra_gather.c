/* GatherElements and GatherND: index-driven reads. Both only move elements,
 * so every dtype is accepted; indices are int32 or int64 and may be
 * negative (counted from the end). Every index is checked before anything is
 * written, so a bad one is an error and never a read out of bounds. */
#include <string.h>

#include "ops/op_extra_index.h"

/* -------------------------------------------------------- GatherElements */
typedef struct axis_param {
    int64_t axis;
} axis_param;

static glint_status axis_parse(const gl_graph *g, const gl_node *n, void **params, gl_err *err) {
    axis_param *p;
    glint_status s = gl_params_alloc(g, n, sizeof *p, (void **)&p, err);
    if (s) return s;
    *params = p;
    return gl_attr_int(n, "axis", 0, &p->axis, err);
}

static glint_status ge_infer(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                             int n_out, gl_err *err) {
    const axis_param *p = params;
    const gl_shape *x = &in[0].shape, *ix = &in[1].shape;
    int axis;
    glint_status s = gl_check_dtype("GatherElements", "input 0", in[0].dtype, GL_DT_ANY, err);
    if (!s) s = gl_check_dtype("GatherElements", "the indices", in[1].dtype, GL_DT_INTS, err);
    if (!s) s = gl_axis_norm("GatherElements", p->axis, x->rank, &axis, err);
    if (!s) s = gl_idx_same_rank_within("GatherElements", x, ix, axis, err);
    if (s) return s;
    out[0].dtype = in[0].dtype;
    out[0].shape = *ix;
    return GLINT_OK;
}

static glint_status ge_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                           int n_out, void *ws, gl_err *err) {
    const axis_param *p = params;
    const gl_shape *x = &in[0].shape, *ix = &in[1].shape;
    int axis = (int)(p->axis < 0 ? p->axis + x->rank : p->axis);
    size_t n = gl_numel(&in[1]), elem = glint_dtype_size(in[0].dtype);
    glint_status s = gl_idx_check_all("GatherElements", &in[1], x->d[axis], err);
    if (s) return s;
    int64_t xst[GL_MAX_RANK], ist[GL_MAX_RANK];
    gl_shape_strides(x, xst);
    gl_shape_strides(ix, ist);
    const char *src = in[0].data;
    char *dst = out[0].data;
    for (size_t i = 0; i < n; i++) {
        /* the element's own coordinates, with the axis one replaced by the index */
        int64_t rem = (int64_t)i, off = 0;
        for (int d = 0; d < ix->rank; d++) {
            int64_t c = ist[d] ? rem / ist[d] : 0;
            rem -= c * ist[d];
            if (d == axis) c = gl_idx_wrap(gl_idx_at(&in[1], i), x->d[axis]);
            off += c * xst[d];
        }
        memcpy(dst + i * elem, src + (size_t)off * elem, elem);
    }
    return GLINT_OK;
}

const gl_op gl_op_gather_elements = {
    .domain = "", .name = "GatherElements", .min_inputs = 2, .max_inputs = 2, .min_outputs = 1,
    .max_outputs = 1, .parse = axis_parse, .infer = ge_infer, .run = ge_run,
};

/* -------------------------------------------------------------- GatherND
 * data rank r, indices rank q with last dim m (1 <= m <= r - b), batch_dims
 * b: out shape = indices.shape[:-1] ++ data.shape[b+m:]. Each index tuple
 * picks a slice of data.shape[b+m:] inside its batch. */
typedef struct gnd_params {
    int64_t batch_dims;
} gnd_params;

static glint_status gnd_parse(const gl_graph *g, const gl_node *n, void **params, gl_err *err) {
    gnd_params *p;
    glint_status s = gl_params_alloc(g, n, sizeof *p, (void **)&p, err);
    if (s) return s;
    *params = p;
    s = gl_attr_int(n, "batch_dims", 0, &p->batch_dims, err);
    if (!s && p->batch_dims < 0)
        s = gl_fail(err, GLINT_ERR_INVALID_MODEL, "GatherND '%s': batch_dims %lld is negative",
                    n->name, (long long)p->batch_dims);
    return s;
}

static glint_status gnd_infer(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                              int n_out, gl_err *err) {
    const gnd_params *p = params;
    const gl_shape *x = &in[0].shape, *ix = &in[1].shape;
    glint_status s = gl_check_dtype("GatherND", "input 0", in[0].dtype, GL_DT_ANY, err);
    if (!s) s = gl_check_dtype("GatherND", "the indices", in[1].dtype, GL_DT_INTS, err);
    if (!s) s = gl_idx_nd_geometry("GatherND", x, ix, p->batch_dims, err);
    if (s) return s;
    int b = (int)p->batch_dims, m = (int)ix->d[ix->rank - 1];
    gl_shape o = {.rank = 0};
    for (int i = 0; i < ix->rank - 1; i++) o.d[o.rank++] = ix->d[i];
    for (int i = b + m; i < x->rank; i++) {
        if (o.rank >= GL_MAX_RANK)
            return gl_fail(err, GLINT_ERR_UNSUPPORTED, "GatherND: output rank above %d",
                           GL_MAX_RANK);
        o.d[o.rank++] = x->d[i];
    }
    out[0].dtype = in[0].dtype;
    out[0].shape = o;
    return GLINT_OK;
}

static glint_status gnd_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                            int n_out, void *ws, gl_err *err) {
    const gnd_params *p = params;
    const gl_shape *x = &in[0].shape, *ix = &in[1].shape;
    gl_nd_geom ge;
    glint_status s = gl_idx_nd_resolve("GatherND", x, &in[1], (int)p->batch_dims, &ge, err);
    if (s) return s;
    size_t elem = glint_dtype_size(in[0].dtype), slice = (size_t)ge.slice * elem;
    const char *src = in[0].data;
    char *dst = out[0].data;
    int64_t m = ix->d[ix->rank - 1];
    for (int64_t t = 0; t < ge.tuples; t++) {
        int64_t batch = t / ge.per_batch, off;
        gl_idx_nd_offset(&ge, &in[1], t * m, batch, &off);
        if (slice) memcpy(dst + (size_t)t * slice, src + (size_t)off * elem, slice);
    }
    return GLINT_OK;
}

const gl_op gl_op_gather_nd = {
    .domain = "", .name = "GatherND", .min_inputs = 2, .max_inputs = 2, .min_outputs = 1,
    .max_outputs = 1, .parse = gnd_parse, .infer = gnd_infer, .run = gnd_run,
};
