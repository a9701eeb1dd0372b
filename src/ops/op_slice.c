/* Slice: starts/ends/axes/steps inputs (opset 10+; before it, attributes),
 * negative indices and steps, clamping as the spec gives it. The result is a
 * strided view (offset + step × stride) copied out with gl_strided_copy. */
#include <string.h>

#include "ops/op_util.h"

typedef struct slice_params {
    bool attrs;             /* opset < 10: starts/ends/axes attributes */
    int n;                  /* attribute form: number of sliced axes */
    bool has_axes;
    int64_t starts[GL_MAX_RANK], ends[GL_MAX_RANK], axes[GL_MAX_RANK];
} slice_params;

static glint_status slice_parse(const gl_graph *g, const gl_node *n, void **params, gl_err *err) {
    slice_params *p;
    glint_status s = gl_params_alloc(g, n, sizeof *p, (void **)&p, err);
    if (s) return s;
    *params = p;
    p->attrs = g->opset < 10;
    if (!p->attrs) return GLINT_OK;
    const int64_t *st, *en, *ax;
    size_t ns, ne, na;
    s = gl_attr_ints(n, "starts", &st, &ns, err);
    if (!s) s = gl_attr_ints(n, "ends", &en, &ne, err);
    if (!s) s = gl_attr_ints(n, "axes", &ax, &na, err);
    if (s) return s;
    if (ns != ne || (ax && na != ns) || ns > GL_MAX_RANK)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                       "Slice '%s': starts, ends and axes have %zu, %zu and %zu entries", n->name,
                       ns, ne, na);
    p->n = (int)ns;
    p->has_axes = ax != NULL;
    for (size_t i = 0; i < ns; i++) {
        p->starts[i] = st[i];
        p->ends[i] = en[i];
        p->axes[i] = ax ? ax[i] : (int64_t)i;
    }
    return GLINT_OK;
}

/* Per output dimension: first index, step and count. */
typedef struct slice_view {
    int64_t start[GL_MAX_RANK], step[GL_MAX_RANK], count[GL_MAX_RANK];
} slice_view;

static glint_status slice_resolve(const slice_params *p, const gl_tensor *in, int n_in,
                                  slice_view *v, gl_err *err) {
    const gl_shape *x = &in[0].shape;
    int64_t starts[GL_MAX_RANK], ends[GL_MAX_RANK], axes[GL_MAX_RANK], steps[GL_MAX_RANK];
    int n = 0, m;
    glint_status s = GLINT_OK;
    if (p->attrs) {
        n = p->n;
        memcpy(starts, p->starts, sizeof starts);
        memcpy(ends, p->ends, sizeof ends);
        memcpy(axes, p->axes, sizeof axes);
    } else {
        s = gl_read_ints("Slice", "the starts input", &in[1], starts, GL_MAX_RANK, &n, err);
        if (!s) s = gl_read_ints("Slice", "the ends input", &in[2], ends, GL_MAX_RANK, &m, err);
        if (!s && m != n)
            s = gl_fail(err, GLINT_ERR_INVALID_MODEL, "Slice: %d starts but %d ends", n, m);
        if (s) return s;
        for (int i = 0; i < n; i++) axes[i] = i;
        if (gl_in_present(in, n_in, 3)) {
            s = gl_read_ints("Slice", "the axes input", &in[3], axes, GL_MAX_RANK, &m, err);
            if (!s && m != n)
                s = gl_fail(err, GLINT_ERR_INVALID_MODEL, "Slice: %d starts but %d axes", n, m);
            if (s) return s;
        }
    }
    for (int i = 0; i < n; i++) steps[i] = 1;
    if (!p->attrs && gl_in_present(in, n_in, 4)) {
        s = gl_read_ints("Slice", "the steps input", &in[4], steps, GL_MAX_RANK, &m, err);
        if (!s && m != n)
            s = gl_fail(err, GLINT_ERR_INVALID_MODEL, "Slice: %d starts but %d steps", n, m);
        if (s) return s;
    }
    uint32_t mask;
    s = gl_axes_mask("Slice", axes, n, x->rank, &mask, err);
    if (s) return s;
    for (int a = 0; a < x->rank; a++) {
        v->start[a] = 0;
        v->step[a] = 1;
        v->count[a] = x->d[a];
    }
    for (int i = 0; i < n; i++) {
        int a = (int)(axes[i] < 0 ? axes[i] + x->rank : axes[i]);
        int64_t d = x->d[a], b = starts[i], e = ends[i], t = steps[i];
        if (t == 0) return gl_fail(err, GLINT_ERR_INVALID_MODEL, "Slice: step %d is 0", i);
        if (b < 0) b += d;
        if (e < 0) e += d;
        int64_t count;
        if (t > 0) {
            b = b < 0 ? 0 : b > d ? d : b;
            e = e < 0 ? 0 : e > d ? d : e;
            count = e > b ? (e - b - 1) / t + 1 : 0;
        } else {
            b = b < 0 ? 0 : b > d - 1 ? d - 1 : b;
            e = e < -1 ? -1 : e > d - 1 ? d - 1 : e;
            /* -t may overflow only for INT64_MIN, which any count of 1 covers */
            int64_t nt = t == INT64_MIN ? INT64_MAX : -t;
            count = b > e ? (b - e - 1) / nt + 1 : 0;
        }
        v->start[a] = count ? b : 0;
        v->step[a] = count > 1 ? t : 1; /* a huge step is never multiplied out */
        v->count[a] = count;
    }
    return GLINT_OK;
}

static glint_status slice_infer(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                                int n_out, gl_err *err) {
    const slice_params *p = params;
    if (!p->attrs && n_in < 3)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "Slice: starts and ends inputs are required");
    slice_view v;
    glint_status s = slice_resolve(p, in, n_in, &v, err);
    if (s) return s;
    out[0].dtype = in[0].dtype;
    out[0].shape.rank = in[0].shape.rank;
    memcpy(out[0].shape.d, v.count, sizeof(int64_t) * (size_t)in[0].shape.rank);
    return GLINT_OK;
}

static glint_status slice_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                              int n_out, void *ws, gl_err *err) {
    slice_view v;
    glint_status s = slice_resolve(params, in, n_in, &v, err);
    if (s) return s;
    const gl_shape *x = &in[0].shape;
    if (gl_numel(&out[0]) == 0) return GLINT_OK;
    int64_t st[GL_MAX_RANK], vs[GL_MAX_RANK], off = 0;
    gl_shape_strides(x, st);
    for (int a = 0; a < x->rank; a++) {
        off += v.start[a] * st[a];
        vs[a] = v.step[a] * st[a];
    }
    size_t e = glint_dtype_size(in[0].dtype);
    gl_strided_copy(e, x->rank, out[0].shape.d, vs, (const char *)in[0].data + off * (int64_t)e,
                    out[0].data);
    return GLINT_OK;
}

const gl_op gl_op_slice = {
    .domain = "", .name = "Slice", .min_inputs = 1, .max_inputs = 5, .min_outputs = 1,
    .max_outputs = 1, .parse = slice_parse, .infer = slice_infer, .run = slice_run,
};
