/* Pad (ONNX opsets 2-21): modes constant, reflect, edge and wrap; pads as an
 * input (opset 11+, needed at plan time) or attribute (before 11), optional
 * constant_value and axes (opset 18). Negative pads crop. Any fixed-size
 * dtype: elements are copied as bytes. */
#include <string.h>

#include "ops/nn_common.h"

typedef enum pad_mode { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP } pad_mode;

typedef struct pad_params {
    pad_mode mode;
    bool attr_form;                /* opset < 11: pads and value are attributes */
    int n_attr_pads;
    int64_t attr_pads[2 * GL_MAX_RANK];
    float attr_value;
} pad_params;

static glint_status pad_parse(const gl_graph *g, const gl_node *n, void **params, gl_err *err) {
    pad_params *p = gl_calloc(g->alloc, 1, sizeof *p);
    if (!p) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "Pad: out of memory");
    const char *mode;
    glint_status st = gl_attr_string(n, "mode", "constant", &mode, err);
    if (st == GLINT_OK) {
        if (strcmp(mode, "constant") == 0) p->mode = PAD_CONSTANT;
        else if (strcmp(mode, "reflect") == 0) p->mode = PAD_REFLECT;
        else if (strcmp(mode, "edge") == 0) p->mode = PAD_EDGE;
        else if (strcmp(mode, "wrap") == 0) p->mode = PAD_WRAP;
        else st = gl_fail(err, GLINT_ERR_UNSUPPORTED, "Pad: mode '%s' is not supported", mode);
    }
    const int64_t *pads = NULL;
    size_t count = 0;
    if (st == GLINT_OK) st = gl_attr_ints(n, "pads", &pads, &count, err);
    if (st == GLINT_OK && pads) {
        p->attr_form = true;
        if (count % 2 || count > 2 * GL_MAX_RANK)
            st = gl_fail(err, GLINT_ERR_INVALID_MODEL, "Pad: attribute 'pads' has %zu values",
                         count);
        for (size_t i = 0; st == GLINT_OK && i < count; i++) p->attr_pads[i] = pads[i];
        p->n_attr_pads = (int)count;
        if (st == GLINT_OK) st = gl_attr_float(n, "value", 0.0f, &p->attr_value, err);
    }
    if (st != GLINT_OK) {
        gl_free(g->alloc, p);
        return st;
    }
    *params = p;
    return GLINT_OK;
}

static bool read_int(const gl_tensor *t, int64_t i, int64_t *v) {
    if (t->dtype == GLINT_DTYPE_INT64) *v = ((const int64_t *)t->data)[i];
    else if (t->dtype == GLINT_DTYPE_INT32) *v = ((const int32_t *)t->data)[i];
    else return false;
    return true;
}

/* Per-axis begin/end pads of the data tensor in[0]. */
static glint_status pad_resolve(const pad_params *p, const gl_tensor *in, int n_in, int64_t *pb,
                                int64_t *pe, gl_err *err) {
    int r = in[0].shape.rank;
    for (int i = 0; i < r; i++) pb[i] = pe[i] = 0;
    if (p->attr_form) {
        if (p->n_attr_pads != 2 * r)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL, "Pad: %d pads for a rank-%d input",
                           p->n_attr_pads, r);
        for (int i = 0; i < r; i++) pb[i] = p->attr_pads[i], pe[i] = p->attr_pads[r + i];
        return GLINT_OK;
    }
    if (!gl_in_present(in, n_in, 1))
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "Pad: input 'pads' is missing");
    if (!in[1].data)
        return gl_fail_needs_value(err, &in[1],
                                   "Pad: input 'pads' must be known when the plan is built");
    int64_t axes[GL_MAX_RANK];
    int n_axes = r;
    for (int i = 0; i < r; i++) axes[i] = i;
    if (gl_in_present(in, n_in, 3)) {
        int64_t na = gl_shape_numel(&in[3].shape);
        if (!in[3].data)
            return gl_fail_needs_value(err, &in[3],
                                       "Pad: input 'axes' must be known when the plan is built");
        if (na < 0 || na > r)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL, "Pad: %lld axes for a rank-%d input",
                           (long long)na, r);
        n_axes = (int)na;
        for (int i = 0; i < n_axes; i++) {
            if (!read_int(&in[3], i, &axes[i]))
                return gl_fail(err, GLINT_ERR_INVALID_MODEL, "Pad: axes must be int32 or int64");
            if (axes[i] < 0) axes[i] += r;
            if (axes[i] < 0 || axes[i] >= r)
                return gl_fail(err, GLINT_ERR_INVALID_MODEL, "Pad: axis %d out of range for rank %d",
                               i, r);
        }
    }
    if (gl_shape_numel(&in[1].shape) != 2 * n_axes)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "Pad: %lld pads for %d axes",
                       (long long)gl_shape_numel(&in[1].shape), n_axes);
    for (int i = 0; i < n_axes; i++) {
        int64_t b, e;
        if (!read_int(&in[1], i, &b) || !read_int(&in[1], n_axes + i, &e))
            return gl_fail(err, GLINT_ERR_INVALID_MODEL, "Pad: pads must be int64");
        pb[axes[i]] = b;
        pe[axes[i]] = e;
    }
    return GLINT_OK;
}

static glint_status pad_infer(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                              int n_out, gl_err *err) {
    const pad_params *p = params;
    int64_t pb[GL_MAX_RANK], pe[GL_MAX_RANK];
    if (glint_dtype_size(in[0].dtype) == 0)
        return gl_fail(err, GLINT_ERR_UNSUPPORTED, "Pad: dtype %s is not supported",
                       glint_dtype_name(in[0].dtype));
    glint_status st = pad_resolve(p, in, n_in, pb, pe, err);
    if (st != GLINT_OK) return st;
    if (gl_in_present(in, n_in, 2) &&
        (in[2].dtype != in[0].dtype || gl_shape_numel(&in[2].shape) > 1))
        return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                       "Pad: constant_value must be one %s value", glint_dtype_name(in[0].dtype));
    out[0].dtype = in[0].dtype;
    out[0].shape = in[0].shape;
    for (int i = 0; i < in[0].shape.rank; i++) {
        int64_t d = in[0].shape.d[i], o = d + pb[i] + pe[i];
        if (o < 0 || (d == 0 && o > 0 && p->mode != PAD_CONSTANT))
            return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                           "Pad: axis %d of size %lld with pads %lld/%lld gives size %lld", i,
                           (long long)d, (long long)pb[i], (long long)pe[i], (long long)o);
        out[0].shape.d[i] = o;
    }
    return GLINT_OK;
}

/* Source index along one axis for padded coordinate s (= out - pad_begin);
 * -1 means "the constant". */
static int64_t pad_source(pad_mode mode, int64_t s, int64_t n) {
    if (s >= 0 && s < n) return s;
    switch (mode) {
    case PAD_EDGE: return s < 0 ? 0 : n - 1;
    case PAD_WRAP: return ((s % n) + n) % n;
    case PAD_REFLECT: {
        if (n == 1) return 0;
        int64_t period = 2 * (n - 1);
        int64_t r = ((s % period) + period) % period;
        return r < n ? r : period - r;
    }
    default: return -1;
    }
}

static glint_status pad_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                            int n_out, void *ws, gl_err *err) {
    const pad_params *p = params;
    int64_t pb[GL_MAX_RANK], pe[GL_MAX_RANK];
    glint_status st = pad_resolve(p, in, n_in, pb, pe, err);
    if (st != GLINT_OK) return st;
    size_t es = glint_dtype_size(in[0].dtype);
    uint8_t fill[8] = {0};
    if (p->attr_form && in[0].dtype == GLINT_DTYPE_FLOAT32) memcpy(fill, &p->attr_value, 4);
    else if (gl_in_present(in, n_in, 2) && gl_shape_numel(&in[2].shape) == 1)
        memcpy(fill, in[2].data, es);
    const gl_shape *is = &in[0].shape, *os = &out[0].shape;
    int r = is->rank;
    int64_t total = gl_shape_numel(os);
    int64_t istride[GL_MAX_RANK], coord[GL_MAX_RANK] = {0};
    int64_t s = 1;
    for (int i = r - 1; i >= 0; i--) istride[i] = s, s *= is->d[i];
    const uint8_t *x = in[0].data;
    uint8_t *y = out[0].data;
    for (int64_t o = 0; o < total; o++) {
        int64_t src = 0;
        for (int i = 0; i < r && src >= 0; i++) {
            int64_t c = pad_source(p->mode, coord[i] - pb[i], is->d[i]);
            src = c < 0 ? -1 : src + c * istride[i];
        }
        memcpy(y + (size_t)o * es, src < 0 ? fill : x + (size_t)src * es, es);
        for (int i = r - 1; i >= 0; i--) { /* next output coordinate */
            if (++coord[i] < os->d[i]) break;
            coord[i] = 0;
        }
    }
    return GLINT_OK;
}

const gl_op gl_op_pad = {
    .domain = "",
    .name = "Pad",
    .min_inputs = 1, .max_inputs = 4,
    .min_outputs = 1, .max_outputs = 1,
    .parse = pad_parse,
    .infer = pad_infer,
    .run = pad_run,
};
