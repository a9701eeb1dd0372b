/* Softmax and LogSoftmax, float32 and float64. From opset 13 the
 * normalisation runs along one axis (default -1); before it the input is
 * coerced to 2-D at `axis` (default 1) and each row of the flattened tail is
 * normalised as a whole. Both are "outer × n × inner" with the reduced run of
 * n elements at stride inner; the max is subtracted first so large inputs do
 * not overflow. */
#include <math.h>
#include <string.h>

#include "ops/op_util.h"

typedef struct softmax_params {
    bool log;
    bool coerce_2d;         /* opset < 13 */
    int64_t axis;
} softmax_params;

static glint_status softmax_parse(const gl_graph *g, const gl_node *n, void **params,
                                  gl_err *err) {
    softmax_params *p;
    glint_status s = gl_params_alloc(g, n, sizeof *p, (void **)&p, err);
    if (s) return s;
    *params = p;
    p->log = strcmp(n->op_type, "LogSoftmax") == 0;
    p->coerce_2d = g->opset < 13;
    return gl_attr_int(n, "axis", p->coerce_2d ? 1 : -1, &p->axis, err);
}

static glint_status softmax_geometry(const softmax_params *p, const gl_shape *x, int64_t *outer,
                                     int64_t *n, int64_t *inner, gl_err *err) {
    const char *name = p->log ? "LogSoftmax" : "Softmax";
    int r = x->rank;
    if (p->coerce_2d) {
        /* axis may equal rank here (an empty tail) */
        int64_t a = p->axis < 0 ? p->axis + r : p->axis;
        if (a < 0 || a > r)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: axis %lld is out of range for rank %d",
                           name, (long long)p->axis, r);
        *outer = 1;
        *n = 1;
        for (int i = 0; i < r; i++) {
            if (i < a) *outer *= x->d[i];
            else *n *= x->d[i];
        }
        *inner = 1;
        return GLINT_OK;
    }
    int a;
    glint_status s = gl_axis_norm(name, p->axis, r, &a, err);
    if (s) return s;
    *outer = 1;
    *inner = 1;
    for (int i = 0; i < a; i++) *outer *= x->d[i];
    for (int i = a + 1; i < r; i++) *inner *= x->d[i];
    *n = x->d[a];
    return GLINT_OK;
}

static glint_status softmax_infer(const void *params, const gl_tensor *in, int n_in,
                                  gl_tensor *out, int n_out, gl_err *err) {
    const softmax_params *p = params;
    glint_status s = gl_check_dtype(p->log ? "LogSoftmax" : "Softmax", "input 0", in[0].dtype,
                                    GL_DT_FLOATS, err);
    int64_t a, b, c;
    if (!s) s = softmax_geometry(p, &in[0].shape, &a, &b, &c, err);
    out[0].dtype = in[0].dtype;
    out[0].shape = in[0].shape;
    return s;
}

#define SOFTMAX_KERNEL(T, SFX, EXPF, LOGF)                                                   \
    static void softmax_##SFX(bool lg, const T *x, T *y, int64_t outer, int64_t n,             \
                              int64_t inner) {                                               \
        for (int64_t o = 0; o < outer; o++)                                                  \
            for (int64_t j = 0; j < inner; j++) {                                            \
                const T *xs = x + o * n * inner + j;                                         \
                T *ys = y + o * n * inner + j;                                               \
                T m = xs[0];                                                                 \
                for (int64_t k = 1; k < n; k++)                                              \
                    if (xs[k * inner] > m) m = xs[k * inner];                                \
                double sum = 0;                                                              \
                if (lg) {                                                                    \
                    for (int64_t k = 0; k < n; k++) sum += EXPF(xs[k * inner] - m);          \
                    T ls = (T)LOGF((T)sum);                                                  \
                    for (int64_t k = 0; k < n; k++) ys[k * inner] = xs[k * inner] - m - ls;  \
                } else {                                                                     \
                    /* y may alias x: write exp values, then scale */                       \
                    for (int64_t k = 0; k < n; k++) {                                        \
                        T e = EXPF(xs[k * inner] - m);                                       \
                        ys[k * inner] = e;                                                   \
                        sum += e;                                                            \
                    }                                                                        \
                    T inv = (T)(1.0 / sum);                                                  \
                    for (int64_t k = 0; k < n; k++) ys[k * inner] *= inv;                    \
                }                                                                            \
            }                                                                                \
    }

SOFTMAX_KERNEL(float, f32, expf, logf)
SOFTMAX_KERNEL(double, f64, exp, log)

static glint_status softmax_run(const void *params, const gl_tensor *in, int n_in,
                                gl_tensor *out, int n_out, void *ws, gl_err *err) {
    const softmax_params *p = params;
    int64_t outer, n, inner;
    glint_status s = softmax_geometry(p, &in[0].shape, &outer, &n, &inner, err);
    if (s) return s;
    if (n == 0 || gl_numel(&in[0]) == 0) return GLINT_OK;
    if (in[0].dtype == GLINT_DTYPE_FLOAT32)
        softmax_f32(p->log, in[0].data, out[0].data, outer, n, inner);
    else
        softmax_f64(p->log, in[0].data, out[0].data, outer, n, inner);
    return GLINT_OK;
}

static int64_t softmax_flops(const void *params, const gl_tensor *in, int n_in,
                             const gl_tensor *out, int n_out) {
    return 5 * (int64_t)gl_numel(&in[0]);
}

const gl_op gl_op_softmax = {
    .domain = "", .name = "Softmax", .min_inputs = 1, .max_inputs = 1, .min_outputs = 1,
    .max_outputs = 1, .parse = softmax_parse, .infer = softmax_infer, .run = softmax_run,
    .flops = softmax_flops,
};

const gl_op gl_op_log_softmax = {
    .domain = "", .name = "LogSoftmax", .min_inputs = 1, .max_inputs = 1, .min_outputs = 1,
    .max_outputs = 1, .parse = softmax_parse, .infer = softmax_infer, .run = softmax_run,
    .flops = softmax_flops,
};
