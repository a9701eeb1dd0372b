/* Operators that only relabel the shape: Reshape, Flatten, Squeeze,
 * Unsqueeze. The data is copied unchanged (nothing, when the planner runs
 * them in place). Shape and axes inputs must be known when planning. */
#include <string.h>

#include "ops/op_util.h"

typedef struct reshape_params {
    bool allowzero;        /* Reshape */
    int64_t axis;          /* Flatten */
    bool axes_attr;        /* Squeeze/Unsqueeze before opset 13: axes from the attribute */
    bool has_axes;
    int n_axes;
    int64_t axes[GL_MAX_RANK];
} reshape_params;

static glint_status copy_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                             int n_out, void *ws, gl_err *err) {
    size_t bytes = gl_numel(&out[0]) * glint_dtype_size(out[0].dtype);
    if (bytes && out[0].data != in[0].data) memmove(out[0].data, in[0].data, bytes);
    return GLINT_OK;
}

static glint_status reshape_parse(const gl_graph *g, const gl_node *n, void **params,
                                  gl_err *err) {
    reshape_params *p;
    glint_status s = gl_params_alloc(g, n, sizeof *p, (void **)&p, err);
    if (s) return s;
    *params = p;
    if (strcmp(n->op_type, "Reshape") == 0) {
        int64_t az;
        s = gl_attr_int(n, "allowzero", 0, &az, err);
        p->allowzero = az != 0;
        return s;
    }
    if (strcmp(n->op_type, "Flatten") == 0) return gl_attr_int(n, "axis", 1, &p->axis, err);
    /* Squeeze / Unsqueeze */
    p->axes_attr = g->opset < 13;
    if (!p->axes_attr) return GLINT_OK;
    const int64_t *axes;
    size_t count;
    s = gl_attr_ints(n, "axes", &axes, &count, err);
    if (s) return s;
    if (count > GL_MAX_RANK)
        return gl_fail(err, GLINT_ERR_UNSUPPORTED, "%s '%s': %zu axes (at most %d)", n->op_type,
                       n->name, count, GL_MAX_RANK);
    p->has_axes = axes != NULL;
    p->n_axes = (int)count;
    if (count) memcpy(p->axes, axes, count * sizeof *axes);
    return GLINT_OK;
}

/* ---------------------------------------------------------------- Reshape */
static glint_status reshape_infer(const void *params, const gl_tensor *in, int n_in,
                                  gl_tensor *out, int n_out, gl_err *err) {
    const reshape_params *p = params;
    int64_t dims[GL_MAX_RANK];
    int n;
    glint_status s = gl_read_ints("Reshape", "the shape input", &in[1], dims, GL_MAX_RANK, &n, err);
    if (s) return s;
    int64_t known = 1, numel = gl_shape_numel(&in[0].shape);
    int infer_at = -1;
    char buf[96];
    for (int i = 0; i < n; i++) {
        if (dims[i] == 0 && !p->allowzero) {
            if (i >= in[0].shape.rank)
                return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                               "Reshape: shape[%d] = 0 copies a dimension that input %s lacks", i,
                               gl_shape_str(&in[0].shape, buf, sizeof buf));
            dims[i] = in[0].shape.d[i];
        }
        if (dims[i] == -1) {
            if (infer_at >= 0)
                return gl_fail(err, GLINT_ERR_INVALID_MODEL, "Reshape: more than one -1 in shape");
            infer_at = i;
            continue;
        }
        if (dims[i] < 0)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL, "Reshape: shape[%d] is %lld", i,
                           (long long)dims[i]);
        if (!gl_mul_i64(known, dims[i], &known))
            return gl_fail(err, GLINT_ERR_INVALID_MODEL, "Reshape: shape overflows");
    }
    if (infer_at >= 0) {
        if (known == 0 || numel % known != 0)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                           "Reshape: cannot infer the -1 dimension of %lld elements from %lld",
                           (long long)numel, (long long)known);
        dims[infer_at] = numel / known;
        known = numel;
    }
    if (known != numel)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                       "Reshape: input %s has %lld elements, the new shape %lld",
                       gl_shape_str(&in[0].shape, buf, sizeof buf), (long long)numel,
                       (long long)known);
    out[0].dtype = in[0].dtype;
    out[0].shape.rank = n;
    memcpy(out[0].shape.d, dims, (size_t)n * sizeof dims[0]);
    return GLINT_OK;
}

const gl_op gl_op_reshape = {
    .domain = "", .name = "Reshape", .min_inputs = 2, .max_inputs = 2, .min_outputs = 1,
    .max_outputs = 1, .parse = reshape_parse, .infer = reshape_infer, .run = copy_run,
};

/* ---------------------------------------------------------------- Flatten */
static glint_status flatten_infer(const void *params, const gl_tensor *in, int n_in,
                                  gl_tensor *out, int n_out, gl_err *err) {
    const reshape_params *p = params;
    int r = in[0].shape.rank;
    int64_t axis = p->axis < 0 ? p->axis + r : p->axis;
    if (axis < 0 || axis > r)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "Flatten: axis %lld is out of range for rank %d",
                       (long long)p->axis, r);
    int64_t a = 1, b = 1;
    for (int i = 0; i < r; i++) {
        if (i < axis) a *= in[0].shape.d[i];
        else b *= in[0].shape.d[i];
    }
    out[0].dtype = in[0].dtype;
    out[0].shape.rank = 2;
    out[0].shape.d[0] = a;
    out[0].shape.d[1] = b;
    return GLINT_OK;
}

const gl_op gl_op_flatten = {
    .domain = "", .name = "Flatten", .min_inputs = 1, .max_inputs = 1, .min_outputs = 1,
    .max_outputs = 1, .parse = reshape_parse, .infer = flatten_infer, .run = copy_run,
};

/* ------------------------------------------------------- Squeeze / Unsqueeze */
/* The axes from the attribute (opset < 13) or the optional input 1. */
static glint_status get_axes(const char *op, const reshape_params *p, const gl_tensor *in,
                             int n_in, int64_t *axes, int *n, bool *has, gl_err *err) {
    if (p->axes_attr) {
        *has = p->has_axes;
        *n = p->n_axes;
        memcpy(axes, p->axes, (size_t)p->n_axes * sizeof *axes);
        return GLINT_OK;
    }
    *has = gl_in_present(in, n_in, 1);
    *n = 0;
    if (!*has) return GLINT_OK;
    return gl_read_ints(op, "the axes input", &in[1], axes, GL_MAX_RANK, n, err);
}

static glint_status squeeze_infer(const void *params, const gl_tensor *in, int n_in,
                                  gl_tensor *out, int n_out, gl_err *err) {
    int64_t axes[GL_MAX_RANK];
    int n;
    bool has;
    glint_status s = get_axes("Squeeze", params, in, n_in, axes, &n, &has, err);
    if (s) return s;
    const gl_shape *x = &in[0].shape;
    uint32_t mask = 0;
    if (has) {
        s = gl_axes_mask("Squeeze", axes, n, x->rank, &mask, err);
        if (s) return s;
    } else {
        for (int i = 0; i < x->rank; i++)
            if (x->d[i] == 1) mask |= 1u << i;
    }
    gl_shape o = {0};
    for (int i = 0; i < x->rank; i++) {
        if (!(mask & (1u << i))) {
            o.d[o.rank++] = x->d[i];
        } else if (x->d[i] != 1) {
            char buf[96];
            return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                           "Squeeze: axis %d of %s has size %lld, not 1", i,
                           gl_shape_str(x, buf, sizeof buf), (long long)x->d[i]);
        }
    }
    out[0].dtype = in[0].dtype;
    out[0].shape = o;
    return GLINT_OK;
}

const gl_op gl_op_squeeze = {
    .domain = "", .name = "Squeeze", .min_inputs = 1, .max_inputs = 2, .min_outputs = 1,
    .max_outputs = 1, .parse = reshape_parse, .infer = squeeze_infer, .run = copy_run,
};

static glint_status unsqueeze_infer(const void *params, const gl_tensor *in, int n_in,
                                    gl_tensor *out, int n_out, gl_err *err) {
    int64_t axes[GL_MAX_RANK];
    int n;
    bool has;
    glint_status s = get_axes("Unsqueeze", params, in, n_in, axes, &n, &has, err);
    if (s) return s;
    if (!has)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "Unsqueeze: the axes are missing");
    const gl_shape *x = &in[0].shape;
    int r = x->rank + n;
    if (r > GL_MAX_RANK)
        return gl_fail(err, GLINT_ERR_UNSUPPORTED, "Unsqueeze: output rank %d (at most %d)", r,
                       GL_MAX_RANK);
    uint32_t mask;
    s = gl_axes_mask("Unsqueeze", axes, n, r, &mask, err);
    if (s) return s;
    gl_shape o = {.rank = r};
    for (int i = 0, j = 0; i < r; i++) o.d[i] = (mask & (1u << i)) ? 1 : x->d[j++];
    out[0].dtype = in[0].dtype;
    out[0].shape = o;
    return GLINT_OK;
}

const gl_op gl_op_unsqueeze = {
    .domain = "", .name = "Unsqueeze", .min_inputs = 1, .max_inputs = 2, .min_outputs = 1,
    .max_outputs = 1, .parse = reshape_parse, .infer = unsqueeze_infer, .run = copy_run,
};
