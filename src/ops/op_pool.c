/* MaxPool, AveragePool (ONNX opsets 1-22; kernel, strides, pads,
 * dilations, ceil_mode, auto_pad, count_include_pad), GlobalAveragePool and
 * GlobalMaxPool. MaxPool's optional Indices output is refused at parse. */
#include <float.h>
#include <string.h>

#include "ops/nn_common.h"

typedef struct pool_params {
    const char *op;          /* static name for messages */
    bool is_max, global, ceil_mode, count_include_pad;
    gl_conv_params win;      /* kernel, strides, dilations, pads, auto_pad */
} pool_params;

static glint_status pool_parse_common(const gl_graph *g, const gl_node *n, bool is_max,
                                      bool global, const char *op, void **params, gl_err *err) {
    pool_params *p = gl_calloc(g->alloc, 1, sizeof *p);
    if (!p) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "%s: out of memory", op);
    p->op = op;
    p->is_max = is_max;
    p->global = global;
    glint_status st = GLINT_OK;
    if (!global) {
        int64_t ceil_mode = 0, cip = 0;
        st = gl_nn_parse_window(n, op, &p->win, err);
        if (st == GLINT_OK && p->win.n_kernel == 0)
            st = gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: attribute 'kernel_shape' is required",
                         op);
        if (st == GLINT_OK) st = gl_attr_int(n, "ceil_mode", 0, &ceil_mode, err);
        if (st == GLINT_OK && !is_max)
            st = gl_attr_int(n, "count_include_pad", 0, &cip, err);
        if (st == GLINT_OK && (ceil_mode < 0 || ceil_mode > 1 || cip < 0 || cip > 1))
            st = gl_fail(err, GLINT_ERR_INVALID_MODEL,
                         "%s: ceil_mode %lld / count_include_pad %lld must be 0 or 1", op,
                         (long long)ceil_mode, (long long)cip);
        p->ceil_mode = ceil_mode == 1;
        p->count_include_pad = cip == 1;
        if (st == GLINT_OK && is_max && n->n_outputs > 1 && n->outputs && n->outputs[1] >= 0)
            st = gl_fail(err, GLINT_ERR_UNSUPPORTED, "%s: the Indices output is not supported",
                         op);
    }
    if (st != GLINT_OK) {
        gl_free(g->alloc, p);
        return st;
    }
    *params = p;
    return GLINT_OK;
}

static glint_status maxpool_parse(const gl_graph *g, const gl_node *n, void **p, gl_err *err) {
    return pool_parse_common(g, n, true, false, "MaxPool", p, err);
}
static glint_status avgpool_parse(const gl_graph *g, const gl_node *n, void **p, gl_err *err) {
    return pool_parse_common(g, n, false, false, "AveragePool", p, err);
}
static glint_status gmaxpool_parse(const gl_graph *g, const gl_node *n, void **p, gl_err *err) {
    return pool_parse_common(g, n, true, true, "GlobalMaxPool", p, err);
}
static glint_status gavgpool_parse(const gl_graph *g, const gl_node *n, void **p, gl_err *err) {
    return pool_parse_common(g, n, false, true, "GlobalAveragePool", p, err);
}

/* Window geometry right-aligned in 3 dims; pe is the trailing pad that
 * count_include_pad counts (explicit, or derived from auto_pad). */
typedef struct pool_geom {
    int64_t n, c;
    int64_t in[3], out[3], k[3], s[3], d[3], pb[3], pe[3];
} pool_geom;

static glint_status pool_resolve(const pool_params *p, const gl_tensor *x, pool_geom *g,
                                 gl_err *err) {
    glint_status st = gl_nn_need_f32(p->op, "X", x, err);
    if (st != GLINT_OK) return st;
    int rank = x->shape.rank;
    int sp = rank - 2;
    int max_sp = p->global ? GL_MAX_RANK - 2 : GL_MAX_SPATIAL;
    char xs[96];
    if (sp < 1 || sp > max_sp)
        return gl_fail(err, GLINT_ERR_UNSUPPORTED, "%s: input X %s has rank %d; 3 to %d supported",
                       p->op, gl_shape_str(&x->shape, xs, sizeof xs), rank, max_sp + 2);
    if (!p->global && p->win.n_attr_spatial != sp)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                       "%s: kernel_shape has %d dims but input X %s has %d spatial dims", p->op,
                       p->win.n_attr_spatial, gl_shape_str(&x->shape, xs, sizeof xs), sp);
    memset(g, 0, sizeof *g);
    g->n = x->shape.d[0];
    g->c = x->shape.d[1];
    for (int i = 0; i < 3; i++) g->in[i] = g->out[i] = g->k[i] = g->s[i] = g->d[i] = 1;
    if (p->global) return GLINT_OK; /* the global run path reads the shape directly */
    int off = 3 - sp;
    for (int i = 0; i < sp; i++) {
        int j = off + i;
        const gl_conv_params *w = &p->win;
        g->in[j] = x->shape.d[2 + i];
        g->k[j] = w->kernel[i];
        g->s[j] = w->stride[i];
        g->d[j] = w->dilation[i];
        if (g->in[j] < 1)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: input X %s has an empty dim",
                           p->op, gl_shape_str(&x->shape, xs, sizeof xs));
        st = gl_nn_window_dim(p->op, i, g->in[j], g->k[j], g->s[j], g->d[j], w->pads[i],
                              w->pads[GL_MAX_SPATIAL + i], w->auto_pad, p->ceil_mode, &g->out[j],
                              &g->pb[j], err);
        if (st != GLINT_OK) return st;
        int64_t span = (g->k[j] - 1) * g->d[j] + 1;
        if (w->auto_pad == GL_AUTO_PAD_NOTSET) g->pe[j] = w->pads[GL_MAX_SPATIAL + i];
        else g->pe[j] = GL_MAX((g->out[j] - 1) * g->s[j] + span - g->in[j] - g->pb[j], 0);
    }
    return GLINT_OK;
}

static glint_status pool_infer(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                               int n_out, gl_err *err) {
    const pool_params *p = params;
    pool_geom g;
    glint_status st = pool_resolve(p, &in[0], &g, err);
    if (st != GLINT_OK) return st;
    int sp = in[0].shape.rank - 2;
    out[0].dtype = GLINT_DTYPE_FLOAT32;
    out[0].shape = in[0].shape;
    for (int i = 0; i < sp; i++) out[0].shape.d[2 + i] = p->global ? 1 : g.out[3 - sp + i];
    return GLINT_OK;
}

static void global_pool(const pool_params *p, const gl_tensor *x, float *y) {
    int64_t nc = x->shape.d[0] * x->shape.d[1];
    int64_t plane = 1;
    for (int i = 2; i < x->shape.rank; i++) plane *= x->shape.d[i];
    const float *xd = x->data;
    for (int64_t j = 0; j < nc; j++) {
        const float *xp = xd + j * plane;
        if (p->is_max) {
            float m = -FLT_MAX;
            for (int64_t i = 0; i < plane; i++) m = xp[i] > m ? xp[i] : m;
            y[j] = m;
        } else {
            double s = 0;
            for (int64_t i = 0; i < plane; i++) s += xp[i];
            y[j] = plane ? (float)(s / (double)plane) : 0.0f;
        }
    }
}

static glint_status pool_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                             int n_out, void *ws, gl_err *err) {
    const pool_params *p = params;
    pool_geom g;
    glint_status st = pool_resolve(p, &in[0], &g, err);
    if (st != GLINT_OK) return st;
    float *y = out[0].data;
    if (p->global) {
        global_pool(p, &in[0], y);
        return GLINT_OK;
    }
    const float *x = in[0].data;
    int64_t in_plane = g.in[0] * g.in[1] * g.in[2];
    for (int64_t nc = 0; nc < g.n * g.c; nc++) {
        const float *xp = x + nc * in_plane;
        for (int64_t o0 = 0; o0 < g.out[0]; o0++)
            for (int64_t o1 = 0; o1 < g.out[1]; o1++)
                for (int64_t o2 = 0; o2 < g.out[2]; o2++) {
                    float m = -FLT_MAX;
                    double sum = 0;
                    int64_t valid = 0, padded = 0;
                    for (int64_t k0 = 0; k0 < g.k[0]; k0++) {
                        int64_t i0 = o0 * g.s[0] + k0 * g.d[0] - g.pb[0];
                        bool v0 = i0 >= 0 && i0 < g.in[0];
                        bool q0 = i0 >= -g.pb[0] && i0 < g.in[0] + g.pe[0];
                        for (int64_t k1 = 0; k1 < g.k[1]; k1++) {
                            int64_t i1 = o1 * g.s[1] + k1 * g.d[1] - g.pb[1];
                            bool v1 = v0 && i1 >= 0 && i1 < g.in[1];
                            bool q1 = q0 && i1 >= -g.pb[1] && i1 < g.in[1] + g.pe[1];
                            for (int64_t k2 = 0; k2 < g.k[2]; k2++) {
                                int64_t i2 = o2 * g.s[2] + k2 * g.d[2] - g.pb[2];
                                /* padded: inside the padded input (counted by
                                 * count_include_pad); valid: a real element */
                                padded += q1 && i2 >= -g.pb[2] && i2 < g.in[2] + g.pe[2];
                                if (!v1 || i2 < 0 || i2 >= g.in[2]) continue;
                                float v = xp[(i0 * g.in[1] + i1) * g.in[2] + i2];
                                m = v > m ? v : m;
                                sum += v;
                                valid++;
                            }
                        }
                    }
                    int64_t div = p->count_include_pad ? padded : valid;
                    *y++ = p->is_max ? m : div ? (float)(sum / (double)div) : 0.0f;
                }
    }
    return GLINT_OK;
}

#define POOL_OP(sym, nm, parse_fn, outs)                                                             \
    const gl_op sym = {                                                                          \
        .domain = "",                                                                            \
        .name = nm,                                                                              \
        .min_inputs = 1, .max_inputs = 1,                                                        \
        .min_outputs = 1, .max_outputs = outs,                                                   \
        .parse = parse_fn,                                                                       \
        .infer = pool_infer,                                                                     \
        .run = pool_run,                                                                         \
    }

POOL_OP(gl_op_max_pool, "MaxPool", maxpool_parse, 2); /* Indices: refused in parse */
POOL_OP(gl_op_average_pool, "AveragePool", avgpool_parse, 1);
POOL_OP(gl_op_global_max_pool, "GlobalMaxPool", gmaxpool_parse, 1);
POOL_OP(gl_op_global_average_pool, "GlobalAveragePool", gavgpool_parse, 1);
