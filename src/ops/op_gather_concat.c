/* Gather, Concat and Split: each is "outer × (pieces along one axis) ×
 * inner block" copying, with inner blocks moved by memcpy. All dtypes. */
#include <string.h>

#include "ops/op_util.h"

typedef struct axis_params {
    int64_t axis;
    bool split_attr;          /* Split, opset < 13: sizes from the attribute */
    int n_split;              /* sizes given (attribute form) */
    int64_t num_outputs;      /* Split, opset 18; 0 when absent */
    int64_t *split;           /* attribute form, owned by the graph's node */
} axis_params;

static glint_status axis_parse(const gl_graph *g, const gl_node *n, void **params, gl_err *err) {
    axis_params *p;
    glint_status s = gl_params_alloc(g, n, sizeof *p, (void **)&p, err);
    if (s) return s;
    *params = p;
    bool concat = strcmp(n->op_type, "Concat") == 0;
    const gl_attr *a = gl_node_attr(n, "axis");
    if (concat && !a)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "Concat '%s': the axis attribute is missing",
                       n->name);
    s = gl_attr_int(n, "axis", 0, &p->axis, err);
    if (s || strcmp(n->op_type, "Split") != 0) return s;
    s = gl_attr_int(n, "num_outputs", 0, &p->num_outputs, err);
    if (s) return s;
    if (p->num_outputs && p->num_outputs != n->n_outputs)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                       "Split '%s': num_outputs is %lld but the node has %d outputs", n->name,
                       (long long)p->num_outputs, n->n_outputs);
    p->split_attr = g->opset < 13;
    if (!p->split_attr) return GLINT_OK;
    const int64_t *sp;
    size_t count;
    s = gl_attr_ints(n, "split", &sp, &count, err);
    if (s) return s;
    if (sp && (int)count != n->n_outputs)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                       "Split '%s': %zu split sizes for %d outputs", n->name, count, n->n_outputs);
    p->n_split = sp ? (int)count : 0;
    p->split = (int64_t *)sp;
    return GLINT_OK;
}

static int64_t prod(const gl_shape *s, int from, int to) {
    int64_t p = 1;
    for (int i = from; i < to; i++) p *= s->d[i];
    return p;
}

/* ---------------------------------------------------------------- Gather */
static glint_status gather_infer(const void *params, const gl_tensor *in, int n_in,
                                 gl_tensor *out, int n_out, gl_err *err) {
    const axis_params *p = params;
    const gl_shape *x = &in[0].shape, *ix = &in[1].shape;
    int axis;
    glint_status s = gl_axis_norm("Gather", p->axis, x->rank, &axis, err);
    if (!s) s = gl_check_dtype("Gather", "the indices", in[1].dtype, GL_DT_INTS, err);
    if (s) return s;
    int r = x->rank - 1 + ix->rank;
    if (r > GL_MAX_RANK)
        return gl_fail(err, GLINT_ERR_UNSUPPORTED, "Gather: output rank %d (at most %d)", r,
                       GL_MAX_RANK);
    gl_shape o = {.rank = 0};
    for (int i = 0; i < axis; i++) o.d[o.rank++] = x->d[i];
    for (int i = 0; i < ix->rank; i++) o.d[o.rank++] = ix->d[i];
    for (int i = axis + 1; i < x->rank; i++) o.d[o.rank++] = x->d[i];
    out[0].dtype = in[0].dtype;
    out[0].shape = o;
    return GLINT_OK;
}

static glint_status gather_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                               int n_out, void *ws, gl_err *err) {
    const axis_params *p = params;
    const gl_shape *x = &in[0].shape;
    int axis = (int)(p->axis < 0 ? p->axis + x->rank : p->axis);
    int64_t d = x->d[axis], outer = prod(x, 0, axis);
    size_t n_idx = gl_numel(&in[1]);
    size_t block = (size_t)prod(x, axis + 1, x->rank) * glint_dtype_size(in[0].dtype);
    /* check every index first: a bad one fails before anything is written */
    for (size_t j = 0; j < n_idx; j++) {
        int64_t k = in[1].dtype == GLINT_DTYPE_INT64 ? ((const int64_t *)in[1].data)[j]
                                                     : ((const int32_t *)in[1].data)[j];
        if (k < -d || k >= d)
            return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT,
                           "Gather: index %lld (at position %zu) is out of range for axis %d of "
                           "size %lld", (long long)k, j, axis, (long long)d);
    }
    const char *src = in[0].data;
    char *dst = out[0].data;
    for (int64_t o = 0; o < outer; o++)
        for (size_t j = 0; j < n_idx; j++) {
            int64_t k = in[1].dtype == GLINT_DTYPE_INT64 ? ((const int64_t *)in[1].data)[j]
                                                         : ((const int32_t *)in[1].data)[j];
            if (k < 0) k += d;
            memcpy(dst, src + (size_t)(o * d + k) * block, block);
            dst += block;
        }
    return GLINT_OK;
}

const gl_op gl_op_gather = {
    .domain = "", .name = "Gather", .min_inputs = 2, .max_inputs = 2, .min_outputs = 1,
    .max_outputs = 1, .parse = axis_parse, .infer = gather_infer, .run = gather_run,
};

/* ---------------------------------------------------------------- Concat */
static glint_status concat_infer(const void *params, const gl_tensor *in, int n_in,
                                 gl_tensor *out, int n_out, gl_err *err) {
    const axis_params *p = params;
    const gl_shape *x = &in[0].shape;
    int axis;
    glint_status s = gl_axis_norm("Concat", p->axis, x->rank, &axis, err);
    if (s) return s;
    gl_shape o = *x;
    for (int i = 1; i < n_in; i++) {
        const gl_shape *y = &in[i].shape;
        s = gl_check_same_dtype("Concat", in, 0, i, err);
        if (s) return s;
        bool ok = y->rank == x->rank;
        for (int k = 0; ok && k < x->rank; k++)
            if (k != axis && y->d[k] != x->d[k]) ok = false;
        if (!ok) {
            char a[96], b[96];
            return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                           "Concat: input %d shape %s does not match input 0 shape %s on axis %d",
                           i, gl_shape_str(y, b, sizeof b), gl_shape_str(x, a, sizeof a), axis);
        }
        o.d[axis] += y->d[axis];
    }
    out[0].dtype = in[0].dtype;
    out[0].shape = o;
    return GLINT_OK;
}

static glint_status concat_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                               int n_out, void *ws, gl_err *err) {
    const axis_params *p = params;
    const gl_shape *o = &out[0].shape;
    int axis = (int)(p->axis < 0 ? p->axis + o->rank : p->axis);
    int64_t outer = prod(o, 0, axis);
    size_t inner = (size_t)prod(o, axis + 1, o->rank) * glint_dtype_size(out[0].dtype);
    char *dst = out[0].data;
    for (int64_t k = 0; k < outer; k++)
        for (int i = 0; i < n_in; i++) {
            size_t block = (size_t)in[i].shape.d[axis] * inner;
            if (block) memcpy(dst, (const char *)in[i].data + (size_t)k * block, block);
            dst += block;
        }
    return GLINT_OK;
}

const gl_op gl_op_concat = {
    .domain = "", .name = "Concat", .min_inputs = 1, .max_inputs = 2147483647, .min_outputs = 1,
    .max_outputs = 1, .parse = axis_parse, .infer = concat_infer, .run = concat_run,
};

/* ---------------------------------------------------------------- Split */
static glint_status split_sizes(const axis_params *p, const gl_tensor *in, int n_in, int n_out,
                                int axis, int64_t *sizes, gl_err *err) {
    int64_t d = in[0].shape.d[axis];
    int n = 0;
    if (p->split_attr && p->n_split) {
        memcpy(sizes, p->split, (size_t)n_out * sizeof *sizes);
        n = n_out;
    } else if (!p->split_attr && gl_in_present(in, n_in, 1)) {
        if (!in[1].data)
            return gl_fail_needs_value(err, &in[1],
                                       "Split: the split input must be known when planning");
        if (gl_shape_numel(&in[1].shape) != n_out)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL, "Split: %lld split sizes for %d outputs",
                           (long long)gl_shape_numel(&in[1].shape), n_out);
        for (int i = 0; i < n_out; i++) sizes[i] = (int64_t)gl_load_f64(in[1].dtype, in[1].data, (size_t)i);
        n = n_out;
    }
    if (n) {
        int64_t sum = 0;
        for (int i = 0; i < n; i++) {
            if (sizes[i] < 0)
                return gl_fail(err, GLINT_ERR_INVALID_MODEL, "Split: size %d is %lld", i,
                               (long long)sizes[i]);
            sum += sizes[i];
        }
        if (sum != d)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                           "Split: sizes add up to %lld, axis %d has %lld", (long long)sum, axis,
                           (long long)d);
        return GLINT_OK;
    }
    /* equal parts; from opset 18 (num_outputs) the last may be smaller */
    int64_t part = (d + n_out - 1) / n_out;
    if (!p->num_outputs && d % n_out != 0)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                       "Split: axis %d of size %lld does not split into %d equal parts", axis,
                       (long long)d, n_out);
    for (int i = 0; i < n_out; i++) {
        int64_t left = d - part * i;
        sizes[i] = left < 0 ? 0 : left < part ? left : part;
    }
    return GLINT_OK;
}

static glint_status split_infer(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                                int n_out, gl_err *err) {
    const axis_params *p = params;
    int axis;
    glint_status s = gl_axis_norm("Split", p->axis, in[0].shape.rank, &axis, err);
    if (s) return s;
    /* Split has at most as many outputs as the model names; bound by size */
    int64_t sizes[256];
    if (n_out > (int)GL_ARRAY_LEN(sizes))
        return gl_fail(err, GLINT_ERR_UNSUPPORTED, "Split: %d outputs (at most %d)", n_out,
                       (int)GL_ARRAY_LEN(sizes));
    s = split_sizes(p, in, n_in, n_out, axis, sizes, err);
    if (s) return s;
    for (int i = 0; i < n_out; i++) {
        out[i].dtype = in[0].dtype;
        out[i].shape = in[0].shape;
        out[i].shape.d[axis] = sizes[i];
    }
    return GLINT_OK;
}

static glint_status split_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                              int n_out, void *ws, gl_err *err) {
    const axis_params *p = params;
    const gl_shape *x = &in[0].shape;
    int axis = (int)(p->axis < 0 ? p->axis + x->rank : p->axis);
    int64_t outer = prod(x, 0, axis);
    size_t inner = (size_t)prod(x, axis + 1, x->rank) * glint_dtype_size(in[0].dtype);
    const char *src = in[0].data;
    for (int64_t k = 0; k < outer; k++)
        for (int i = 0; i < n_out; i++) {
            size_t block = (size_t)out[i].shape.d[axis] * inner;
            /* an omitted optional output has no buffer */
            if (block && out[i].data) memcpy((char *)out[i].data + (size_t)k * block, src, block);
            src += block;
        }
    return GLINT_OK;
}

const gl_op gl_op_split = {
    .domain = "", .name = "Split", .min_inputs = 1, .max_inputs = 2, .min_outputs = 1,
    .max_outputs = 256, .parse = axis_parse, .infer = split_infer, .run = split_run,
};
