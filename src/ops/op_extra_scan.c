/* Along-one-axis extras: CumSum (exclusive, reverse), Hardmax and LRN. Each
 * views its input as outer × n × inner with the axis run of n elements at
 * stride inner. */
#include <math.h>
#include <string.h>

#include "ops/op_util.h"

static void split_axis(const gl_shape *x, int axis, int64_t *outer, int64_t *n, int64_t *inner) {
    *outer = 1;
    *inner = 1;
    for (int i = 0; i < axis; i++) *outer *= x->d[i];
    for (int i = axis + 1; i < x->rank; i++) *inner *= x->d[i];
    *n = x->d[axis];
}

/* ---------------------------------------------------------------- CumSum
 * The axis is an input; it must be known when planning (a constant), and is
 * read again when running from the same constant. */
typedef struct cumsum_params {
    bool exclusive, reverse;
} cumsum_params;

static glint_status cumsum_parse(const gl_graph *g, const gl_node *n, void **params,
                                 gl_err *err) {
    cumsum_params *p;
    glint_status s = gl_params_alloc(g, n, sizeof *p, (void **)&p, err);
    if (s) return s;
    *params = p;
    int64_t ex = 0, rev = 0;
    s = gl_attr_int(n, "exclusive", 0, &ex, err);
    if (!s) s = gl_attr_int(n, "reverse", 0, &rev, err);
    p->exclusive = ex != 0;
    p->reverse = rev != 0;
    return s;
}

static glint_status cumsum_axis(const gl_tensor *in, int *axis, gl_err *err) {
    int64_t a;
    int count;
    if (!in[1].data)
        return gl_fail_needs_value(err, &in[1],
                                   "CumSum: the axis input must be known when planning");
    glint_status s = gl_read_ints("CumSum", "the axis input", &in[1], &a, 1, &count, err);
    if (!s && count != 1)
        s = gl_fail(err, GLINT_ERR_INVALID_MODEL, "CumSum: the axis input must hold one value");
    if (!s) s = gl_axis_norm("CumSum", a, in[0].shape.rank, axis, err);
    return s;
}

static glint_status cumsum_infer(const void *params, const gl_tensor *in, int n_in,
                                 gl_tensor *out, int n_out, gl_err *err) {
    int axis;
    glint_status s = gl_check_dtype("CumSum", "input 0", in[0].dtype, GL_DT_NUM, err);
    if (!s) s = gl_check_dtype("CumSum", "the axis input", in[1].dtype, GL_DT_INTS, err);
    if (!s) s = cumsum_axis(in, &axis, err);
    if (s) return s;
    out[0].dtype = in[0].dtype;
    out[0].shape = in[0].shape;
    return GLINT_OK;
}

/* Integer sums wrap (two's complement) rather than overflow, which C leaves
 * undefined; U is the unsigned twin of T. */
#define CUMSUM_KERNEL(T, U, SFX)                                                          \
    static void cumsum_##SFX(const cumsum_params *p, const T *x, T *y, int64_t outer,      \
                             int64_t n, int64_t inner) {                                  \
        for (int64_t o = 0; o < outer; o++)                                               \
            for (int64_t j = 0; j < inner; j++) {                                         \
                const T *xs = x + o * n * inner + j;                                      \
                T *ys = y + o * n * inner + j;                                            \
                T acc = 0;                                                                \
                for (int64_t t = 0; t < n; t++) {                                         \
                    int64_t k = (p->reverse ? n - 1 - t : t) * inner;                      \
                    T v = xs[k]; /* read first: y may alias x */                         \
                    if (p->exclusive) ys[k] = acc;                                        \
                    acc = (T)((U)acc + (U)v);                                             \
                    if (!p->exclusive) ys[k] = acc;                                       \
                }                                                                         \
            }                                                                             \
    }
CUMSUM_KERNEL(float, float, f32)
CUMSUM_KERNEL(double, double, f64)
CUMSUM_KERNEL(int32_t, uint32_t, i32)
CUMSUM_KERNEL(int64_t, uint64_t, i64)

static glint_status cumsum_run(const void *params, const gl_tensor *in, int n_in,
                               gl_tensor *out, int n_out, void *ws, gl_err *err) {
    int axis = 0;
    glint_status s = cumsum_axis(in, &axis, err);
    if (s) return s;
    int64_t outer, n, inner;
    split_axis(&in[0].shape, axis, &outer, &n, &inner);
    switch (in[0].dtype) {
#define CUMSUM_CASE(E, T, SFX)                                                            \
    case E: cumsum_##SFX(params, in[0].data, out[0].data, outer, n, inner); break;
        GL_FOR_NUM_TYPES(CUMSUM_CASE)
#undef CUMSUM_CASE
    default: return gl_fail(err, GLINT_ERR_INTERNAL, "CumSum: dtype not handled");
    }
    return GLINT_OK;
}

static int64_t cumsum_flops(const void *params, const gl_tensor *in, int n_in,
                            const gl_tensor *out, int n_out) {
    return (int64_t)gl_numel(&out[0]);
}

const gl_op gl_op_cumsum = {
    .domain = "", .name = "CumSum", .min_inputs = 2, .max_inputs = 2, .min_outputs = 1,
    .max_outputs = 1, .parse = cumsum_parse, .infer = cumsum_infer, .run = cumsum_run,
    .flops = cumsum_flops,
};

/* ---------------------------------------------------------------- Hardmax
 * 1 at the first maximum, 0 elsewhere. Before opset 13 the input is coerced
 * to 2-D at `axis` (default 1) and the max taken over each whole row; from
 * 13 along one axis (default -1). */
typedef struct hardmax_params {
    bool coerce_2d;
    int64_t axis;
} hardmax_params;

static glint_status hardmax_parse(const gl_graph *g, const gl_node *n, void **params,
                                  gl_err *err) {
    hardmax_params *p;
    glint_status s = gl_params_alloc(g, n, sizeof *p, (void **)&p, err);
    if (s) return s;
    *params = p;
    p->coerce_2d = g->opset < 13;
    return gl_attr_int(n, "axis", p->coerce_2d ? 1 : -1, &p->axis, err);
}

static glint_status hardmax_geometry(const hardmax_params *p, const gl_shape *x, int64_t *outer,
                                     int64_t *n, int64_t *inner, gl_err *err) {
    int r = x->rank, a;
    if (p->coerce_2d) {
        int64_t a64 = p->axis < 0 ? p->axis + r : p->axis; /* may equal rank */
        if (a64 < 0 || a64 > r)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                           "Hardmax: axis %lld is out of range for rank %d", (long long)p->axis, r);
        gl_shape two = {.rank = 2, .d = {1, 1}};
        for (int i = 0; i < r; i++) two.d[i < a64 ? 0 : 1] *= x->d[i];
        split_axis(&two, 1, outer, n, inner);
        return GLINT_OK;
    }
    glint_status s = gl_axis_norm("Hardmax", p->axis, r, &a, err);
    if (!s) split_axis(x, a, outer, n, inner);
    return s;
}

static glint_status hardmax_infer(const void *params, const gl_tensor *in, int n_in,
                                  gl_tensor *out, int n_out, gl_err *err) {
    int64_t a, b, c;
    glint_status s = gl_check_dtype("Hardmax", "input 0", in[0].dtype, GL_DT_FLOATS, err);
    if (!s) s = hardmax_geometry(params, &in[0].shape, &a, &b, &c, err);
    if (s) return s;
    out[0].dtype = in[0].dtype;
    out[0].shape = in[0].shape;
    return GLINT_OK;
}

#define HARDMAX_KERNEL(T, SFX)                                                            \
    static void hardmax_##SFX(const T *x, T *y, int64_t outer, int64_t n, int64_t inner) { \
        for (int64_t o = 0; o < outer; o++)                                               \
            for (int64_t j = 0; j < inner; j++) {                                         \
                const T *xs = x + o * n * inner + j;                                      \
                T *ys = y + o * n * inner + j;                                            \
                int64_t best = 0;                                                         \
                for (int64_t t = 1; t < n; t++)                                           \
                    if (xs[t * inner] > xs[best * inner]) best = t;                       \
                for (int64_t t = 0; t < n; t++) ys[t * inner] = t == best ? 1 : 0;        \
            }                                                                             \
    }
HARDMAX_KERNEL(float, f32)
HARDMAX_KERNEL(double, f64)

static glint_status hardmax_run(const void *params, const gl_tensor *in, int n_in,
                                gl_tensor *out, int n_out, void *ws, gl_err *err) {
    int64_t outer = 0, n = 0, inner = 0;
    glint_status s = hardmax_geometry(params, &in[0].shape, &outer, &n, &inner, err);
    if (s) return s;
    if (in[0].dtype == GLINT_DTYPE_FLOAT32) hardmax_f32(in[0].data, out[0].data, outer, n, inner);
    else hardmax_f64(in[0].data, out[0].data, outer, n, inner);
    return GLINT_OK;
}

const gl_op gl_op_hardmax = {
    .domain = "", .name = "Hardmax", .min_inputs = 1, .max_inputs = 1, .min_outputs = 1,
    .max_outputs = 1, .parse = hardmax_parse, .infer = hardmax_infer, .run = hardmax_run,
};

/* ---------------------------------------------------------------- LRN
 * y = x / (bias + alpha/size · Σ x²)^beta, the sum over channels
 * [c - floor((size-1)/2), c + ceil((size-1)/2)] clipped to the tensor. */
typedef struct lrn_params {
    float alpha, beta, bias;
    int64_t size;
} lrn_params;

static glint_status lrn_parse(const gl_graph *g, const gl_node *n, void **params, gl_err *err) {
    lrn_params *p;
    glint_status s = gl_params_alloc(g, n, sizeof *p, (void **)&p, err);
    if (s) return s;
    *params = p;
    if (!gl_node_attr(n, "size"))
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "LRN '%s': the size attribute is missing",
                       n->name);
    s = gl_attr_int(n, "size", 1, &p->size, err);
    if (!s) s = gl_attr_float(n, "alpha", 1e-4f, &p->alpha, err);
    if (!s) s = gl_attr_float(n, "beta", 0.75f, &p->beta, err);
    if (!s) s = gl_attr_float(n, "bias", 1.0f, &p->bias, err);
    if (!s && (p->size < 1 || p->size > 65536))
        s = gl_fail(err, GLINT_ERR_INVALID_MODEL, "LRN '%s': size %lld is out of range", n->name,
                    (long long)p->size);
    return s;
}

static glint_status lrn_infer(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                              int n_out, gl_err *err) {
    glint_status s = gl_check_dtype("LRN", "input 0", in[0].dtype, GL_DT_FLOATS, err);
    if (s) return s;
    if (in[0].shape.rank < 2)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "LRN: input rank %d is below 2 (N,C,...)",
                       in[0].shape.rank);
    out[0].dtype = in[0].dtype;
    out[0].shape = in[0].shape;
    return GLINT_OK;
}

static glint_status lrn_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                            int n_out, void *ws, gl_err *err) {
    const lrn_params *p = params;
    int64_t outer, C, inner;
    split_axis(&in[0].shape, 1, &outer, &C, &inner);
    int64_t lo = (p->size - 1) / 2, hi = p->size - 1 - lo; /* floor and ceil */
    bool f32 = in[0].dtype == GLINT_DTYPE_FLOAT32;
    double scale = (double)p->alpha / (double)p->size;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t j = 0; j < inner; j++) {
                double sum = 0;
                int64_t c0 = GL_MAX(c - lo, 0), c1 = GL_MIN(c + hi, C - 1);
                for (int64_t k = c0; k <= c1; k++) {
                    size_t at = (size_t)((o * C + k) * inner + j);
                    double v = f32 ? ((const float *)in[0].data)[at]
                                   : ((const double *)in[0].data)[at];
                    sum += v * v;
                }
                size_t at = (size_t)((o * C + c) * inner + j);
                double d = pow((double)p->bias + scale * sum, (double)p->beta);
                if (f32) ((float *)out[0].data)[at] = (float)(((const float *)in[0].data)[at] / d);
                else ((double *)out[0].data)[at] = ((const double *)in[0].data)[at] / d;
            }
    return GLINT_OK;
}

static int64_t lrn_flops(const void *params, const gl_tensor *in, int n_in, const gl_tensor *out,
                         int n_out) {
    const lrn_params *p = params;
    return (int64_t)gl_numel(&out[0]) * (2 * p->size + 10);
}

const gl_op gl_op_lrn = {
    .domain = "", .name = "LRN", .min_inputs = 1, .max_inputs = 1, .min_outputs = 1,
    .max_outputs = 1, .parse = lrn_parse, .infer = lrn_infer, .run = lrn_run,
    .flops = lrn_flops,
};
