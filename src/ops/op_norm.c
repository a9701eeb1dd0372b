/* Normalisations in inference form: BatchNormalization (running stats),
 * InstanceNormalization, LayerNormalization (with its optional Mean and
 * InvStdDev outputs) and GroupNormalization (opset 18 per-group and opset 21
 * per-channel scale/bias). Statistics accumulate in double. */
#include <math.h>
#include <string.h>

#include "ops/nn_common.h"

typedef struct norm_params {
    float epsilon;
    int64_t axis;        /* LayerNormalization */
    int64_t num_groups;  /* GroupNormalization */
    bool per_channel;    /* GroupNormalization opset >= 21: scale/bias are [C] */
} norm_params;

static glint_status norm_alloc(const gl_graph *g, const char *op, norm_params **p, gl_err *err) {
    *p = gl_calloc(g->alloc, 1, sizeof **p);
    return *p ? GLINT_OK : gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "%s: out of memory", op);
}

static glint_status parse_done(const gl_graph *g, norm_params *p, glint_status st, void **out) {
    if (st != GLINT_OK) gl_free(g->alloc, p);
    else *out = p;
    return st;
}

static bool output_present(const gl_node *n, int i) {
    return i < n->n_outputs && n->outputs && n->outputs[i] >= 0;
}

/* stash_type 1 (float) is the only one: others ask for a different
 * accumulation type than the one this kernel uses. */
static glint_status check_stash(const gl_node *n, const char *op, gl_err *err) {
    int64_t stash;
    glint_status st = gl_attr_int(n, "stash_type", 1, &stash, err);
    if (st == GLINT_OK && stash != 1)
        st = gl_fail(err, GLINT_ERR_UNSUPPORTED, "%s: stash_type %lld is not supported", op,
                     (long long)stash);
    return st;
}

/* Checks that X is float32 of rank >= min_rank and that input i is a
 * float32 vector of length len. */
static glint_status need_vec(const char *op, const char *what, const gl_tensor *t, int64_t len,
                             gl_err *err) {
    glint_status st = gl_nn_need_f32(op, what, t, err);
    if (st != GLINT_OK) return st;
    if (gl_shape_numel(&t->shape) != len || t->shape.rank != 1) {
        char s[96];
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: input '%s' is %s, expected [%lld]", op,
                       what, gl_shape_str(&t->shape, s, sizeof s), (long long)len);
    }
    return GLINT_OK;
}

static glint_status need_nc(const char *op, const gl_tensor *x, gl_err *err) {
    glint_status st = gl_nn_need_f32(op, "X", x, err);
    if (st == GLINT_OK && x->shape.rank < 2) {
        char s[96];
        st = gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: input X %s needs rank >= 2 [N,C,...]",
                     op, gl_shape_str(&x->shape, s, sizeof s));
    }
    return st;
}

static int64_t plane_of(const gl_shape *s, int from) {
    int64_t p = 1;
    for (int i = from; i < s->rank; i++) p *= s->d[i];
    return p;
}

/* ----------------------------------------------------- BatchNormalization */
static glint_status bn_parse(const gl_graph *g, const gl_node *n, void **params, gl_err *err) {
    norm_params *p;
    glint_status st = norm_alloc(g, "BatchNormalization", &p, err);
    if (st != GLINT_OK) return st;
    int64_t training = 0;
    st = gl_attr_float(n, "epsilon", 1e-5f, &p->epsilon, err);
    if (st == GLINT_OK) st = gl_attr_int(n, "training_mode", 0, &training, err);
    if (st == GLINT_OK && training != 0)
        st = gl_fail(err, GLINT_ERR_UNSUPPORTED,
                     "BatchNormalization: training_mode %lld is not supported", (long long)training);
    for (int i = 1; st == GLINT_OK && i < n->n_outputs; i++)
        if (output_present(n, i))
            st = gl_fail(err, GLINT_ERR_UNSUPPORTED,
                         "BatchNormalization: training output %d is not supported", i);
    return parse_done(g, p, st, params);
}

static glint_status bn_infer(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                             int n_out, gl_err *err) {
    static const char *const names[] = {"X", "scale", "B", "input_mean", "input_var"};
    glint_status st = need_nc("BatchNormalization", &in[0], err);
    for (int i = 1; st == GLINT_OK && i < 5; i++)
        st = need_vec("BatchNormalization", names[i], &in[i], in[0].shape.d[1], err);
    if (st != GLINT_OK) return st;
    out[0].dtype = GLINT_DTYPE_FLOAT32;
    out[0].shape = in[0].shape;
    return GLINT_OK;
}

static glint_status bn_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                           int n_out, void *ws, gl_err *err) {
    const norm_params *p = params;
    const float *x = in[0].data, *sc = in[1].data, *b = in[2].data, *mean = in[3].data,
                *var = in[4].data;
    float *y = out[0].data;
    int64_t n = in[0].shape.d[0], c = in[0].shape.d[1], plane = plane_of(&in[0].shape, 2);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < c; j++) {
            float a = (float)(sc[j] / sqrt((double)var[j] + p->epsilon));
            float o = b[j] - mean[j] * a;
            const float *xp = x + (i * c + j) * plane;
            float *yp = y + (i * c + j) * plane;
            for (int64_t k = 0; k < plane; k++) yp[k] = xp[k] * a + o;
        }
    return GLINT_OK;
}

/* -------------------------------------------------- InstanceNormalization */
static glint_status in_parse(const gl_graph *g, const gl_node *n, void **params, gl_err *err) {
    norm_params *p;
    glint_status st = norm_alloc(g, "InstanceNormalization", &p, err);
    if (st == GLINT_OK) st = gl_attr_float(n, "epsilon", 1e-5f, &p->epsilon, err);
    else return st;
    return parse_done(g, p, st, params);
}

static glint_status in_infer(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                             int n_out, gl_err *err) {
    glint_status st = need_nc("InstanceNormalization", &in[0], err);
    if (st == GLINT_OK) st = need_vec("InstanceNormalization", "scale", &in[1], in[0].shape.d[1], err);
    if (st == GLINT_OK) st = need_vec("InstanceNormalization", "B", &in[2], in[0].shape.d[1], err);
    if (st != GLINT_OK) return st;
    out[0].dtype = GLINT_DTYPE_FLOAT32;
    out[0].shape = in[0].shape;
    return GLINT_OK;
}

/* Normalises `count` values at x to y: (x - mean) * inv_std, then scales
 * with sc[i * sc_step] / adds b[i * b_step] (step 0 = one value for all).
 * Returns mean and inv_std through the pointers. */
static void normalize(const float *x, float *y, int64_t count, float eps, const float *sc,
                      int64_t sc_step, const float *b, int64_t b_step, double *mean_out,
                      double *inv_out) {
    double mean = 0, var = 0;
    for (int64_t i = 0; i < count; i++) mean += x[i];
    mean /= (double)count;
    for (int64_t i = 0; i < count; i++) var += ((double)x[i] - mean) * ((double)x[i] - mean);
    var /= (double)count;
    double inv = 1.0 / sqrt(var + eps);
    for (int64_t i = 0; i < count; i++) {
        double v = ((double)x[i] - mean) * inv;
        if (sc) v *= sc[i * sc_step];
        if (b) v += b[i * b_step];
        y[i] = (float)v;
    }
    if (mean_out) *mean_out = mean;
    if (inv_out) *inv_out = inv;
}

static glint_status in_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                           int n_out, void *ws, gl_err *err) {
    const norm_params *p = params;
    const float *sc = in[1].data, *b = in[2].data;
    int64_t n = in[0].shape.d[0], c = in[0].shape.d[1], plane = plane_of(&in[0].shape, 2);
    for (int64_t i = 0; i < n * c; i++)
        normalize((const float *)in[0].data + i * plane, (float *)out[0].data + i * plane, plane,
                  p->epsilon, sc + i % c, 0, b + i % c, 0, NULL, NULL);
    return GLINT_OK;
}

/* ----------------------------------------------------- LayerNormalization */
static glint_status ln_parse(const gl_graph *g, const gl_node *n, void **params, gl_err *err) {
    norm_params *p;
    glint_status st = norm_alloc(g, "LayerNormalization", &p, err);
    if (st != GLINT_OK) return st;
    st = gl_attr_float(n, "epsilon", 1e-5f, &p->epsilon, err);
    if (st == GLINT_OK) st = gl_attr_int(n, "axis", -1, &p->axis, err);
    if (st == GLINT_OK) st = check_stash(n, "LayerNormalization", err);
    return parse_done(g, p, st, params);
}

/* Checks that t broadcasts one-way to the normalised shape x.d[a:]. */
static glint_status ln_check_affine(const char *what, const gl_tensor *t, const gl_shape *x,
                                    int a, gl_err *err) {
    glint_status st = gl_nn_need_f32("LayerNormalization", what, t, err);
    if (st != GLINT_OK) return st;
    int nr = x->rank - a;
    bool ok = t->shape.rank <= nr;
    for (int i = 0; ok && i < t->shape.rank; i++) {
        int64_t d = t->shape.d[t->shape.rank - 1 - i];
        ok = d == 1 || d == x->d[x->rank - 1 - i];
    }
    if (!ok) {
        char ts[96], xs[96];
        return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                       "LayerNormalization: %s %s does not broadcast to X %s from axis %d", what,
                       gl_shape_str(&t->shape, ts, sizeof ts), gl_shape_str(x, xs, sizeof xs), a);
    }
    return GLINT_OK;
}

static glint_status ln_axis(const norm_params *p, const gl_shape *x, int *a, gl_err *err) {
    int64_t ax = p->axis < 0 ? p->axis + x->rank : p->axis;
    if (x->rank < 1 || ax < 0 || ax >= x->rank) {
        char xs[96];
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "LayerNormalization: axis %lld is out of range for X %s",
                       (long long)p->axis, gl_shape_str(x, xs, sizeof xs));
    }
    *a = (int)ax;
    return GLINT_OK;
}

static glint_status ln_infer(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                             int n_out, gl_err *err) {
    int a = 0;
    glint_status st = gl_nn_need_f32("LayerNormalization", "X", &in[0], err);
    if (st == GLINT_OK) st = ln_axis(params, &in[0].shape, &a, err);
    if (st == GLINT_OK) st = ln_check_affine("Scale", &in[1], &in[0].shape, a, err);
    if (st == GLINT_OK && gl_in_present(in, n_in, 2))
        st = ln_check_affine("B", &in[2], &in[0].shape, a, err);
    if (st != GLINT_OK) return st;
    out[0].dtype = GLINT_DTYPE_FLOAT32;
    out[0].shape = in[0].shape;
    for (int i = 1; i < n_out && i < 3; i++) {
        out[i].dtype = GLINT_DTYPE_FLOAT32;
        out[i].shape = in[0].shape;
        for (int k = a; k < in[0].shape.rank; k++) out[i].shape.d[k] = 1;
    }
    return GLINT_OK;
}

/* Index into an affine tensor t (broadcast to the normalised shape x.d[a:])
 * of the normalised element with flat index i. */
static int64_t bcast_index(const gl_shape *t, const gl_shape *x, int64_t i) {
    int64_t idx = 0, stride = 1;
    for (int k = 0; k < t->rank; k++) {
        int64_t xd = x->d[x->rank - 1 - k], td = t->d[t->rank - 1 - k];
        int64_t coord = i % xd;
        i /= xd;
        if (td != 1) idx += coord * stride;
        stride *= td;
    }
    return idx;
}

static glint_status ln_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                           int n_out, void *ws, gl_err *err) {
    const norm_params *p = params;
    int a = 0;
    glint_status st = ln_axis(p, &in[0].shape, &a, err);
    if (st != GLINT_OK) return st;
    int64_t inner = plane_of(&in[0].shape, a);
    int64_t outer = inner ? gl_shape_numel(&in[0].shape) / inner : 0;
    const gl_tensor *sc = &in[1], *b = gl_in_present(in, n_in, 2) ? &in[2] : NULL;
    int64_t nsc = gl_shape_numel(&sc->shape), nb = b ? gl_shape_numel(&b->shape) : 0;
    /* The common cases (full-size or single-value affine) take strides; any
     * other broadcast maps each index. */
    bool simple = (nsc == inner || nsc == 1) && (!b || nb == inner || nb == 1);
    float *mean = n_out > 1 ? out[1].data : NULL, *inv = n_out > 2 ? out[2].data : NULL;
    for (int64_t o = 0; o < outer; o++) {
        const float *x = (const float *)in[0].data + o * inner;
        float *y = (float *)out[0].data + o * inner;
        double m, is;
        if (simple)
            normalize(x, y, inner, p->epsilon, sc->data, nsc == 1 ? 0 : 1,
                      b ? (const float *)b->data : NULL, nb == 1 ? 0 : 1, &m, &is);
        else
            normalize(x, y, inner, p->epsilon, NULL, 0, NULL, 0, &m, &is);
        if (!simple)
            for (int64_t i = 0; i < inner; i++) {
                float v = y[i] * ((const float *)sc->data)[bcast_index(&sc->shape, &in[0].shape, i)];
                if (b) v += ((const float *)b->data)[bcast_index(&b->shape, &in[0].shape, i)];
                y[i] = v;
            }
        if (mean) mean[o] = (float)m;
        if (inv) inv[o] = (float)is;
    }
    return GLINT_OK;
}

/* ----------------------------------------------------- GroupNormalization */
static glint_status gn_parse(const gl_graph *g, const gl_node *n, void **params, gl_err *err) {
    norm_params *p;
    glint_status st = norm_alloc(g, "GroupNormalization", &p, err);
    if (st != GLINT_OK) return st;
    st = gl_attr_float(n, "epsilon", 1e-5f, &p->epsilon, err);
    if (st == GLINT_OK) st = gl_attr_int(n, "num_groups", 0, &p->num_groups, err);
    if (st == GLINT_OK && p->num_groups < 1)
        st = gl_fail(err, GLINT_ERR_INVALID_MODEL,
                     "GroupNormalization: num_groups %lld must be given and >= 1",
                     (long long)p->num_groups);
    if (st == GLINT_OK) st = check_stash(n, "GroupNormalization", err);
    p->per_channel = g->opset >= 21; /* opset 18 had one scale/bias per group */
    return parse_done(g, p, st, params);
}

static glint_status gn_infer(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                             int n_out, gl_err *err) {
    const norm_params *p = params;
    glint_status st = need_nc("GroupNormalization", &in[0], err);
    if (st != GLINT_OK) return st;
    int64_t c = in[0].shape.d[1];
    if (c % p->num_groups != 0)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                       "GroupNormalization: %lld channels do not split into %lld groups",
                       (long long)c, (long long)p->num_groups);
    int64_t len = p->per_channel ? c : p->num_groups;
    if ((st = need_vec("GroupNormalization", "scale", &in[1], len, err)) ||
        (st = need_vec("GroupNormalization", "bias", &in[2], len, err)))
        return st;
    out[0].dtype = GLINT_DTYPE_FLOAT32;
    out[0].shape = in[0].shape;
    return GLINT_OK;
}

static glint_status gn_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                           int n_out, void *ws, gl_err *err) {
    const norm_params *p = params;
    int64_t n = in[0].shape.d[0], c = in[0].shape.d[1], plane = plane_of(&in[0].shape, 2);
    int64_t cg = c / p->num_groups, block = cg * plane;
    const float *sc = in[1].data, *b = in[2].data;
    for (int64_t i = 0; i < n; i++)
        for (int64_t g = 0; g < p->num_groups; g++) {
            int64_t off = (i * c + g * cg) * plane;
            float *y = (float *)out[0].data + off;
            normalize((const float *)in[0].data + off, y, block, p->epsilon, NULL, 0, NULL, 0,
                      NULL, NULL);
            for (int64_t j = 0; j < cg; j++) {
                int64_t k = p->per_channel ? g * cg + j : g;
                for (int64_t e = 0; e < plane; e++) y[j * plane + e] = y[j * plane + e] * sc[k] + b[k];
            }
        }
    return GLINT_OK;
}

const gl_op gl_op_batch_normalization = {
    .domain = "", .name = "BatchNormalization",
    .min_inputs = 5, .max_inputs = 5, .min_outputs = 1, .max_outputs = 5,
    .parse = bn_parse, .infer = bn_infer, .run = bn_run,
};
const gl_op gl_op_instance_normalization = {
    .domain = "", .name = "InstanceNormalization",
    .min_inputs = 3, .max_inputs = 3, .min_outputs = 1, .max_outputs = 1,
    .parse = in_parse, .infer = in_infer, .run = in_run,
};
const gl_op gl_op_layer_normalization = {
    .domain = "", .name = "LayerNormalization",
    .min_inputs = 2, .max_inputs = 3, .min_outputs = 1, .max_outputs = 3,
    .parse = ln_parse, .infer = ln_infer, .run = ln_run,
};
const gl_op gl_op_group_normalization = {
    .domain = "", .name = "GroupNormalization",
    .min_inputs = 3, .max_inputs = 3, .min_outputs = 1, .max_outputs = 1,
    .parse = gn_parse, .infer = gn_infer, .run = gn_run,
};
