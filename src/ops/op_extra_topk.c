/* TopK: the k largest (or smallest) elements along an axis, with their
 * int64 indices. k sets the output shape, so it must be known when planning.
 * Results are always sorted (when sorted=0 the spec leaves the order open,
 * so sorted order is a valid answer); equal values keep the lower index
 * first, as the spec asks. NaN counts as larger than every number. The sort
 * is a stable merge sort of indices in the workspace. */
#include <math.h>
#include <string.h>

#include "ops/op_util.h"

typedef struct topk_params {
    int64_t axis;
    bool largest;
} topk_params;

static glint_status topk_parse(const gl_graph *g, const gl_node *n, void **params, gl_err *err) {
    topk_params *p;
    glint_status s = gl_params_alloc(g, n, sizeof *p, (void **)&p, err);
    if (s) return s;
    *params = p;
    int64_t largest = 1, sorted = 1;
    s = gl_attr_int(n, "axis", -1, &p->axis, err);
    if (!s) s = gl_attr_int(n, "largest", 1, &largest, err);
    if (!s) s = gl_attr_int(n, "sorted", 1, &sorted, err);
    p->largest = largest != 0;
    return s;
}

static glint_status topk_k(const gl_tensor *in, int64_t dim, int64_t *k, gl_err *err) {
    int count;
    if (!in[1].data)
        return gl_fail_needs_value(err, &in[1], "TopK: k must be known when planning");
    glint_status s = gl_read_ints("TopK", "k", &in[1], k, 1, &count, err);
    if (!s && count != 1)
        s = gl_fail(err, GLINT_ERR_INVALID_MODEL, "TopK: k must hold one value");
    if (!s && (*k < 0 || *k > dim))
        s = gl_fail(err, GLINT_ERR_INVALID_MODEL, "TopK: k = %lld for an axis of size %lld",
                    (long long)*k, (long long)dim);
    return s;
}

static glint_status topk_infer(const void *params, const gl_tensor *in, int n_in,
                               gl_tensor *out, int n_out, gl_err *err) {
    const topk_params *p = params;
    int axis;
    int64_t k;
    glint_status s = gl_check_dtype("TopK", "input 0", in[0].dtype, GL_DT_NUM, err);
    if (!s) s = gl_check_dtype("TopK", "k", in[1].dtype, GL_DT_INTS, err);
    if (!s) s = gl_axis_norm("TopK", p->axis, in[0].shape.rank, &axis, err);
    if (!s) s = topk_k(in, in[0].shape.d[axis], &k, err);
    if (s) return s;
    gl_shape o = in[0].shape;
    o.d[axis] = k;
    out[0].dtype = in[0].dtype;
    out[0].shape = o;
    out[1].dtype = GLINT_DTYPE_INT64;
    out[1].shape = o;
    return GLINT_OK;
}

static size_t topk_workspace(const void *params, const gl_tensor *in, int n_in,
                             const gl_tensor *out, int n_out) {
    const topk_params *p = params;
    int r = in[0].shape.rank;
    int axis = (int)(p->axis < 0 ? p->axis + r : p->axis);
    return 2 * (size_t)in[0].shape.d[axis] * sizeof(int64_t);
}

/* -1, 0, 1 as x[a] is below, equal to, above x[b]; NaN above everything. */
static int cmp_at(const gl_tensor *x, size_t a, size_t b) {
    switch (x->dtype) {
    case GLINT_DTYPE_FLOAT32: {
        float u = ((const float *)x->data)[a], v = ((const float *)x->data)[b];
        if (isnan(u) || isnan(v)) return (isnan(u) != 0) - (isnan(v) != 0);
        return (u > v) - (u < v);
    }
    case GLINT_DTYPE_FLOAT64: {
        double u = ((const double *)x->data)[a], v = ((const double *)x->data)[b];
        if (isnan(u) || isnan(v)) return (isnan(u) != 0) - (isnan(v) != 0);
        return (u > v) - (u < v);
    }
    case GLINT_DTYPE_INT32: {
        int32_t u = ((const int32_t *)x->data)[a], v = ((const int32_t *)x->data)[b];
        return (u > v) - (u < v);
    }
    default: {
        int64_t u = ((const int64_t *)x->data)[a], v = ((const int64_t *)x->data)[b];
        return (u > v) - (u < v);
    }
    }
}

/* Bottom-up stable merge sort of idx[0..n) (positions along the axis; the
 * element is at base + position*inner). */
static void sort_run(const gl_tensor *x, bool largest, size_t base, int64_t inner, int64_t *idx,
                     int64_t *tmp, int64_t n) {
    for (int64_t w = 1; w < n; w *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * w) {
            int64_t mid = GL_MIN(lo + w, n), hi = GL_MIN(lo + 2 * w, n);
            int64_t i = lo, j = mid, o = lo;
            while (i < mid && j < hi) {
                int c = cmp_at(x, base + (size_t)(idx[j] * inner), base + (size_t)(idx[i] * inner));
                /* take the right one only when it strictly comes first */
                bool right_first = largest ? c > 0 : c < 0;
                tmp[o++] = right_first ? idx[j++] : idx[i++];
            }
            while (i < mid) tmp[o++] = idx[i++];
            while (j < hi) tmp[o++] = idx[j++];
        }
        memcpy(idx, tmp, (size_t)n * sizeof *idx);
    }
}

static glint_status topk_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                             int n_out, void *ws, gl_err *err) {
    const topk_params *p = params;
    const gl_shape *x = &in[0].shape;
    int axis = (int)(p->axis < 0 ? p->axis + x->rank : p->axis);
    int64_t n = x->d[axis], k = out[0].shape.d[axis], outer = 1, inner = 1;
    for (int i = 0; i < axis; i++) outer *= x->d[i];
    for (int i = axis + 1; i < x->rank; i++) inner *= x->d[i];
    int64_t *idx = ws, *tmp = idx + n;
    size_t e = glint_dtype_size(in[0].dtype);
    const char *src = in[0].data;
    char *vals = out[0].data;
    int64_t *inds = out[1].data;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < inner; j++) {
            size_t base = (size_t)(o * n * inner + j);
            for (int64_t t = 0; t < n; t++) idx[t] = t;
            sort_run(&in[0], p->largest, base, inner, idx, tmp, n);
            for (int64_t t = 0; t < k; t++) {
                size_t at = (size_t)((o * k + t) * inner + j);
                memcpy(vals + at * e, src + (base + (size_t)(idx[t] * inner)) * e, e);
                if (inds) inds[at] = idx[t];
            }
        }
    return GLINT_OK;
}

const gl_op gl_op_topk = {
    .domain = "", .name = "TopK", .min_inputs = 2, .max_inputs = 2, .min_outputs = 2,
    .max_outputs = 2, .parse = topk_parse, .infer = topk_infer, .workspace = topk_workspace,
    .run = topk_run,
};
