/* Elementwise unary operators: one table of functions, one gl_op per name.
 * Float ops run on float32 and float64; Abs, Neg, Relu and Sign also on
 * int32 and int64. Clip (with min/max inputs) lives here too. */
#include <math.h>
#include <string.h>

#include "ops/op_util.h"

typedef enum un_kind {
    UN_RELU, UN_LEAKY_RELU, UN_SIGMOID, UN_TANH, UN_ERF, UN_ABS, UN_NEG, UN_EXP, UN_LOG,
    UN_SQRT, UN_RECIPROCAL, UN_FLOOR, UN_CEIL, UN_SOFTPLUS, UN_HARD_SIGMOID, UN_ELU, UN_SELU,
    UN_SIGN, UN_ROUND, UN_SOFTSIGN, UN_SIN, UN_COS, UN_HARD_SWISH, UN_GELU, UN_GELU_TANH
} un_kind;

typedef struct un_info {
    const char *name;
    un_kind kind;
    bool ints;     /* also defined on int32/int64 */
    int flops;     /* per element, roughly */
} un_info;

static const un_info g_unary[] = {
    {"Relu", UN_RELU, true, 1},           {"LeakyRelu", UN_LEAKY_RELU, false, 2},
    {"Sigmoid", UN_SIGMOID, false, 4},    {"Tanh", UN_TANH, false, 4},
    {"Erf", UN_ERF, false, 4},            {"Abs", UN_ABS, true, 1},
    {"Neg", UN_NEG, true, 1},             {"Exp", UN_EXP, false, 4},
    {"Log", UN_LOG, false, 4},            {"Sqrt", UN_SQRT, false, 4},
    {"Reciprocal", UN_RECIPROCAL, false, 1}, {"Floor", UN_FLOOR, false, 1},
    {"Ceil", UN_CEIL, false, 1},          {"Softplus", UN_SOFTPLUS, false, 8},
    {"HardSigmoid", UN_HARD_SIGMOID, false, 4}, {"Elu", UN_ELU, false, 4},
    {"Selu", UN_SELU, false, 4},          {"Sign", UN_SIGN, true, 1},
    {"Round", UN_ROUND, false, 1},        {"Softsign", UN_SOFTSIGN, false, 3},
    {"Sin", UN_SIN, false, 4},            {"Cos", UN_COS, false, 4},
    {"HardSwish", UN_HARD_SWISH, false, 4}, {"Gelu", UN_GELU, false, 8},
};

typedef struct un_params {
    un_kind kind;
    const char *name;
    bool ints;
    int flops;
    double alpha, beta;
} un_params;

static glint_status unary_parse(const gl_graph *g, const gl_node *n, void **params, gl_err *err) {
    const un_info *info = NULL;
    for (size_t i = 0; i < GL_ARRAY_LEN(g_unary); i++)
        if (strcmp(g_unary[i].name, n->op_type) == 0) info = &g_unary[i];
    if (!info)
        return gl_fail(err, GLINT_ERR_INTERNAL, "'%s': %s is not a unary operator", n->name,
                       n->op_type);
    un_params *p;
    glint_status s = gl_params_alloc(g, n, sizeof *p, (void **)&p, err);
    if (s) return s;
    *params = p;
    p->kind = info->kind;
    p->name = info->name;
    p->ints = info->ints;
    p->flops = info->flops;
    float alpha = 0, beta = 0;
    const char *approx = "none";
    switch (info->kind) {
    case UN_LEAKY_RELU: s = gl_attr_float(n, "alpha", 0.01f, &alpha, err); break;
    case UN_ELU: s = gl_attr_float(n, "alpha", 1.0f, &alpha, err); break;
    case UN_HARD_SIGMOID:
        s = gl_attr_float(n, "alpha", 0.2f, &alpha, err);
        if (!s) s = gl_attr_float(n, "beta", 0.5f, &beta, err);
        break;
    case UN_SELU:
        /* the spec's defaults, given as float32 values */
        s = gl_attr_float(n, "alpha", 1.67326319217681884765625f, &alpha, err);
        if (!s) s = gl_attr_float(n, "gamma", 1.05070102214813232421875f, &beta, err);
        break;
    case UN_GELU:
        s = gl_attr_string(n, "approximate", "none", &approx, err);
        if (s) break;
        if (strcmp(approx, "tanh") == 0) p->kind = UN_GELU_TANH;
        else if (strcmp(approx, "none") != 0)
            s = gl_fail(err, GLINT_ERR_UNSUPPORTED, "Gelu '%s': approximate='%s' is not supported",
                        n->name, approx);
        break;
    default: break;
    }
    p->alpha = alpha;
    p->beta = beta;
    return s;
}

static glint_status unary_infer(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                                int n_out, gl_err *err) {
    const un_params *p = params;
    unsigned set = p->ints ? GL_DT_NUM : GL_DT_FLOATS;
    glint_status s = gl_check_dtype(p->name, "input 0", in[0].dtype, set, err);
    if (s) return s;
    out[0].dtype = in[0].dtype;
    out[0].shape = in[0].shape;
    return GLINT_OK;
}

/* The float loops: one per kind so that each is a tight vectorisable loop. */
#define UN_FLOAT_KERNEL(T, SFX, EXPF, LOGF, LOG1PF, TANHF, ERFF, SQRTF, FLOORF, CEILF, ROUNDF,  \
                        SINF, COSF)                                                          \
    static void unary_##SFX(const un_params *p, const T *x, T *y, size_t n) {                \
        const T a = (T)p->alpha, b = (T)p->beta;                                             \
        size_t i;                                                                            \
        switch (p->kind) {                                                                   \
        case UN_RELU: for (i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : (x[i] != x[i] ? x[i] : 0); break; \
        case UN_LEAKY_RELU: for (i = 0; i < n; i++) y[i] = x[i] >= 0 ? x[i] : a * x[i]; break; \
        case UN_SIGMOID: for (i = 0; i < n; i++) y[i] = 1 / (1 + EXPF(-x[i])); break;        \
        case UN_TANH: for (i = 0; i < n; i++) y[i] = TANHF(x[i]); break;                     \
        case UN_ERF: for (i = 0; i < n; i++) y[i] = ERFF(x[i]); break;                       \
        case UN_ABS: for (i = 0; i < n; i++) y[i] = x[i] < 0 ? -x[i] : x[i]; break;          \
        case UN_NEG: for (i = 0; i < n; i++) y[i] = -x[i]; break;                            \
        case UN_EXP: for (i = 0; i < n; i++) y[i] = EXPF(x[i]); break;                       \
        case UN_LOG: for (i = 0; i < n; i++) y[i] = LOGF(x[i]); break;                       \
        case UN_SQRT: for (i = 0; i < n; i++) y[i] = SQRTF(x[i]); break;                     \
        case UN_RECIPROCAL: for (i = 0; i < n; i++) y[i] = 1 / x[i]; break;                  \
        case UN_FLOOR: for (i = 0; i < n; i++) y[i] = FLOORF(x[i]); break;                   \
        case UN_CEIL: for (i = 0; i < n; i++) y[i] = CEILF(x[i]); break;                     \
        case UN_SOFTPLUS: /* log(1+e^x) without overflow for large x */                     \
            for (i = 0; i < n; i++)                                                          \
                y[i] = x[i] > 0 ? x[i] + LOG1PF(EXPF(-x[i])) : LOG1PF(EXPF(x[i]));           \
            break;                                                                           \
        case UN_HARD_SIGMOID:                                                                \
            for (i = 0; i < n; i++) {                                                        \
                T v = a * x[i] + b;                                                          \
                y[i] = v < 0 ? 0 : v > 1 ? 1 : v;                                            \
            }                                                                                \
            break;                                                                           \
        case UN_ELU: for (i = 0; i < n; i++) y[i] = x[i] >= 0 ? x[i] : a * (EXPF(x[i]) - 1); break; \
        case UN_SELU: /* b holds gamma */                                                    \
            for (i = 0; i < n; i++) y[i] = x[i] > 0 ? b * x[i] : b * (a * EXPF(x[i]) - a);   \
            break;                                                                           \
        case UN_SIGN: for (i = 0; i < n; i++) y[i] = x[i] > 0 ? 1 : x[i] < 0 ? -1 : x[i]; break; \
        case UN_ROUND: /* half to even, as the spec asks */                                 \
            for (i = 0; i < n; i++) y[i] = ROUNDF(x[i]);                                     \
            break;                                                                           \
        case UN_SOFTSIGN: for (i = 0; i < n; i++) y[i] = x[i] / (1 + (x[i] < 0 ? -x[i] : x[i])); break; \
        case UN_SIN: for (i = 0; i < n; i++) y[i] = SINF(x[i]); break;                       \
        case UN_COS: for (i = 0; i < n; i++) y[i] = COSF(x[i]); break;                       \
        case UN_HARD_SWISH:                                                                  \
            for (i = 0; i < n; i++) {                                                        \
                T v = x[i] / 6 + (T)0.5;                                                     \
                y[i] = x[i] * (v < 0 ? 0 : v > 1 ? 1 : v);                                   \
            }                                                                                \
            break;                                                                           \
        case UN_GELU:                                                                        \
            for (i = 0; i < n; i++) y[i] = (T)0.5 * x[i] * (1 + ERFF(x[i] * (T)0.70710678118654752440)); \
            break;                                                                           \
        case UN_GELU_TANH:                                                                   \
            for (i = 0; i < n; i++)                                                          \
                y[i] = (T)0.5 * x[i] *                                                       \
                       (1 + TANHF((T)0.79788456080286535588 * (x[i] + (T)0.044715 * x[i] * x[i] * x[i]))); \
            break;                                                                           \
        }                                                                                    \
    }

UN_FLOAT_KERNEL(float, f32, expf, logf, log1pf, tanhf, erff, sqrtf, floorf, ceilf, nearbyintf,
                sinf, cosf)
UN_FLOAT_KERNEL(double, f64, exp, log, log1p, tanh, erf, sqrt, floor, ceil, nearbyint, sin, cos)

/* Integer Abs/Neg wrap like two's complement instead of overflowing (the C
 * negation of INT_MIN is undefined). */
#define UN_INT_KERNEL(T, UT, SFX)                                                            \
    static void unary_##SFX(const un_params *p, const T *x, T *y, size_t n) {                \
        size_t i;                                                                            \
        switch (p->kind) {                                                                   \
        case UN_RELU: for (i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : 0; break;             \
        case UN_ABS: for (i = 0; i < n; i++) y[i] = x[i] < 0 ? (T)(0u - (UT)x[i]) : x[i]; break; \
        case UN_NEG: for (i = 0; i < n; i++) y[i] = (T)(0u - (UT)x[i]); break;               \
        case UN_SIGN: for (i = 0; i < n; i++) y[i] = (T)((x[i] > 0) - (x[i] < 0)); break;    \
        default: break;                                                                      \
        }                                                                                    \
    }

UN_INT_KERNEL(int32_t, uint32_t, i32)
UN_INT_KERNEL(int64_t, uint64_t, i64)

static glint_status unary_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                              int n_out, void *ws, gl_err *err) {
    const un_params *p = params;
    size_t n = gl_numel(&out[0]);
    switch (in[0].dtype) {
    case GLINT_DTYPE_FLOAT32: unary_f32(p, in[0].data, out[0].data, n); break;
    case GLINT_DTYPE_FLOAT64: unary_f64(p, in[0].data, out[0].data, n); break;
    case GLINT_DTYPE_INT32: unary_i32(p, in[0].data, out[0].data, n); break;
    case GLINT_DTYPE_INT64: unary_i64(p, in[0].data, out[0].data, n); break;
    default:
        return gl_fail(err, GLINT_ERR_UNSUPPORTED, "%s: dtype %s", p->name,
                       glint_dtype_name(in[0].dtype));
    }
    return GLINT_OK;
}

static int64_t unary_flops(const void *params, const gl_tensor *in, int n_in, const gl_tensor *out,
                           int n_out) {
    const un_params *p = params;
    return (int64_t)gl_numel(&out[0]) * p->flops;
}

#define UNARY_OP(sym, NAME)                                                                  \
    const gl_op sym = {.domain = "", .name = NAME, .min_inputs = 1, .max_inputs = 1,          \
                       .min_outputs = 1, .max_outputs = 1, .parse = unary_parse,             \
                       .infer = unary_infer, .run = unary_run, .flops = unary_flops};

UNARY_OP(gl_op_relu, "Relu")
UNARY_OP(gl_op_leaky_relu, "LeakyRelu")
UNARY_OP(gl_op_sigmoid, "Sigmoid")
UNARY_OP(gl_op_tanh, "Tanh")
UNARY_OP(gl_op_erf, "Erf")
UNARY_OP(gl_op_abs, "Abs")
UNARY_OP(gl_op_neg, "Neg")
UNARY_OP(gl_op_exp, "Exp")
UNARY_OP(gl_op_log, "Log")
UNARY_OP(gl_op_sqrt, "Sqrt")
UNARY_OP(gl_op_reciprocal, "Reciprocal")
UNARY_OP(gl_op_floor, "Floor")
UNARY_OP(gl_op_ceil, "Ceil")
UNARY_OP(gl_op_softplus, "Softplus")
UNARY_OP(gl_op_hard_sigmoid, "HardSigmoid")
UNARY_OP(gl_op_elu, "Elu")
UNARY_OP(gl_op_selu, "Selu")
UNARY_OP(gl_op_sign, "Sign")
UNARY_OP(gl_op_round, "Round")
UNARY_OP(gl_op_softsign, "Softsign")
UNARY_OP(gl_op_sin, "Sin")
UNARY_OP(gl_op_cos, "Cos")
UNARY_OP(gl_op_hard_swish, "HardSwish")
UNARY_OP(gl_op_gelu, "Gelu")
