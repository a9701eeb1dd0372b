/* Reductions (ReduceSum, Mean, Max, Min, Prod, L1, L2, SumSquare, LogSum,
 * LogSumExp) and ArgMax/ArgMin. Axes come from the attribute before the
 * opset where they became an input (13 for ReduceSum, 18 for the others);
 * keepdims and noop_with_empty_axes as the spec gives them. Accumulation is
 * in double, in a workspace of one double per output element, so float32
 * sums do not drift with the reduced length. */
#include <math.h>
#include <string.h>

#include "ops/op_util.h"

typedef enum red_kind { RED_SUM, RED_MEAN, RED_MAX, RED_MIN, RED_PROD, RED_L1, RED_L2,
                        RED_SUMSQ, RED_LOGSUM, RED_LOGSUMEXP } red_kind;

static const struct { const char *name; red_kind kind; bool ints; } g_reduce[] = {
    {"ReduceSum", RED_SUM, true},       {"ReduceMean", RED_MEAN, false},
    {"ReduceMax", RED_MAX, true},       {"ReduceMin", RED_MIN, true},
    {"ReduceProd", RED_PROD, true},     {"ReduceL1", RED_L1, true},
    {"ReduceL2", RED_L2, false},        {"ReduceSumSquare", RED_SUMSQ, true},
    {"ReduceLogSum", RED_LOGSUM, false}, {"ReduceLogSumExp", RED_LOGSUMEXP, false},
};

typedef struct red_params {
    red_kind kind;
    const char *name;
    bool ints;
    bool keepdims, noop_empty;
    bool axes_attr;          /* axes from the attribute (older opsets) */
    int n_axes;              /* attribute form; -1: absent */
    int64_t axes[GL_MAX_RANK];
} red_params;

static glint_status reduce_parse(const gl_graph *g, const gl_node *n, void **params, gl_err *err) {
    red_params *p;
    glint_status s = gl_params_alloc(g, n, sizeof *p, (void **)&p, err);
    if (s) return s;
    *params = p;
    for (size_t i = 0; i < GL_ARRAY_LEN(g_reduce); i++)
        if (strcmp(g_reduce[i].name, n->op_type) == 0) {
            p->kind = g_reduce[i].kind;
            p->name = g_reduce[i].name;
            p->ints = g_reduce[i].ints;
        }
    if (!p->name)
        return gl_fail(err, GLINT_ERR_INTERNAL, "'%s': %s is not a reduction", n->name,
                       n->op_type);
    int64_t keep, noop;
    s = gl_attr_int(n, "keepdims", 1, &keep, err);
    if (!s) s = gl_attr_int(n, "noop_with_empty_axes", 0, &noop, err);
    if (s) return s;
    p->keepdims = keep != 0;
    p->noop_empty = noop != 0;
    p->axes_attr = g->opset < (p->kind == RED_SUM ? 13 : 18);
    p->n_axes = -1;
    if (!p->axes_attr) return GLINT_OK;
    const int64_t *axes;
    size_t count;
    s = gl_attr_ints(n, "axes", &axes, &count, err);
    if (s) return s;
    if (count > GL_MAX_RANK)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s '%s': %zu axes", n->op_type, n->name,
                       count);
    if (axes) {
        p->n_axes = (int)count;
        memcpy(p->axes, axes, count * sizeof *axes);
    }
    return GLINT_OK;
}

/* The reduced-axes mask; *noop when the op is an identity. */
static glint_status reduce_mask(const red_params *p, const gl_tensor *in, int n_in,
                                uint32_t *mask, bool *noop, gl_err *err) {
    int64_t axes[GL_MAX_RANK];
    int n = p->n_axes;
    int rank = in[0].shape.rank;
    *noop = false;
    if (p->axes_attr) {
        memcpy(axes, p->axes, sizeof axes);
    } else if (gl_in_present(in, n_in, 1)) {
        glint_status s = gl_read_ints(p->name, "the axes input", &in[1], axes, GL_MAX_RANK, &n, err);
        if (s) return s;
    }
    if (n <= 0) {
        if (p->noop_empty && !p->axes_attr) *noop = true;
        *mask = rank ? (uint32_t)((1ull << rank) - 1) : 0;
        return GLINT_OK;
    }
    return gl_axes_mask(p->name, axes, n, rank, mask, err);
}

static glint_status reduce_infer(const void *params, const gl_tensor *in, int n_in,
                                 gl_tensor *out, int n_out, gl_err *err) {
    const red_params *p = params;
    glint_status s = gl_check_dtype(p->name, "input 0", in[0].dtype,
                                    p->ints ? GL_DT_NUM : GL_DT_FLOATS, err);
    uint32_t mask;
    bool noop;
    if (!s) s = reduce_mask(p, in, n_in, &mask, &noop, err);
    if (s) return s;
    out[0].dtype = in[0].dtype;
    if (noop) {
        out[0].shape = in[0].shape;
        return GLINT_OK;
    }
    gl_shape o = {0};
    for (int i = 0; i < in[0].shape.rank; i++) {
        if (!(mask & (1u << i))) o.d[o.rank++] = in[0].shape.d[i];
        else if (p->keepdims) o.d[o.rank++] = 1;
    }
    out[0].shape = o;
    return GLINT_OK;
}

static size_t reduce_workspace(const void *params, const gl_tensor *in, int n_in,
                               const gl_tensor *out, int n_out) {
    return gl_numel(&out[0]) * sizeof(double);
}

static double red_init(red_kind k) {
    switch (k) {
    case RED_MAX: return -INFINITY;
    case RED_MIN: return INFINITY;
    case RED_PROD: return 1;
    default: return 0;
    }
}

/* acc (op)= v, NaN propagating for Max/Min. */
static inline double red_step(red_kind k, double acc, double v) {
    switch (k) {
    case RED_MAX: return (v > acc || v != v) ? v : acc;
    case RED_MIN: return (v < acc || v != v) ? v : acc;
    case RED_PROD: return acc * v;
    case RED_L1: return acc + fabs(v);
    case RED_L2: case RED_SUMSQ: return acc + v * v;
    case RED_LOGSUMEXP: return acc + exp(v);
    default: return acc + v;
    }
}

static double red_final(red_kind k, double acc, int64_t count) {
    switch (k) {
    case RED_MEAN: return acc / (double)count;
    case RED_L2: return sqrt(acc);
    case RED_LOGSUM: case RED_LOGSUMEXP: return log(acc);
    default: return acc;
    }
}

static glint_status reduce_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                               int n_out, void *ws, gl_err *err) {
    const red_params *p = params;
    uint32_t mask;
    bool noop;
    glint_status s = reduce_mask(p, in, n_in, &mask, &noop, err);
    if (s) return s;
    gl_dtype t = in[0].dtype;
    size_t n_o = gl_numel(&out[0]);
    if (noop) {
        if (out[0].data != in[0].data) memmove(out[0].data, in[0].data, n_o * glint_dtype_size(t));
        return GLINT_OK;
    }
    double *acc = ws;
    for (size_t i = 0; i < n_o; i++) acc[i] = red_init(p->kind);
    /* merge runs of dims that are all reduced or all kept; each merged dim
     * has an output stride (0 when reduced) */
    const gl_shape *x = &in[0].shape;
    int64_t md[GL_MAX_RANK], os[GL_MAX_RANK];
    bool mr[GL_MAX_RANK];
    int r = 0;
    int64_t count = 1;
    for (int i = 0; i < x->rank; i++) {
        bool red = (mask >> i) & 1u;
        if (red) count *= x->d[i];
        if (x->d[i] == 1) continue;
        if (r > 0 && mr[r - 1] == red) md[r - 1] *= x->d[i];
        else { md[r] = x->d[i]; mr[r] = red; r++; }
    }
    if (r == 0) { md[0] = 1; mr[0] = false; r = 1; }
    int64_t st = 1;
    for (int i = r - 1; i >= 0; i--) {
        os[i] = mr[i] ? 0 : st;
        if (!mr[i]) st *= md[i];
    }
    size_t n_x = gl_numel(&in[0]);
    int64_t inner = md[r - 1], rows = inner ? (int64_t)n_x / inner : 0;
    int64_t idx[GL_MAX_RANK] = {0}, oo = 0;
    for (int64_t row = 0; row < rows && n_x; row++) {
        size_t xo = (size_t)(row * inner);
        for (int64_t j = 0; j < inner; j++) {
            double v = gl_dt_in(t, GL_DT_F32) ? ((const float *)in[0].data)[xo + (size_t)j]
                                              : gl_load_f64(t, in[0].data, xo + (size_t)j);
            int64_t o = oo + (mr[r - 1] ? 0 : j);
            acc[o] = red_step(p->kind, acc[o], v);
        }
        for (int k = r - 2; k >= 0; k--) {
            oo += os[k];
            if (++idx[k] < md[k]) break;
            oo -= os[k] * md[k];
            idx[k] = 0;
        }
    }
    for (size_t i = 0; i < n_o; i++) gl_store_f64(t, out[0].data, i, red_final(p->kind, acc[i], count));
    return GLINT_OK;
}

static int64_t reduce_flops(const void *params, const gl_tensor *in, int n_in,
                            const gl_tensor *out, int n_out) {
    return (int64_t)gl_numel(&in[0]);
}

#define REDUCE_OP(sym, NAME)                                                                 \
    const gl_op sym = {.domain = "", .name = NAME, .min_inputs = 1, .max_inputs = 2,          \
                       .min_outputs = 1, .max_outputs = 1, .parse = reduce_parse,            \
                       .infer = reduce_infer, .workspace = reduce_workspace,                 \
                       .run = reduce_run, .flops = reduce_flops};

REDUCE_OP(gl_op_reduce_sum, "ReduceSum")
REDUCE_OP(gl_op_reduce_mean, "ReduceMean")
REDUCE_OP(gl_op_reduce_max, "ReduceMax")
REDUCE_OP(gl_op_reduce_min, "ReduceMin")
REDUCE_OP(gl_op_reduce_prod, "ReduceProd")
REDUCE_OP(gl_op_reduce_l1, "ReduceL1")
REDUCE_OP(gl_op_reduce_l2, "ReduceL2")
REDUCE_OP(gl_op_reduce_sum_square, "ReduceSumSquare")
REDUCE_OP(gl_op_reduce_log_sum, "ReduceLogSum")
REDUCE_OP(gl_op_reduce_log_sum_exp, "ReduceLogSumExp")

/* ---------------------------------------------------------------- ArgMax / ArgMin */
typedef struct arg_params {
    bool max;
    int64_t axis;
    bool keepdims, last;
} arg_params;

static glint_status arg_parse(const gl_graph *g, const gl_node *n, void **params, gl_err *err) {
    arg_params *p;
    glint_status s = gl_params_alloc(g, n, sizeof *p, (void **)&p, err);
    if (s) return s;
    *params = p;
    p->max = strcmp(n->op_type, "ArgMax") == 0;
    int64_t keep, last;
    s = gl_attr_int(n, "axis", 0, &p->axis, err);
    if (!s) s = gl_attr_int(n, "keepdims", 1, &keep, err);
    if (!s) s = gl_attr_int(n, "select_last_index", 0, &last, err);
    if (s) return s;
    p->keepdims = keep != 0;
    p->last = last != 0;
    return GLINT_OK;
}

static glint_status arg_infer(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                              int n_out, gl_err *err) {
    const arg_params *p = params;
    const char *name = p->max ? "ArgMax" : "ArgMin";
    int axis;
    glint_status s = gl_check_dtype(name, "input 0", in[0].dtype, GL_DT_NUM, err);
    if (!s) s = gl_axis_norm(name, p->axis, in[0].shape.rank, &axis, err);
    if (s) return s;
    if (in[0].shape.d[axis] == 0)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: axis %d is empty", name, axis);
    gl_shape o = {0};
    for (int i = 0; i < in[0].shape.rank; i++) {
        if (i != axis) o.d[o.rank++] = in[0].shape.d[i];
        else if (p->keepdims) o.d[o.rank++] = 1;
    }
    out[0].dtype = GLINT_DTYPE_INT64;
    out[0].shape = o;
    return GLINT_OK;
}

static glint_status arg_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                            int n_out, void *ws, gl_err *err) {
    const arg_params *p = params;
    const gl_shape *x = &in[0].shape;
    int axis = (int)(p->axis < 0 ? p->axis + x->rank : p->axis);
    int64_t outer = 1, inner = 1, d = x->d[axis];
    for (int i = 0; i < axis; i++) outer *= x->d[i];
    for (int i = axis + 1; i < x->rank; i++) inner *= x->d[i];
    int64_t *y = out[0].data;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < inner; j++) {
            size_t base = (size_t)(o * d * inner + j);
            double best = gl_load_f64(in[0].dtype, in[0].data, base);
            int64_t at = 0;
            for (int64_t k = 1; k < d; k++) {
                double v = gl_load_f64(in[0].dtype, in[0].data, base + (size_t)(k * inner));
                bool better = p->max ? (p->last ? v >= best : v > best)
                                     : (p->last ? v <= best : v < best);
                if (better) { best = v; at = k; }
            }
            y[o * inner + j] = at;
        }
    return GLINT_OK;
}

const gl_op gl_op_argmax = {
    .domain = "", .name = "ArgMax", .min_inputs = 1, .max_inputs = 1, .min_outputs = 1,
    .max_outputs = 1, .parse = arg_parse, .infer = arg_infer, .run = arg_run,
};

const gl_op gl_op_argmin = {
    .domain = "", .name = "ArgMin", .min_inputs = 1, .max_inputs = 1, .min_outputs = 1,
    .max_outputs = 1, .parse = arg_parse, .infer = arg_infer, .run = arg_run,
};
