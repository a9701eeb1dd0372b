/* Index helpers for the extra gather/scatter operators (op_extra_index.h). */
#include <string.h>

#include "ops/op_extra_index.h"

glint_status gl_idx_check_all(const char *op, const gl_tensor *idx, int64_t d, gl_err *err) {
    size_t n = gl_numel(idx);
    for (size_t i = 0; i < n; i++) {
        int64_t k = gl_idx_at(idx, i);
        if (k < -d || k >= d)
            return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT,
                           "%s: index %lld (at position %zu) is out of range for a dimension of "
                           "size %lld", op, (long long)k, i, (long long)d);
    }
    return GLINT_OK;
}

glint_status gl_idx_same_rank_within(const char *op, const gl_shape *x, const gl_shape *ix,
                                     int axis, gl_err *err) {
    char a[96], b[96];
    bool ok = ix->rank == x->rank;
    for (int d = 0; ok && d < x->rank; d++)
        if (d != axis && ix->d[d] > x->d[d]) ok = false;
    if (!ok)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                       "%s: indices shape %s does not fit data shape %s (same rank, no larger "
                       "except on axis %d)", op, gl_shape_str(ix, a, sizeof a),
                       gl_shape_str(x, b, sizeof b), axis);
    return GLINT_OK;
}

glint_status gl_idx_nd_geometry(const char *op, const gl_shape *x, const gl_shape *ix,
                                int64_t batch_dims, gl_err *err) {
    char a[96], b[96];
    int64_t m = ix->rank >= 1 ? ix->d[ix->rank - 1] : -1;
    bool ok = ix->rank >= 1 && batch_dims < ix->rank && batch_dims < x->rank && m >= 1 &&
              m <= x->rank - batch_dims;
    for (int i = 0; ok && i < batch_dims; i++)
        if (ix->d[i] != x->d[i]) ok = false;
    if (!ok)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                       "%s: indices shape %s does not index data shape %s with batch_dims %lld",
                       op, gl_shape_str(ix, a, sizeof a), gl_shape_str(x, b, sizeof b),
                       (long long)batch_dims);
    return GLINT_OK;
}

glint_status gl_idx_nd_resolve(const char *op, const gl_shape *x, const gl_tensor *idx,
                               int batch_dims, gl_nd_geom *g, gl_err *err) {
    const gl_shape *ix = &idx->shape;
    memset(g, 0, sizeof *g);
    g->m = (int)ix->d[ix->rank - 1];
    int64_t xst[GL_MAX_RANK];
    gl_shape_strides(x, xst);
    g->tuples = 1;
    for (int i = 0; i < ix->rank - 1; i++) g->tuples *= ix->d[i];
    g->per_batch = 1;
    for (int i = batch_dims; i < ix->rank - 1; i++) g->per_batch *= ix->d[i];
    if (g->per_batch == 0) g->per_batch = 1; /* no tuples at all: never divided by */
    g->batch_stride = batch_dims > 0 ? xst[batch_dims - 1] : 0;
    g->slice = 1;
    for (int i = batch_dims + g->m; i < x->rank; i++) g->slice *= x->d[i];
    for (int j = 0; j < g->m; j++) {
        g->dims[j] = x->d[batch_dims + j];
        g->strides[j] = xst[batch_dims + j];
    }
    size_t n = gl_numel(idx);
    for (size_t i = 0; i < n; i++) {
        int64_t k = gl_idx_at(idx, i), d = g->dims[i % (size_t)g->m];
        if (k < -d || k >= d)
            return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT,
                           "%s: index %lld (at position %zu) is out of range for data axis %d of "
                           "size %lld", op, (long long)k, i, batch_dims + (int)(i % (size_t)g->m),
                           (long long)d);
    }
    return GLINT_OK;
}

void gl_idx_nd_offset(const gl_nd_geom *g, const gl_tensor *idx, int64_t start, int64_t batch,
                      int64_t *off) {
    int64_t o = batch * g->batch_stride;
    for (int j = 0; j < g->m; j++)
        o += gl_idx_wrap(gl_idx_at(idx, (size_t)(start + j)), g->dims[j]) * g->strides[j];
    *off = o;
}

glint_status gl_scatter_parse_reduction(const gl_graph *g, const gl_node *n,
                                        gl_scatter_red *red, gl_err *err) {
    const char *r;
    glint_status s = gl_attr_string(n, "reduction", "none", &r, err);
    if (s) return s;
    static const struct { const char *name; gl_scatter_red red; int64_t opset; } modes[] = {
        {"none", GL_SCATTER_NONE, 11}, {"add", GL_SCATTER_ADD, 16},
        {"mul", GL_SCATTER_MUL, 16},   {"max", GL_SCATTER_MAX, 18},
        {"min", GL_SCATTER_MIN, 18},
    };
    for (size_t i = 0; i < GL_ARRAY_LEN(modes); i++)
        if (strcmp(r, modes[i].name) == 0) {
            if (g->opset < modes[i].opset)
                return gl_fail(err, GLINT_ERR_UNSUPPORTED,
                               "%s '%s': reduction='%s' needs opset %lld (the model has %lld)",
                               n->op_type, n->name, r, (long long)modes[i].opset,
                               (long long)g->opset);
            *red = modes[i].red;
            return GLINT_OK;
        }
    return gl_fail(err, GLINT_ERR_UNSUPPORTED, "%s '%s': reduction='%.40s' is not supported",
                   n->op_type, n->name, r);
}

unsigned gl_scatter_dtypes(gl_scatter_red red) {
    return red == GL_SCATTER_NONE ? GL_DT_ANY : GL_DT_NUM;
}

#define SCATTER_APPLY(C, T)                                                                \
    case C: {                                                                              \
        T *d = (T *)dst + di;                                                              \
        const T *s = (const T *)src + si;                                                  \
        for (size_t i = 0; i < count; i++) {                                               \
            T a = d[i], b = s[i];                                                          \
            switch (red) {                                                                 \
            case GL_SCATTER_ADD: d[i] = add_##T(a, b); break;                              \
            case GL_SCATTER_MUL: d[i] = mul_##T(a, b); break;                              \
            case GL_SCATTER_MAX: d[i] = b > a ? b : a; break;                              \
            case GL_SCATTER_MIN: d[i] = b < a ? b : a; break;                              \
            default: d[i] = b; break;                                                      \
            }                                                                              \
        }                                                                                  \
        break;                                                                             \
    }

/* Integer add/mul wrap around (two's complement, as ONNX Runtime does)
 * instead of overflowing, which is undefined in C. */
static float add_float(float a, float b) { return a + b; }
static float mul_float(float a, float b) { return a * b; }
static double add_double(double a, double b) { return a + b; }
static double mul_double(double a, double b) { return a * b; }
static int32_t add_int32_t(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
static int32_t mul_int32_t(int32_t a, int32_t b) { return (int32_t)((uint32_t)a * (uint32_t)b); }
static int64_t add_int64_t(int64_t a, int64_t b) { return (int64_t)((uint64_t)a + (uint64_t)b); }
static int64_t mul_int64_t(int64_t a, int64_t b) { return (int64_t)((uint64_t)a * (uint64_t)b); }

void gl_scatter_apply(gl_scatter_red red, gl_dtype t, void *dst, size_t di, const void *src,
                      size_t si, size_t count) {
    if (red == GL_SCATTER_NONE) {
        size_t e = glint_dtype_size(t);
        if (count) memcpy((char *)dst + di * e, (const char *)src + si * e, count * e);
        return;
    }
    switch (t) {
        SCATTER_APPLY(GLINT_DTYPE_FLOAT32, float)
        SCATTER_APPLY(GLINT_DTYPE_FLOAT64, double)
        SCATTER_APPLY(GLINT_DTYPE_INT32, int32_t)
        SCATTER_APPLY(GLINT_DTYPE_INT64, int64_t)
    default: break; /* gl_scatter_dtypes keeps other dtypes out */
    }
}
