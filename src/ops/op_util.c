#include "ops/op_util.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------ dtypes */
static void dtype_set_str(unsigned set, char *buf, size_t size) {
    size_t n = 0;
    buf[0] = '\0';
    for (unsigned t = 0; t < 32 && n < size; t++) {
        if (!(set & (1u << t))) continue;
        n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? ", " : "",
                              glint_dtype_name((glint_dtype)t));
    }
}

glint_status gl_check_dtype(const char *op, const char *what, gl_dtype t, unsigned set,
                            gl_err *err) {
    if (gl_dt_in(t, set)) return GLINT_OK;
    char buf[160];
    dtype_set_str(set, buf, sizeof buf);
    return gl_fail(err, GLINT_ERR_UNSUPPORTED, "%s: %s has dtype %s, which is not supported (%s)",
                   op, what, glint_dtype_name(t), buf);
}

glint_status gl_check_same_dtype(const char *op, const gl_tensor *in, int i, int j, gl_err *err) {
    if (in[i].dtype == in[j].dtype) return GLINT_OK;
    return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: input %d is %s but input %d is %s", op, i,
                   glint_dtype_name(in[i].dtype), j, glint_dtype_name(in[j].dtype));
}

double gl_load_f64(gl_dtype t, const void *data, size_t i) {
    switch (t) {
    case GLINT_DTYPE_FLOAT32: return ((const float *)data)[i];
    case GLINT_DTYPE_FLOAT64: return ((const double *)data)[i];
    case GLINT_DTYPE_FLOAT16: return gl_f16_to_f32(((const uint16_t *)data)[i]);
    case GLINT_DTYPE_BFLOAT16: return gl_bf16_to_f32(((const uint16_t *)data)[i]);
    case GLINT_DTYPE_INT8: return ((const int8_t *)data)[i];
    case GLINT_DTYPE_UINT8: return ((const uint8_t *)data)[i];
    case GLINT_DTYPE_BOOL: return ((const uint8_t *)data)[i] != 0;
    case GLINT_DTYPE_INT16: return ((const int16_t *)data)[i];
    case GLINT_DTYPE_UINT16: return ((const uint16_t *)data)[i];
    case GLINT_DTYPE_INT32: return ((const int32_t *)data)[i];
    case GLINT_DTYPE_UINT32: return ((const uint32_t *)data)[i];
    case GLINT_DTYPE_INT64: return (double)((const int64_t *)data)[i];
    case GLINT_DTYPE_UINT64: return (double)((const uint64_t *)data)[i];
    default: return 0;
    }
}

/* Float to integer conversion is undefined in C when the value does not fit:
 * clamp first (NaN becomes 0), so a hostile input cannot cause UB. */
static double clamp_d(double v, double lo, double hi) {
    if (!(v == v)) return 0;
    return v < lo ? lo : v > hi ? hi : v;
}

void gl_store_f64(gl_dtype t, void *data, size_t i, double v) {
    switch (t) {
    case GLINT_DTYPE_FLOAT32: ((float *)data)[i] = (float)v; break;
    case GLINT_DTYPE_FLOAT64: ((double *)data)[i] = v; break;
    case GLINT_DTYPE_FLOAT16: ((uint16_t *)data)[i] = gl_f32_to_f16((float)v); break;
    case GLINT_DTYPE_BFLOAT16: ((uint16_t *)data)[i] = gl_f32_to_bf16((float)v); break;
    case GLINT_DTYPE_INT8: ((int8_t *)data)[i] = (int8_t)clamp_d(v, -128, 127); break;
    case GLINT_DTYPE_UINT8: ((uint8_t *)data)[i] = (uint8_t)clamp_d(v, 0, 255); break;
    case GLINT_DTYPE_BOOL: ((uint8_t *)data)[i] = v != 0; break;
    case GLINT_DTYPE_INT16: ((int16_t *)data)[i] = (int16_t)clamp_d(v, -32768, 32767); break;
    case GLINT_DTYPE_UINT16: ((uint16_t *)data)[i] = (uint16_t)clamp_d(v, 0, 65535); break;
    case GLINT_DTYPE_INT32:
        ((int32_t *)data)[i] = (int32_t)clamp_d(v, -2147483648.0, 2147483647.0);
        break;
    case GLINT_DTYPE_UINT32: ((uint32_t *)data)[i] = (uint32_t)clamp_d(v, 0, 4294967295.0); break;
    case GLINT_DTYPE_INT64:
        /* 2^63 itself does not fit; the largest double below it does */
        ((int64_t *)data)[i] = (int64_t)clamp_d(v, -9223372036854775808.0, 9223372036854774784.0);
        break;
    case GLINT_DTYPE_UINT64:
        ((uint64_t *)data)[i] = (uint64_t)clamp_d(v, 0, 18446744073709549568.0);
        break;
    default: break;
    }
}

/* ------------------------------------------------------------ params */
glint_status gl_params_alloc(const gl_graph *g, const gl_node *n, size_t size, void **out,
                             gl_err *err) {
    *out = gl_calloc(g->alloc, 1, size);
    if (!*out)
        return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "%s '%s': out of memory for parameters",
                       n->op_type, n->name);
    return GLINT_OK;
}

/* ------------------------------------------------------------ axes */
glint_status gl_axis_norm(const char *op, int64_t axis, int rank, int *out, gl_err *err) {
    if (axis < -(int64_t)rank || axis >= (int64_t)rank)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: axis %lld is out of range for rank %d",
                       op, (long long)axis, rank);
    *out = (int)(axis < 0 ? axis + rank : axis);
    return GLINT_OK;
}

glint_status gl_axes_mask(const char *op, const int64_t *axes, int n, int rank, uint32_t *mask,
                          gl_err *err) {
    uint32_t m = 0;
    for (int i = 0; i < n; i++) {
        int a = 0;
        glint_status s = gl_axis_norm(op, axes[i], rank, &a, err);
        if (s) return s;
        if (m & (1u << a))
            return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: axis %lld is repeated", op,
                           (long long)axes[i]);
        m |= 1u << a;
    }
    *mask = m;
    return GLINT_OK;
}

void gl_shape_strides(const gl_shape *s, int64_t *strides) {
    int64_t st = 1;
    for (int i = s->rank - 1; i >= 0; i--) {
        strides[i] = st;
        st *= s->d[i] > 0 ? s->d[i] : 1;
    }
}

/* ------------------------------------------------------------ plan-time values */
glint_status gl_read_ints(const char *op, const char *what, const gl_tensor *t, int64_t *out,
                          int max, int *count, gl_err *err) {
    if (!t->data)
        return gl_fail_needs_value(err, t, "%s: %s must be known when planning", op, what);
    if (t->dtype != GLINT_DTYPE_INT64 && t->dtype != GLINT_DTYPE_INT32)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: %s must be int64, not %s", op, what,
                       glint_dtype_name(t->dtype));
    if (t->shape.rank > 1)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: %s must be 1-D, not rank %d", op, what,
                       t->shape.rank);
    int64_t n = gl_shape_numel(&t->shape);
    if (n < 0 || n > max)
        return gl_fail(err, GLINT_ERR_UNSUPPORTED, "%s: %s has %lld elements (at most %d)", op,
                       what, (long long)n, max);
    for (int64_t i = 0; i < n; i++)
        out[i] = t->dtype == GLINT_DTYPE_INT64 ? ((const int64_t *)t->data)[i]
                                               : ((const int32_t *)t->data)[i];
    *count = (int)n;
    return GLINT_OK;
}

/* ------------------------------------------------------------ broadcasting */
bool gl_bcast_init(gl_bcast *b, const gl_shape *out, const gl_shape *const *ins, int n_in) {
    if (n_in < 1 || n_in > GL_BCAST_MAX_IN || out->rank > GL_MAX_RANK) return false;
    memset(b, 0, sizeof *b);
    b->n_in = n_in;
    /* full-rank strides per input, 0 where the input is broadcast */
    int64_t st[GL_BCAST_MAX_IN][GL_MAX_RANK];
    for (int k = 0; k < n_in; k++) {
        const gl_shape *s = ins[k];
        if (s->rank > out->rank) return false;
        int64_t acc = 1;
        for (int i = out->rank - 1; i >= 0; i--) {
            int j = i - (out->rank - s->rank);
            int64_t d = j >= 0 ? s->d[j] : 1;
            if (d == out->d[i] && d != 1) {
                st[k][i] = acc;
                acc *= d;
            } else if (d == 1 || (d == out->d[i])) {
                st[k][i] = 0;
            } else {
                return false;
            }
        }
    }
    int64_t numel = 1;
    for (int i = 0; i < out->rank; i++) numel *= out->d[i];
    /* drop size-1 dims, then merge a dim into the previous one when every
     * input continues contiguously (or stays broadcast) across it */
    int r = 0;
    for (int i = 0; i < out->rank; i++) {
        if (out->d[i] == 1) continue;
        bool merge = r > 0;
        for (int k = 0; merge && k < n_in; k++)
            if (b->strides[k][r - 1] != st[k][i] * out->d[i]) merge = false;
        if (merge) {
            b->dims[r - 1] *= out->d[i];
            for (int k = 0; k < n_in; k++) b->strides[k][r - 1] = st[k][i];
        } else {
            b->dims[r] = out->d[i];
            for (int k = 0; k < n_in; k++) b->strides[k][r] = st[k][i];
            r++;
        }
    }
    if (r == 0) {
        b->dims[0] = 1;
        r = 1;
    }
    b->rank = r;
    b->rows = b->dims[r - 1] ? numel / b->dims[r - 1] : 0;
    if (numel == 0) b->rows = 0;
    return true;
}

void gl_bcast_row(const gl_bcast *b, int64_t row, int64_t *offsets) {
    for (int k = 0; k < b->n_in; k++) offsets[k] = 0;
    for (int i = b->rank - 2; i >= 0 && row > 0; i--) {
        int64_t idx = row % b->dims[i];
        row /= b->dims[i];
        for (int k = 0; k < b->n_in; k++) offsets[k] += idx * b->strides[k][i];
    }
}

glint_status gl_broadcast_shapes(const char *op, const gl_tensor *in, int n_in, gl_shape *out,
                                 gl_err *err) {
    gl_shape acc = in[0].shape;
    for (int i = 1; i < n_in; i++) {
        gl_shape next;
        if (!gl_shape_broadcast(&acc, &in[i].shape, &next)) {
            char a[96], b[96];
            return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                           "%s: input %d shape %s does not broadcast with %s", op, i,
                           gl_shape_str(&in[i].shape, b, sizeof b), gl_shape_str(&acc, a, sizeof a));
        }
        acc = next;
    }
    *out = acc;
    return GLINT_OK;
}

/* ------------------------------------------------------------ strided copy */
static void copy_row(size_t elem, int64_t n, int64_t stride, const char *src, int64_t off,
                     char *dst) {
    if (stride == 1) {
        memcpy(dst, src + off * (int64_t)elem, (size_t)n * elem);
        return;
    }
    switch (elem) {
    case 1:
        for (int64_t i = 0; i < n; i++) ((uint8_t *)dst)[i] = ((const uint8_t *)src)[off + i * stride];
        break;
    case 2:
        for (int64_t i = 0; i < n; i++)
            ((uint16_t *)dst)[i] = ((const uint16_t *)src)[off + i * stride];
        break;
    case 4:
        for (int64_t i = 0; i < n; i++)
            ((uint32_t *)dst)[i] = ((const uint32_t *)src)[off + i * stride];
        break;
    case 8:
        for (int64_t i = 0; i < n; i++)
            ((uint64_t *)dst)[i] = ((const uint64_t *)src)[off + i * stride];
        break;
    default:
        for (int64_t i = 0; i < n; i++)
            memcpy(dst + i * (int64_t)elem, src + (off + i * stride) * (int64_t)elem, elem);
    }
}

void gl_strided_copy(size_t elem, int rank, const int64_t *dims, const int64_t *strides,
                     const void *in_base, void *out) {
    int64_t d[GL_COPY_MAX_RANK], s[GL_COPY_MAX_RANK], idx[GL_COPY_MAX_RANK];
    int r = 0;
    for (int i = 0; i < rank; i++) {
        if (dims[i] == 0) return;
        if (dims[i] == 1) continue;
        if (r > 0 && s[r - 1] == strides[i] * dims[i]) {
            d[r - 1] *= dims[i];
            s[r - 1] = strides[i];
        } else {
            d[r] = dims[i];
            s[r] = strides[i];
            r++;
        }
    }
    if (r == 0) {
        d[0] = 1;
        s[0] = 1;
        r = 1;
    }
    int64_t rows = 1;
    for (int i = 0; i < r - 1; i++) {
        rows *= d[i];
        idx[i] = 0;
    }
    const char *src = in_base;
    char *dst = out;
    int64_t inner = d[r - 1], off = 0;
    for (int64_t row = 0; row < rows; row++) {
        copy_row(elem, inner, s[r - 1], src, off, dst);
        dst += inner * (int64_t)elem;
        for (int k = r - 2; k >= 0; k--) {
            off += s[k];
            if (++idx[k] < d[k]) break;
            off -= s[k] * d[k];
            idx[k] = 0;
        }
    }
}
