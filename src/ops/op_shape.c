/* Operators that make tensors from shapes or attributes: Shape, Size,
 * Constant, ConstantOfShape, Range. Their outputs are usually known when
 * planning, so the planner evaluates them once per bucket. */
#include <math.h>
#include <string.h>

#include "ops/op_util.h"

/* ---------------------------------------------------------------- Shape */
typedef struct shape_params {
    int64_t start, end;   /* end = INT64_MAX when absent */
} shape_params;

static glint_status shape_parse(const gl_graph *g, const gl_node *n, void **params, gl_err *err) {
    shape_params *p;
    glint_status s = gl_params_alloc(g, n, sizeof *p, (void **)&p, err);
    if (s) return s;
    *params = p;
    s = gl_attr_int(n, "start", 0, &p->start, err);
    if (!s) s = gl_attr_int(n, "end", INT64_MAX, &p->end, err);
    return s;
}

/* The spec's clamping: negative counts from the back, then clamp to [0, r]. */
static void shape_range(const shape_params *p, int rank, int64_t *b, int64_t *e) {
    int64_t s = p->start < 0 ? p->start + rank : p->start;
    int64_t t = p->end < 0 ? p->end + rank : p->end;
    s = s < 0 ? 0 : s > rank ? rank : s;
    t = t < 0 ? 0 : t > rank ? rank : t;
    *b = s;
    *e = t > s ? t : s;
}

static glint_status shape_infer(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                                int n_out, gl_err *err) {
    int64_t b, e;
    shape_range(params, in[0].shape.rank, &b, &e);
    out[0].dtype = GLINT_DTYPE_INT64;
    out[0].shape.rank = 1;
    out[0].shape.d[0] = e - b;
    return GLINT_OK;
}

static glint_status shape_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                              int n_out, void *ws, gl_err *err) {
    int64_t b, e;
    shape_range(params, in[0].shape.rank, &b, &e);
    int64_t *y = out[0].data;
    for (int64_t i = b; i < e; i++) y[i - b] = in[0].shape.d[i];
    return GLINT_OK;
}

const gl_op gl_op_shape = {
    .domain = "", .name = "Shape", .min_inputs = 1, .max_inputs = 1, .min_outputs = 1,
    .max_outputs = 1, .parse = shape_parse, .infer = shape_infer, .run = shape_run,
};

/* ---------------------------------------------------------------- Size */
static glint_status size_infer(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                               int n_out, gl_err *err) {
    out[0].dtype = GLINT_DTYPE_INT64;
    out[0].shape.rank = 0;
    return GLINT_OK;
}

static glint_status size_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                             int n_out, void *ws, gl_err *err) {
    *(int64_t *)out[0].data = gl_shape_numel(&in[0].shape);
    return GLINT_OK;
}

const gl_op gl_op_size = {
    .domain = "", .name = "Size", .min_inputs = 1, .max_inputs = 1, .min_outputs = 1,
    .max_outputs = 1, .infer = size_infer, .run = size_run,
};

/* ---------------------------------------------------------------- Constant
 * The value stays in the node's attribute (owned by the graph, which
 * outlives its params); scalar and list forms point at their attribute too. */
typedef struct const_params {
    gl_dtype dtype;
    gl_shape shape;
    const void *data;
    float f;              /* value_float */
    int64_t i;            /* value_int */
} const_params;

static glint_status constant_parse(const gl_graph *g, const gl_node *n, void **params,
                                   gl_err *err) {
    const_params *p;
    glint_status s = gl_params_alloc(g, n, sizeof *p, (void **)&p, err);
    if (s) return s;
    *params = p;
    int found = 0;
    for (int k = 0; k < n->n_attrs; k++) {
        const gl_attr *a = &n->attrs[k];
        if (strcmp(a->name, "value") == 0 && a->type == GL_ATTR_TENSOR && a->t) {
            p->dtype = a->t->dtype;
            p->shape = a->t->shape;
            p->data = a->t->data;
        } else if (strcmp(a->name, "value_float") == 0 && a->type == GL_ATTR_FLOAT) {
            p->dtype = GLINT_DTYPE_FLOAT32;
            p->shape.rank = 0;
            p->f = a->f;
            p->data = &p->f;
        } else if (strcmp(a->name, "value_int") == 0 && a->type == GL_ATTR_INT) {
            p->dtype = GLINT_DTYPE_INT64;
            p->shape.rank = 0;
            p->i = a->i;
            p->data = &p->i;
        } else if (strcmp(a->name, "value_floats") == 0 && a->type == GL_ATTR_FLOATS) {
            p->dtype = GLINT_DTYPE_FLOAT32;
            p->shape.rank = 1;
            p->shape.d[0] = (int64_t)a->count;
            p->data = a->floats;
        } else if (strcmp(a->name, "value_ints") == 0 && a->type == GL_ATTR_INTS) {
            p->dtype = GLINT_DTYPE_INT64;
            p->shape.rank = 1;
            p->shape.d[0] = (int64_t)a->count;
            p->data = a->ints;
        } else {
            return gl_fail(err, GLINT_ERR_UNSUPPORTED,
                           "Constant '%s': attribute '%s' is not supported", n->name, a->name);
        }
        found++;
    }
    if (found != 1)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                       "Constant '%s': exactly one value attribute is required (found %d)",
                       n->name, found);
    size_t bytes;
    if (!gl_dt_in(p->dtype, GL_DT_ANY) || !gl_tensor_bytes(p->dtype, &p->shape, &bytes))
        return gl_fail(err, GLINT_ERR_UNSUPPORTED, "Constant '%s': dtype %s is not supported",
                       n->name, glint_dtype_name(p->dtype));
    if (bytes && !p->data)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "Constant '%s': the value has no data",
                       n->name);
    return GLINT_OK;
}

/* The params point into themselves (value_float / value_int); copying a
 * params blob is never done, so that is safe. */
static glint_status constant_infer(const void *params, const gl_tensor *in, int n_in,
                                   gl_tensor *out, int n_out, gl_err *err) {
    const const_params *p = params;
    out[0].dtype = p->dtype;
    out[0].shape = p->shape;
    return GLINT_OK;
}

static glint_status constant_run(const void *params, const gl_tensor *in, int n_in,
                                 gl_tensor *out, int n_out, void *ws, gl_err *err) {
    const const_params *p = params;
    size_t bytes = 0;
    gl_tensor_bytes(p->dtype, &p->shape, &bytes);
    if (bytes) memcpy(out[0].data, p->data, bytes);
    return GLINT_OK;
}

const gl_op gl_op_constant = {
    .domain = "", .name = "Constant", .min_inputs = 0, .max_inputs = 0, .min_outputs = 1,
    .max_outputs = 1, .parse = constant_parse, .infer = constant_infer, .run = constant_run,
};

/* ---------------------------------------------------------------- ConstantOfShape */
typedef struct cos_params {
    gl_dtype dtype;
    uint8_t value[8];     /* one element of dtype */
} cos_params;

static glint_status cos_parse(const gl_graph *g, const gl_node *n, void **params, gl_err *err) {
    cos_params *p;
    glint_status s = gl_params_alloc(g, n, sizeof *p, (void **)&p, err);
    if (s) return s;
    *params = p;
    p->dtype = GLINT_DTYPE_FLOAT32; /* value 0.0f: the bytes are already zero */
    const gl_attr *a = gl_node_attr(n, "value");
    if (!a) return GLINT_OK;
    if (a->type != GL_ATTR_TENSOR || !a->t)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                       "ConstantOfShape '%s': 'value' must be a tensor", n->name);
    if (gl_shape_numel(&a->t->shape) != 1)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                       "ConstantOfShape '%s': 'value' must have one element", n->name);
    size_t es = glint_dtype_size(a->t->dtype);
    if (!gl_dt_in(a->t->dtype, GL_DT_ANY) || es == 0 || es > sizeof p->value || !a->t->data)
        return gl_fail(err, GLINT_ERR_UNSUPPORTED, "ConstantOfShape '%s': dtype %s",
                       n->name, glint_dtype_name(a->t->dtype));
    p->dtype = a->t->dtype;
    memcpy(p->value, a->t->data, es);
    return GLINT_OK;
}

static glint_status cos_infer(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                              int n_out, gl_err *err) {
    const cos_params *p = params;
    int64_t dims[GL_MAX_RANK];
    int n;
    glint_status s = gl_read_ints("ConstantOfShape", "the shape input", &in[0], dims, GL_MAX_RANK,
                                  &n, err);
    if (s) return s;
    out[0].dtype = p->dtype;
    out[0].shape.rank = n;
    for (int i = 0; i < n; i++) {
        if (dims[i] < 0)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL, "ConstantOfShape: dimension %d is %lld",
                           i, (long long)dims[i]);
        out[0].shape.d[i] = dims[i];
    }
    return GLINT_OK;
}

static glint_status cos_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                            int n_out, void *ws, gl_err *err) {
    const cos_params *p = params;
    size_t n = gl_numel(&out[0]), es = glint_dtype_size(p->dtype);
    uint8_t *y = out[0].data;
    for (size_t i = 0; i < n; i++) memcpy(y + i * es, p->value, es);
    return GLINT_OK;
}

const gl_op gl_op_constant_of_shape = {
    .domain = "", .name = "ConstantOfShape", .min_inputs = 1, .max_inputs = 1,
    .min_outputs = 1, .max_outputs = 1, .parse = cos_parse, .infer = cos_infer, .run = cos_run,
};

/* ---------------------------------------------------------------- Range */
static glint_status range_count(const gl_tensor *in, int64_t *count, gl_err *err) {
    for (int i = 0; i < 3; i++) {
        if (!in[i].data)
            return gl_fail_needs_value(err, &in[i], "Range: input %d must be known when planning", i);
        if (gl_shape_numel(&in[i].shape) != 1)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL, "Range: input %d must be a scalar", i);
    }
    gl_dtype t = in[0].dtype;
    if (t == GLINT_DTYPE_INT64 || t == GLINT_DTYPE_INT32) {
        int64_t a = t == GLINT_DTYPE_INT64 ? *(const int64_t *)in[0].data : *(const int32_t *)in[0].data;
        int64_t b = t == GLINT_DTYPE_INT64 ? *(const int64_t *)in[1].data : *(const int32_t *)in[1].data;
        int64_t d = t == GLINT_DTYPE_INT64 ? *(const int64_t *)in[2].data : *(const int32_t *)in[2].data;
        if (d == 0) return gl_fail(err, GLINT_ERR_INVALID_MODEL, "Range: delta is 0");
        /* ceil((b - a) / d) in wide arithmetic */
        long double span = (long double)b - (long double)a;
        long double c = ceill(span / (long double)d);
        *count = c > 0 ? (int64_t)c : 0;
    } else {
        double a = gl_load_f64(t, in[0].data, 0), b = gl_load_f64(t, in[1].data, 0);
        double d = gl_load_f64(t, in[2].data, 0);
        if (d == 0 || !isfinite(a) || !isfinite(b) || !isfinite(d))
            return gl_fail(err, GLINT_ERR_INVALID_MODEL, "Range: start %g, limit %g, delta %g", a,
                           b, d);
        double c = ceil((b - a) / d);
        *count = c > 0 ? (int64_t)c : 0;
    }
    if (*count > ((int64_t)1 << 40))
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "Range: %lld elements is too many",
                       (long long)*count);
    return GLINT_OK;
}

static glint_status range_infer(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                                int n_out, gl_err *err) {
    glint_status s = gl_check_dtype("Range", "start", in[0].dtype, GL_DT_NUM, err);
    if (!s) s = gl_check_same_dtype("Range", in, 0, 1, err);
    if (!s) s = gl_check_same_dtype("Range", in, 0, 2, err);
    int64_t count = 0;
    if (!s) s = range_count(in, &count, err);
    out[0].dtype = in[0].dtype;
    out[0].shape.rank = 1;
    out[0].shape.d[0] = count;
    return s;
}

static glint_status range_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                              int n_out, void *ws, gl_err *err) {
    int64_t n = out[0].shape.d[0];
    switch (in[0].dtype) {
    case GLINT_DTYPE_FLOAT32: {
        /* start + i * delta, as the spec writes it (not repeated adds) */
        float a = *(const float *)in[0].data, d = *(const float *)in[2].data;
        float *y = out[0].data;
        for (int64_t i = 0; i < n; i++) y[i] = a + (float)i * d;
        break;
    }
    case GLINT_DTYPE_FLOAT64: {
        double a = *(const double *)in[0].data, d = *(const double *)in[2].data;
        double *y = out[0].data;
        for (int64_t i = 0; i < n; i++) y[i] = a + (double)i * d;
        break;
    }
    case GLINT_DTYPE_INT32: {
        int32_t a = *(const int32_t *)in[0].data, d = *(const int32_t *)in[2].data;
        int32_t *y = out[0].data;
        for (int64_t i = 0; i < n; i++) y[i] = (int32_t)(a + i * d);
        break;
    }
    case GLINT_DTYPE_INT64: {
        int64_t a = *(const int64_t *)in[0].data, d = *(const int64_t *)in[2].data;
        int64_t *y = out[0].data;
        for (int64_t i = 0; i < n; i++) y[i] = (int64_t)((uint64_t)a + (uint64_t)i * (uint64_t)d);
        break;
    }
    default:
        return gl_fail(err, GLINT_ERR_UNSUPPORTED, "Range: dtype %s",
                       glint_dtype_name(in[0].dtype));
    }
    return GLINT_OK;
}

const gl_op gl_op_range = {
    .domain = "", .name = "Range", .min_inputs = 3, .max_inputs = 3, .min_outputs = 1,
    .max_outputs = 1, .infer = range_infer, .run = range_run,
};
