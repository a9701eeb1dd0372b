/* Data-movement extras: DepthToSpace (DCR and CRD), SpaceToDepth, Trilu and
 * OneHot. They only move or select elements, so every dtype is accepted
 * (OneHot's output takes the dtype of its `values` input). */
#include <string.h>

#include "ops/op_util.h"

/* ------------------------------------------------ DepthToSpace, SpaceToDepth
 * DCR (the default, and the only mode before opset 11): the block offsets
 * are the outer part of the channel index, c_in = (i*b + j)*C_out + c.
 * CRD: they are the inner part, c_in = c*b*b + i*b + j. SpaceToDepth is the
 * inverse of DCR. */
typedef struct d2s_params {
    int64_t block;
    bool crd;
    bool to_depth;  /* SpaceToDepth */
} d2s_params;

static glint_status d2s_parse(const gl_graph *g, const gl_node *n, void **params, gl_err *err) {
    d2s_params *p;
    glint_status s = gl_params_alloc(g, n, sizeof *p, (void **)&p, err);
    if (s) return s;
    *params = p;
    p->to_depth = strcmp(n->op_type, "SpaceToDepth") == 0;
    if (!gl_node_attr(n, "blocksize"))
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s '%s': the blocksize attribute is missing",
                       n->op_type, n->name);
    s = gl_attr_int(n, "blocksize", 0, &p->block, err);
    if (s) return s;
    if (p->block < 1 || p->block > 65536)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s '%s': blocksize %lld is out of range",
                       n->op_type, n->name, (long long)p->block);
    if (p->to_depth) return GLINT_OK;
    const char *mode;
    s = gl_attr_string(n, "mode", "DCR", &mode, err);
    if (s) return s;
    if (strcmp(mode, "CRD") == 0) p->crd = true;
    else if (strcmp(mode, "DCR") != 0)
        return gl_fail(err, GLINT_ERR_UNSUPPORTED, "DepthToSpace '%s': mode '%.40s' is not supported",
                       n->name, mode);
    return GLINT_OK;
}

static glint_status d2s_infer(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                              int n_out, gl_err *err) {
    const d2s_params *p = params;
    const char *name = p->to_depth ? "SpaceToDepth" : "DepthToSpace";
    const gl_shape *x = &in[0].shape;
    char xs[96];
    glint_status s = gl_check_dtype(name, "input 0", in[0].dtype, GL_DT_ANY, err);
    if (s) return s;
    if (x->rank != 4)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: input shape %s is not 4-D (N,C,H,W)",
                       name, gl_shape_str(x, xs, sizeof xs));
    int64_t b = p->block, bb = b * b;
    gl_shape o = *x;
    if (p->to_depth) {
        if (x->d[2] % b || x->d[3] % b)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                           "SpaceToDepth: height and width of %s are not multiples of blocksize "
                           "%lld", gl_shape_str(x, xs, sizeof xs), (long long)b);
        if (!gl_mul_i64(x->d[1], bb, &o.d[1]))
            return gl_fail(err, GLINT_ERR_INVALID_MODEL, "SpaceToDepth: output size overflows");
        o.d[2] = x->d[2] / b;
        o.d[3] = x->d[3] / b;
    } else {
        if (x->d[1] % bb)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                           "DepthToSpace: channels of %s are not a multiple of blocksize^2 = %lld",
                           gl_shape_str(x, xs, sizeof xs), (long long)bb);
        o.d[1] = x->d[1] / bb;
        if (!gl_mul_i64(x->d[2], b, &o.d[2]) || !gl_mul_i64(x->d[3], b, &o.d[3]))
            return gl_fail(err, GLINT_ERR_INVALID_MODEL, "DepthToSpace: output size overflows");
    }
    if (gl_shape_numel(&o) < 0)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: output size overflows", name);
    out[0].dtype = in[0].dtype;
    out[0].shape = o;
    return GLINT_OK;
}

static glint_status d2s_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                            int n_out, void *ws, gl_err *err) {
    const d2s_params *p = params;
    /* walk the space-side tensor (DepthToSpace's output, SpaceToDepth's
     * input): [N, C, H*b, W*b] with C the small channel count */
    const gl_shape *sp = p->to_depth ? &in[0].shape : &out[0].shape;
    int64_t N = sp->d[0], C = sp->d[1], H = sp->d[2], W = sp->d[3], b = p->block;
    int64_t h_small = H / b, w_small = W / b;
    size_t e = glint_dtype_size(in[0].dtype);
    const char *src = in[0].data;
    char *dst = out[0].data;
    size_t k = 0; /* flat index on the space side */
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t y = 0; y < H; y++)
                for (int64_t x = 0; x < W; x++, k++) {
                    int64_t i = y % b, j = x % b;
                    int64_t cd = p->crd ? (c * b + i) * b + j : (i * b + j) * C + c;
                    size_t kd = (size_t)(((n * C * b * b + cd) * h_small + y / b) * w_small + x / b);
                    if (p->to_depth) memcpy(dst + kd * e, src + k * e, e);
                    else memcpy(dst + k * e, src + kd * e, e);
                }
    return GLINT_OK;
}

const gl_op gl_op_depth_to_space = {
    .domain = "", .name = "DepthToSpace", .min_inputs = 1, .max_inputs = 1, .min_outputs = 1,
    .max_outputs = 1, .parse = d2s_parse, .infer = d2s_infer, .run = d2s_run,
};
const gl_op gl_op_space_to_depth = {
    .domain = "", .name = "SpaceToDepth", .min_inputs = 1, .max_inputs = 1, .min_outputs = 1,
    .max_outputs = 1, .parse = d2s_parse, .infer = d2s_infer, .run = d2s_run,
};

/* ---------------------------------------------------------------- Trilu
 * Keeps the upper (j - i >= k) or lower (j - i <= k) triangle of each
 * matrix in the last two dims and zeroes the rest. k (optional, int64
 * scalar) is read when running, so it need not be known when planning. */
typedef struct trilu_params {
    bool upper;
} trilu_params;

static glint_status trilu_parse(const gl_graph *g, const gl_node *n, void **params,
                                gl_err *err) {
    trilu_params *p;
    glint_status s = gl_params_alloc(g, n, sizeof *p, (void **)&p, err);
    if (s) return s;
    *params = p;
    int64_t upper = 1;
    s = gl_attr_int(n, "upper", 1, &upper, err);
    p->upper = upper != 0;
    return s;
}

static glint_status trilu_infer(const void *params, const gl_tensor *in, int n_in,
                                gl_tensor *out, int n_out, gl_err *err) {
    glint_status s = gl_check_dtype("Trilu", "input 0", in[0].dtype, GL_DT_ANY, err);
    if (s) return s;
    if (in[0].shape.rank < 2)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "Trilu: input rank %d is below 2",
                       in[0].shape.rank);
    if (gl_in_present(in, n_in, 1)) {
        s = gl_check_dtype("Trilu", "k", in[1].dtype, GL_DT(GLINT_DTYPE_INT64), err);
        if (s) return s;
        if (gl_numel(&in[1]) != 1)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL, "Trilu: k must hold one value");
    }
    out[0].dtype = in[0].dtype;
    out[0].shape = in[0].shape;
    return GLINT_OK;
}

static glint_status trilu_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                              int n_out, void *ws, gl_err *err) {
    const trilu_params *p = params;
    const gl_shape *x = &in[0].shape;
    int64_t k = gl_in_present(in, n_in, 1) ? ((const int64_t *)in[1].data)[0] : 0;
    int64_t rows = x->d[x->rank - 2], cols = x->d[x->rank - 1];
    size_t e = glint_dtype_size(in[0].dtype), n = gl_numel(&in[0]);
    size_t mats = rows && cols ? n / (size_t)(rows * cols) : 0;
    const char *src = in[0].data;
    char *dst = out[0].data;
    for (size_t m = 0; m < mats; m++)
        for (int64_t i = 0; i < rows; i++)
            for (int64_t j = 0; j < cols; j++) {
                size_t at = ((m * (size_t)rows + (size_t)i) * (size_t)cols + (size_t)j) * e;
                /* j - i is within ±2^62, so comparing it with any k is safe */
                bool keep = p->upper ? j - i >= k : j - i <= k;
                if (keep) {
                    if (dst != src) memcpy(dst + at, src + at, e);
                } else {
                    memset(dst + at, 0, e); /* all-zero bytes are 0 in every dtype */
                }
            }
    return GLINT_OK;
}

const gl_op gl_op_trilu = {
    .domain = "", .name = "Trilu", .min_inputs = 1, .max_inputs = 2, .min_outputs = 1,
    .max_outputs = 1, .parse = trilu_parse, .infer = trilu_infer, .run = trilu_run,
};

/* ---------------------------------------------------------------- OneHot
 * out has a new dim of size depth at `axis`; out[..., d, ...] = values[1]
 * where d == index (negative indices count from depth), values[0] elsewhere;
 * an index outside [-depth, depth) gives a row of values[0]. depth sets the
 * output shape, so it must be known when planning. */
typedef struct onehot_params {
    int64_t axis;
} onehot_params;

static glint_status onehot_parse(const gl_graph *g, const gl_node *n, void **params,
                                 gl_err *err) {
    onehot_params *p;
    glint_status s = gl_params_alloc(g, n, sizeof *p, (void **)&p, err);
    if (s) return s;
    *params = p;
    return gl_attr_int(n, "axis", -1, &p->axis, err);
}

/* depth as an integer (it may be given as a float) */
static glint_status onehot_depth(const gl_tensor *t, int64_t *depth, gl_err *err) {
    if (gl_numel(t) != 1)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "OneHot: depth must hold one value");
    double d = gl_load_f64(t->dtype, t->data, 0);
    if (!(d >= 1 && d <= (double)(1 << 30)))
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "OneHot: depth %g is out of range", d);
    *depth = (int64_t)d;
    return GLINT_OK;
}

static glint_status onehot_infer(const void *params, const gl_tensor *in, int n_in,
                                 gl_tensor *out, int n_out, gl_err *err) {
    const onehot_params *p = params;
    const gl_shape *x = &in[0].shape;
    glint_status s = gl_check_dtype("OneHot", "the indices", in[0].dtype, GL_DT_NUM, err);
    if (!s) s = gl_check_dtype("OneHot", "depth", in[1].dtype, GL_DT_NUM, err);
    if (!s) s = gl_check_dtype("OneHot", "values", in[2].dtype, GL_DT_ANY, err);
    if (s) return s;
    if (!in[1].data)
        return gl_fail_needs_value(err, &in[1], "OneHot: depth must be known when planning");
    if (gl_numel(&in[2]) != 2)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "OneHot: values must hold 2 elements");
    if (x->rank + 1 > GL_MAX_RANK)
        return gl_fail(err, GLINT_ERR_UNSUPPORTED, "OneHot: output rank above %d", GL_MAX_RANK);
    int axis = 0;
    int64_t depth = 0;
    s = gl_axis_norm("OneHot", p->axis, x->rank + 1, &axis, err);
    if (!s) s = onehot_depth(&in[1], &depth, err);
    if (s) return s;
    gl_shape o = {.rank = x->rank + 1};
    for (int i = 0, k = 0; i < o.rank; i++) o.d[i] = i == axis ? depth : x->d[k++];
    out[0].dtype = in[2].dtype;
    out[0].shape = o;
    return GLINT_OK;
}

static glint_status onehot_run(const void *params, const gl_tensor *in, int n_in,
                               gl_tensor *out, int n_out, void *ws, gl_err *err) {
    const onehot_params *p = params;
    const gl_shape *o = &out[0].shape;
    int axis = (int)(p->axis < 0 ? p->axis + o->rank : p->axis);
    int64_t depth = o->d[axis], inner = 1, outer = 1;
    for (int i = 0; i < axis; i++) outer *= o->d[i];
    for (int i = axis + 1; i < o->rank; i++) inner *= o->d[i];
    size_t e = glint_dtype_size(out[0].dtype);
    const char *off = in[2].data, *on = off + e;
    char *dst = out[0].data;
    for (int64_t a = 0; a < outer; a++)
        for (int64_t d = 0; d < depth; d++)
            for (int64_t b = 0; b < inner; b++) {
                /* indices may be floats: truncate toward zero, as a cast does */
                double v = gl_load_f64(in[0].dtype, in[0].data, (size_t)(a * inner + b));
                int64_t k = v > -(double)depth - 1 && v < (double)depth + 1 ? (int64_t)v : depth;
                if (k < 0) k += depth;
                memcpy(dst + (size_t)((a * depth + d) * inner + b) * e, k == d ? on : off, e);
            }
    return GLINT_OK;
}

const gl_op gl_op_one_hot = {
    .domain = "", .name = "OneHot", .min_inputs = 3, .max_inputs = 3, .min_outputs = 1,
    .max_outputs = 1, .parse = onehot_parse, .infer = onehot_infer, .run = onehot_run,
};
