/* Elementwise extras: PRelu (slope broadcast to X), Mish, ThresholdedRelu,
 * Shrink, IsNaN, IsInf, and inference-mode Dropout.
 *
 * Dropout exists so that exported models load: in inference it is Y = X and
 * the optional mask is all true. The graph passes usually remove it; a
 * training_mode input that is true (or not known when planning) would make
 * the output random, so it is refused. */
#include <math.h>
#include <string.h>

#include "ops/op_util.h"

/* ---------------------------------------------------------------- PRelu */
static glint_status prelu_infer(const void *params, const gl_tensor *in, int n_in,
                                gl_tensor *out, int n_out, gl_err *err) {
    glint_status s = gl_check_dtype("PRelu", "input 0", in[0].dtype, GL_DT_NUM, err);
    if (!s) s = gl_check_same_dtype("PRelu", in, 0, 1, err);
    gl_shape b;
    if (!s) s = gl_broadcast_shapes("PRelu", in, 2, &b, err);
    if (s) return s;
    /* the slope broadcasts to X, never X to the slope ("unidirectional") */
    if (!gl_shape_equal(&b, &in[0].shape)) {
        char xs[96], ss[96];
        return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                       "PRelu: slope shape %s does not broadcast to input shape %s",
                       gl_shape_str(&in[1].shape, ss, sizeof ss),
                       gl_shape_str(&in[0].shape, xs, sizeof xs));
    }
    out[0].dtype = in[0].dtype;
    out[0].shape = in[0].shape;
    return GLINT_OK;
}

#define PRELU_ROW(C, T)                                                                    \
    case C: {                                                                              \
        const T *x = (const T *)in[0].data + off[0], *sl = (const T *)in[1].data + off[1];  \
        T *y = (T *)out[0].data + r * len;                                                 \
        for (int64_t i = 0; i < len; i++) {                                                \
            T v = x[i * sx], a = sl[i * ss];                                               \
            y[i] = v < 0 ? a * v : v;                                                      \
        }                                                                                  \
        break;                                                                             \
    }

static glint_status prelu_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                              int n_out, void *ws, gl_err *err) {
    gl_bcast b;
    const gl_shape *ins[2] = {&in[0].shape, &in[1].shape};
    if (!gl_bcast_init(&b, &out[0].shape, ins, 2))
        return gl_fail(err, GLINT_ERR_INTERNAL, "PRelu: shapes do not broadcast");
    int64_t len = b.dims[b.rank - 1];
    int64_t sx = b.strides[0][b.rank - 1], ss = b.strides[1][b.rank - 1];
    for (int64_t r = 0; r < b.rows; r++) {
        int64_t off[2];
        gl_bcast_row(&b, r, off);
        switch (in[0].dtype) {
            PRELU_ROW(GLINT_DTYPE_FLOAT32, float)
            PRELU_ROW(GLINT_DTYPE_FLOAT64, double)
            PRELU_ROW(GLINT_DTYPE_INT32, int32_t)
            PRELU_ROW(GLINT_DTYPE_INT64, int64_t)
        default: return gl_fail(err, GLINT_ERR_INTERNAL, "PRelu: dtype not handled");
        }
    }
    return GLINT_OK;
}

static int64_t prelu_flops(const void *params, const gl_tensor *in, int n_in,
                           const gl_tensor *out, int n_out) {
    return (int64_t)gl_numel(&out[0]);
}

const gl_op gl_op_prelu = {
    .domain = "", .name = "PRelu", .min_inputs = 2, .max_inputs = 2, .min_outputs = 1,
    .max_outputs = 1, .infer = prelu_infer, .run = prelu_run, .flops = prelu_flops,
};

/* ------------------------------------------- Mish, ThresholdedRelu, Shrink
 * One params struct; the kernels compute in double, which rounds to the
 * same float32 result as float arithmetic for the one-operation formulas
 * and is closer for Mish. */
typedef enum act_kind { ACT_MISH, ACT_THRESHOLDED_RELU, ACT_SHRINK } act_kind;

typedef struct act_params {
    act_kind kind;
    const char *name;
    double alpha; /* ThresholdedRelu threshold; Shrink lambd */
    double bias;  /* Shrink */
} act_params;

static glint_status act_parse(const gl_graph *g, const gl_node *n, void **params, gl_err *err) {
    act_params *p;
    glint_status s = gl_params_alloc(g, n, sizeof *p, (void **)&p, err);
    if (s) return s;
    *params = p;
    float a = 0, b = 0;
    if (strcmp(n->op_type, "Mish") == 0) {
        p->kind = ACT_MISH;
        p->name = "Mish";
    } else if (strcmp(n->op_type, "ThresholdedRelu") == 0) {
        p->kind = ACT_THRESHOLDED_RELU;
        p->name = "ThresholdedRelu";
        s = gl_attr_float(n, "alpha", 1.0f, &a, err);
    } else {
        p->kind = ACT_SHRINK;
        p->name = "Shrink";
        s = gl_attr_float(n, "lambd", 0.5f, &a, err);
        if (!s) s = gl_attr_float(n, "bias", 0.0f, &b, err);
        if (!s && !(a >= 0))
            s = gl_fail(err, GLINT_ERR_INVALID_MODEL, "Shrink '%s': lambd %g is negative",
                        n->name, (double)a);
    }
    p->alpha = a;
    p->bias = b;
    return s;
}

static glint_status act_infer(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                              int n_out, gl_err *err) {
    const act_params *p = params;
    /* Shrink is defined on every numeric type; the others on floats */
    unsigned set = p->kind == ACT_SHRINK ? GL_DT_NUM : GL_DT_FLOATS;
    glint_status s = gl_check_dtype(p->name, "input 0", in[0].dtype, set, err);
    if (s) return s;
    out[0].dtype = in[0].dtype;
    out[0].shape = in[0].shape;
    return GLINT_OK;
}

static double act_eval(const act_params *p, double x) {
    switch (p->kind) {
    case ACT_MISH: {
        /* softplus without overflow: log(1+e^x) = x + log1p(e^-x) for x > 0 */
        double sp = x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
        return x * tanh(sp);
    }
    case ACT_THRESHOLDED_RELU: return x > p->alpha ? x : 0;
    case ACT_SHRINK:
        if (x < -p->alpha) return x + p->bias;
        if (x > p->alpha) return x - p->bias;
        return 0;
    }
    return 0;
}

static glint_status act_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                            int n_out, void *ws, gl_err *err) {
    const act_params *p = params;
    size_t n = gl_numel(&in[0]);
    if (in[0].dtype == GLINT_DTYPE_FLOAT32) {
        const float *x = in[0].data;
        float *y = out[0].data;
        for (size_t i = 0; i < n; i++) y[i] = (float)act_eval(p, x[i]);
    } else if (in[0].dtype == GLINT_DTYPE_FLOAT64) {
        const double *x = in[0].data;
        double *y = out[0].data;
        for (size_t i = 0; i < n; i++) y[i] = act_eval(p, x[i]);
    } else {
        /* integer Shrink: exact in double for int32; int64 beyond 2^53 is
         * rounded, which the spec leaves to the implementation */
        for (size_t i = 0; i < n; i++)
            gl_store_f64(out[0].dtype, out[0].data, i,
                         act_eval(p, gl_load_f64(in[0].dtype, in[0].data, i)));
    }
    return GLINT_OK;
}

static int64_t act_flops(const void *params, const gl_tensor *in, int n_in, const gl_tensor *out,
                         int n_out) {
    const act_params *p = params;
    return (int64_t)gl_numel(&out[0]) * (p->kind == ACT_MISH ? 10 : 1);
}

const gl_op gl_op_mish = {
    .domain = "", .name = "Mish", .min_inputs = 1, .max_inputs = 1, .min_outputs = 1,
    .max_outputs = 1, .parse = act_parse, .infer = act_infer, .run = act_run,
    .flops = act_flops,
};
const gl_op gl_op_thresholded_relu = {
    .domain = "", .name = "ThresholdedRelu", .min_inputs = 1, .max_inputs = 1,
    .min_outputs = 1, .max_outputs = 1, .parse = act_parse, .infer = act_infer,
    .run = act_run, .flops = act_flops,
};
const gl_op gl_op_shrink = {
    .domain = "", .name = "Shrink", .min_inputs = 1, .max_inputs = 1, .min_outputs = 1,
    .max_outputs = 1, .parse = act_parse, .infer = act_infer, .run = act_run,
    .flops = act_flops,
};

/* ----------------------------------------------------------- IsNaN, IsInf */
typedef struct isx_params {
    bool inf;                   /* IsInf, else IsNaN */
    bool detect_neg, detect_pos;
} isx_params;

#define GL_DT_FLOATS_ALL (GL_DT_FLOATS | GL_DT(GLINT_DTYPE_FLOAT16) | GL_DT(GLINT_DTYPE_BFLOAT16))

static glint_status isx_parse(const gl_graph *g, const gl_node *n, void **params, gl_err *err) {
    isx_params *p;
    glint_status s = gl_params_alloc(g, n, sizeof *p, (void **)&p, err);
    if (s) return s;
    *params = p;
    p->inf = strcmp(n->op_type, "IsInf") == 0;
    if (!p->inf) return GLINT_OK;
    int64_t neg = 1, pos = 1;
    s = gl_attr_int(n, "detect_negative", 1, &neg, err);
    if (!s) s = gl_attr_int(n, "detect_positive", 1, &pos, err);
    p->detect_neg = neg != 0;
    p->detect_pos = pos != 0;
    return s;
}

static glint_status isx_infer(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                              int n_out, gl_err *err) {
    const isx_params *p = params;
    glint_status s = gl_check_dtype(p->inf ? "IsInf" : "IsNaN", "input 0", in[0].dtype,
                                    GL_DT_FLOATS_ALL, err);
    if (s) return s;
    out[0].dtype = GLINT_DTYPE_BOOL;
    out[0].shape = in[0].shape;
    return GLINT_OK;
}

static glint_status isx_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                            int n_out, void *ws, gl_err *err) {
    const isx_params *p = params;
    size_t n = gl_numel(&in[0]);
    uint8_t *y = out[0].data;
    /* float16/bfloat16 widen exactly to float, keeping NaN and infinities */
    for (size_t i = 0; i < n; i++) {
        double v = gl_load_f64(in[0].dtype, in[0].data, i);
        if (!p->inf) y[i] = isnan(v) ? 1 : 0;
        else y[i] = isinf(v) && ((v > 0 && p->detect_pos) || (v < 0 && p->detect_neg)) ? 1 : 0;
    }
    return GLINT_OK;
}

const gl_op gl_op_is_nan = {
    .domain = "", .name = "IsNaN", .min_inputs = 1, .max_inputs = 1, .min_outputs = 1,
    .max_outputs = 1, .parse = isx_parse, .infer = isx_infer, .run = isx_run,
};
const gl_op gl_op_is_inf = {
    .domain = "", .name = "IsInf", .min_inputs = 1, .max_inputs = 1, .min_outputs = 1,
    .max_outputs = 1, .parse = isx_parse, .infer = isx_infer, .run = isx_run,
};

/* ---------------------------------------------------------------- Dropout
 * Opsets 10-11: one input and a `ratio` attribute; from 12: optional inputs
 * ratio and training_mode. Neither ratio matters in inference. */
static glint_status dropout_infer(const void *params, const gl_tensor *in, int n_in,
                                  gl_tensor *out, int n_out, gl_err *err) {
    glint_status s = gl_check_dtype("Dropout", "input 0", in[0].dtype, GL_DT_FLOATS_ALL, err);
    if (s) return s;
    if (gl_in_present(in, n_in, 1)) {
        s = gl_check_dtype("Dropout", "the ratio", in[1].dtype, GL_DT_FLOATS_ALL, err);
        if (s) return s;
    }
    if (gl_in_present(in, n_in, 2)) {
        const gl_tensor *t = &in[2];
        if (t->dtype != GLINT_DTYPE_BOOL || gl_numel(t) != 1)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                           "Dropout: training_mode must be one boolean");
        if (!t->data)
            return gl_fail_needs_value(err, t,
                                       "Dropout: training_mode must be known when planning "
                                       "(training is not supported)");
        if (((const uint8_t *)t->data)[0])
            return gl_fail(err, GLINT_ERR_UNSUPPORTED,
                           "Dropout: training_mode is true; only inference is supported");
    }
    out[0].dtype = in[0].dtype;
    out[0].shape = in[0].shape;
    if (n_out > 1) {
        out[1].dtype = GLINT_DTYPE_BOOL;
        out[1].shape = in[0].shape;
    }
    return GLINT_OK;
}

static glint_status dropout_run(const void *params, const gl_tensor *in, int n_in,
                                gl_tensor *out, int n_out, void *ws, gl_err *err) {
    size_t bytes;
    if (!gl_tensor_bytes(in[0].dtype, &in[0].shape, &bytes))
        return gl_fail(err, GLINT_ERR_INTERNAL, "Dropout: bad tensor size");
    if (bytes && out[0].data != in[0].data) memmove(out[0].data, in[0].data, bytes);
    if (n_out > 1 && out[1].data) memset(out[1].data, 1, gl_numel(&in[0]));
    return GLINT_OK;
}

const gl_op gl_op_dropout = {
    .domain = "", .name = "Dropout", .min_inputs = 1, .max_inputs = 3, .min_outputs = 1,
    .max_outputs = 2, .infer = dropout_infer, .run = dropout_run,
};
