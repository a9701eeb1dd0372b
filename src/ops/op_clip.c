/* Clip: y = min(max(x, lo), hi). From opset 11 the bounds are optional
 * scalar inputs (read at run time, so they may be computed tensors); before
 * it they are the min/max attributes. When lo > hi every element becomes hi,
 * as numpy.clip gives. */
#include <float.h>
#include <math.h>

#include "ops/op_util.h"

typedef struct clip_params {
    bool attrs;       /* opset < 11: bounds from attributes */
    float lo, hi;
} clip_params;

static glint_status clip_parse(const gl_graph *g, const gl_node *n, void **params, gl_err *err) {
    clip_params *p;
    glint_status s = gl_params_alloc(g, n, sizeof *p, (void **)&p, err);
    if (s) return s;
    *params = p;
    p->attrs = g->opset < 11;
    if (!p->attrs) return GLINT_OK;
    if (n->n_inputs > 1)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                       "Clip '%s': min/max inputs need opset 11 (model opset %lld)", n->name,
                       (long long)g->opset);
    s = gl_attr_float(n, "min", -FLT_MAX, &p->lo, err);
    if (!s) s = gl_attr_float(n, "max", FLT_MAX, &p->hi, err);
    return s;
}

static glint_status clip_infer(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                               int n_out, gl_err *err) {
    glint_status s = gl_check_dtype("Clip", "input 0", in[0].dtype, GL_DT_NUM, err);
    for (int i = 1; i < n_in && !s; i++) {
        if (!gl_in_present(in, n_in, i)) continue;
        s = gl_check_same_dtype("Clip", in, 0, i, err);
        if (!s && gl_shape_numel(&in[i].shape) != 1)
            s = gl_fail(err, GLINT_ERR_INVALID_MODEL, "Clip: input %d (%s) must be a scalar", i,
                        i == 1 ? "min" : "max");
    }
    if (s) return s;
    out[0].dtype = in[0].dtype;
    out[0].shape = in[0].shape;
    return GLINT_OK;
}

#define CLIP_KERNEL(T, SFX, LO_DEFAULT, HI_DEFAULT)                                          \
    static void clip_##SFX(const clip_params *p, const gl_tensor *in, int n_in, T *y) {        \
        const T *x = in[0].data;                                                             \
        T lo = LO_DEFAULT, hi = HI_DEFAULT;                                                  \
        if (p->attrs) {                                                                      \
            lo = (T)p->lo;                                                                   \
            hi = (T)p->hi;                                                                   \
        }                                                                                    \
        if (gl_in_present(in, n_in, 1)) lo = *(const T *)in[1].data;                        \
        if (gl_in_present(in, n_in, 2)) hi = *(const T *)in[2].data;                         \
        size_t n = gl_numel(&in[0]);                                                         \
        for (size_t i = 0; i < n; i++) {                                                     \
            T v = x[i] < lo ? lo : x[i];                                                     \
            y[i] = v > hi ? hi : v;                                                          \
        }                                                                                    \
    }

CLIP_KERNEL(float, f32, -INFINITY, INFINITY)
CLIP_KERNEL(double, f64, -INFINITY, INFINITY)
CLIP_KERNEL(int32_t, i32, INT32_MIN, INT32_MAX)
CLIP_KERNEL(int64_t, i64, INT64_MIN, INT64_MAX)

static glint_status clip_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                             int n_out, void *ws, gl_err *err) {
    const clip_params *p = params;
    switch (in[0].dtype) {
    case GLINT_DTYPE_FLOAT32: clip_f32(p, in, n_in, out[0].data); break;
    case GLINT_DTYPE_FLOAT64: clip_f64(p, in, n_in, out[0].data); break;
    case GLINT_DTYPE_INT32: clip_i32(p, in, n_in, out[0].data); break;
    case GLINT_DTYPE_INT64: clip_i64(p, in, n_in, out[0].data); break;
    default:
        return gl_fail(err, GLINT_ERR_UNSUPPORTED, "Clip: dtype %s",
                       glint_dtype_name(in[0].dtype));
    }
    return GLINT_OK;
}

static int64_t clip_flops(const void *params, const gl_tensor *in, int n_in, const gl_tensor *out,
                          int n_out) {
    return 2 * (int64_t)gl_numel(&out[0]);
}

const gl_op gl_op_clip = {
    .domain = "",
    .name = "Clip",
    .min_inputs = 1, .max_inputs = 3,
    .min_outputs = 1, .max_outputs = 1,
    .parse = clip_parse,
    .infer = clip_infer,
    .run = clip_run,
    .flops = clip_flops,
};
