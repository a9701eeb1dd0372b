/* Resize (ONNX opsets 10-19) and Upsample (7-9): nearest and N-linear
 * interpolation (bilinear/trilinear are linear over the last 2/3 dims) on
 * any resized axes, with the coordinate transforms half_pixel, asymmetric,
 * align_corners, pytorch_half_pixel and tf_half_pixel_for_nn, the four
 * nearest rounding modes, scales or sizes inputs and Resize-18 axes.
 * Refused at parse: cubic, antialias, tf_crop_and_resize (roi),
 * half_pixel_symmetric, keep_aspect_ratio_policy other than stretch. */
#include <math.h>
#include <string.h>

#include "ops/nn_common.h"

typedef struct name_val {
    const char *name;
    int val;
} name_val;

static glint_status pick(const char *what, const char *s, const name_val *tab, size_t n,
                         int *out, gl_err *err) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, tab[i].name) == 0) {
            *out = tab[i].val;
            return GLINT_OK;
        }
    return gl_fail(err, GLINT_ERR_UNSUPPORTED, "Resize: %s '%s' is not supported", what, s);
}

static glint_status resize_parse(const gl_graph *g, const gl_node *n, void **params, gl_err *err) {
    static const name_val modes[] = {{"nearest", GL_RESIZE_NEAREST}, {"linear", GL_RESIZE_LINEAR}};
    static const name_val coords[] = {{"half_pixel", GL_COORD_HALF_PIXEL},
                                      {"asymmetric", GL_COORD_ASYMMETRIC},
                                      {"align_corners", GL_COORD_ALIGN_CORNERS},
                                      {"pytorch_half_pixel", GL_COORD_PYTORCH_HALF_PIXEL},
                                      {"tf_half_pixel_for_nn", GL_COORD_TF_HALF_PIXEL_FOR_NN},
                                      /* not an ONNX name; an earlier spelling here,
                                       * still used by tests/unit/test_ops_nn_resize.c */
                                      {"tf_half_pixel_for_nearest", GL_COORD_TF_HALF_PIXEL_FOR_NN}};
    static const name_val nearest[] = {{"round_prefer_floor", GL_NEAREST_ROUND_PREFER_FLOOR},
                                       {"round_prefer_ceil", GL_NEAREST_ROUND_PREFER_CEIL},
                                       {"floor", GL_NEAREST_FLOOR},
                                       {"ceil", GL_NEAREST_CEIL}};
    gl_resize_params *p = gl_calloc(g->alloc, 1, sizeof *p);
    if (!p) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "Resize: out of memory");
    const char *s;
    int v = 0;
    int64_t iv = 0;
    const int64_t *axes = NULL;
    size_t n_axes = 0;
    glint_status st = gl_attr_string(n, "mode", "nearest", &s, err);
    if (st == GLINT_OK) st = pick("mode", s, modes, GL_ARRAY_LEN(modes), &v, err);
    p->mode = (gl_resize_mode)v;
    /* Resize-10 is Upsample-9 renamed: scales as input 1, asymmetric. */
    p->upsample = g->opset < 11;
    if (p->upsample) {
        p->coord = GL_COORD_ASYMMETRIC;
        p->nearest = GL_NEAREST_FLOOR;
    } else {
        if (st == GLINT_OK)
            st = gl_attr_string(n, "coordinate_transformation_mode", "half_pixel", &s, err);
        if (st == GLINT_OK)
            st = pick("coordinate_transformation_mode", s, coords, GL_ARRAY_LEN(coords), &v, err);
        p->coord = (gl_resize_coord)v;
        if (st == GLINT_OK) st = gl_attr_string(n, "nearest_mode", "round_prefer_floor", &s, err);
        if (st == GLINT_OK) st = pick("nearest_mode", s, nearest, GL_ARRAY_LEN(nearest), &v, err);
        p->nearest = (gl_resize_nearest)v;
    }
    if (st == GLINT_OK) st = gl_attr_int(n, "antialias", 0, &iv, err);
    if (st == GLINT_OK && iv != 0)
        st = gl_fail(err, GLINT_ERR_UNSUPPORTED, "Resize: antialias %lld is not supported",
                     (long long)iv);
    if (st == GLINT_OK) st = gl_attr_string(n, "keep_aspect_ratio_policy", "stretch", &s, err);
    if (st == GLINT_OK && strcmp(s, "stretch") != 0)
        st = gl_fail(err, GLINT_ERR_UNSUPPORTED,
                     "Resize: keep_aspect_ratio_policy '%s' is not supported", s);
    if (st == GLINT_OK) st = gl_attr_int(n, "exclude_outside", 0, &iv, err);
    p->exclude_outside = iv != 0; /* only changes cubic, which is refused */
    if (st == GLINT_OK)
        st = gl_attr_float(n, "extrapolation_value", 0.0f, &p->extrapolation_value, err);
    if (st == GLINT_OK) st = gl_attr_ints(n, "axes", &axes, &n_axes, err);
    if (st == GLINT_OK && axes) {
        if (n_axes == 0 || n_axes > GL_MAX_RANK)
            st = gl_fail(err, GLINT_ERR_INVALID_MODEL, "Resize: 'axes' has %zu values", n_axes);
        for (size_t i = 0; st == GLINT_OK && i < n_axes; i++) p->axes[i] = axes[i];
        p->n_axes = (int)n_axes;
    }
    if (st != GLINT_OK) {
        gl_free(g->alloc, p);
        return st;
    }
    *params = p;
    return GLINT_OK;
}

static glint_status upsample_parse(const gl_graph *g, const gl_node *n, void **params,
                                   gl_err *err) {
    gl_resize_params *p = gl_calloc(g->alloc, 1, sizeof *p);
    if (!p) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "Upsample: out of memory");
    const char *mode;
    glint_status st = gl_attr_string(n, "mode", "nearest", &mode, err);
    if (st == GLINT_OK && strcmp(mode, "nearest") == 0) p->mode = GL_RESIZE_NEAREST;
    else if (st == GLINT_OK && (strcmp(mode, "linear") == 0 || strcmp(mode, "bilinear") == 0))
        p->mode = GL_RESIZE_LINEAR;
    else if (st == GLINT_OK)
        st = gl_fail(err, GLINT_ERR_UNSUPPORTED, "Upsample: mode '%s' is not supported", mode);
    if (st == GLINT_OK && gl_node_attr(n, "scales"))
        st = gl_fail(err, GLINT_ERR_UNSUPPORTED,
                     "Upsample: the opset-7 'scales' attribute is not supported (opset 9+ input)");
    p->upsample = true;
    p->coord = GL_COORD_ASYMMETRIC;
    p->nearest = GL_NEAREST_FLOOR;
    if (st != GLINT_OK) {
        gl_free(g->alloc, p);
        return st;
    }
    *params = p;
    return GLINT_OK;
}

static bool tensor_given(const gl_tensor *in, int n_in, int i) {
    return gl_in_present(in, n_in, i) && gl_shape_numel(&in[i].shape) > 0;
}

glint_status gl_resize_resolve(const gl_resize_params *p, const gl_tensor *in, int n_in,
                               gl_shape *out, double scale[GL_MAX_RANK], gl_err *err) {
    const char *op = p->upsample ? "Upsample" : "Resize";
    glint_status st = gl_nn_need_f32(op, "X", &in[0], err);
    if (st != GLINT_OK) return st;
    const gl_shape *x = &in[0].shape;
    int r = x->rank;
    int si = p->upsample ? 1 : 2;
    bool has_scales = tensor_given(in, n_in, si), has_sizes = !p->upsample && tensor_given(in, n_in, 3);
    if (has_scales == has_sizes)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: exactly one of scales and sizes must be given", op);
    const gl_tensor *t = &in[has_scales ? si : 3];
    if (!t->data)
        return gl_fail_needs_value(err, t, "%s: input '%s' must be known when the plan is built",
                       op, has_scales ? "scales" : "sizes");
    if (has_scales ? t->dtype != GLINT_DTYPE_FLOAT32 : t->dtype != GLINT_DTYPE_INT64)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: %s has dtype %s", op,
                       has_scales ? "scales" : "sizes", glint_dtype_name(t->dtype));
    int64_t axes[GL_MAX_RANK];
    int n_axes = p->n_axes ? p->n_axes : r;
    for (int i = 0; i < n_axes; i++) {
        axes[i] = p->n_axes ? p->axes[i] : i;
        if (axes[i] < 0) axes[i] += r;
        if (axes[i] < 0 || axes[i] >= r)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: axis %lld is out of range for rank %d",
                           op, (long long)p->axes[i], r);
        for (int j = 0; j < i; j++)
            if (axes[j] == axes[i])
                return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: axis %lld repeated", op,
                               (long long)axes[i]);
    }
    if (gl_shape_numel(&t->shape) != n_axes)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: %s has %lld values for %d axes", op,
                       has_scales ? "scales" : "sizes", (long long)gl_shape_numel(&t->shape), n_axes);
    *out = *x;
    for (int i = 0; i < r; i++) scale[i] = 1.0;
    for (int i = 0; i < n_axes; i++) {
        int a = (int)axes[i];
        if (has_scales) {
            float s = ((const float *)t->data)[i];
            if (!(s > 0.0f) || !isfinite(s))
                return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: scale %g on axis %d", op,
                               (double)s, a);
            if (p->upsample && s < 1.0f)
                return gl_fail(err, GLINT_ERR_UNSUPPORTED,
                               "%s: downsampling scale %g on axis %d is not supported", op,
                               (double)s, a);
            scale[a] = s;
            out->d[a] = (int64_t)floor((double)x->d[a] * (double)s);
        } else {
            out->d[a] = ((const int64_t *)t->data)[i];
            scale[a] = x->d[a] > 0 ? (double)out->d[a] / (double)x->d[a] : 1.0;
        }
        if (out->d[a] < 1 || out->d[a] > ((int64_t)1 << 40) || x->d[a] < 1)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: axis %d of size %lld resizes to %lld",
                           op, a, (long long)x->d[a], (long long)out->d[a]);
    }
    return GLINT_OK;
}

static glint_status resize_infer(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                                 int n_out, gl_err *err) {
    double scale[GL_MAX_RANK];
    glint_status st = gl_resize_resolve(params, in, n_in, &out[0].shape, scale, err);
    out[0].dtype = GLINT_DTYPE_FLOAT32;
    return st;
}

/* Per output index along one axis: the two source indices and the weight of
 * the second (0 for nearest). */
typedef struct tap {
    int64_t i0, i1;
    double w1;
} tap;

static size_t resize_workspace(const void *params, const gl_tensor *in, int n_in,
                               const gl_tensor *out, int n_out) {
    size_t n = 0;
    for (int i = 0; i < out[0].shape.rank; i++) n += (size_t)out[0].shape.d[i];
    return n * sizeof(tap);
}

/* The ONNX coordinate transforms: output index x to a source coordinate. */
static double source_coord(const gl_resize_params *p, int64_t x, double scale, int64_t len_in,
                           int64_t len_out) {
    double xd = (double)x;
    switch (p->coord) {
    case GL_COORD_ASYMMETRIC: return xd / scale;
    case GL_COORD_ALIGN_CORNERS:
        return len_out == 1 ? 0.0 : xd * (double)(len_in - 1) / (double)(len_out - 1);
    case GL_COORD_PYTORCH_HALF_PIXEL: return len_out > 1 ? (xd + 0.5) / scale - 0.5 : 0.0;
    case GL_COORD_TF_HALF_PIXEL_FOR_NN: return (xd + 0.5) / scale;
    case GL_COORD_HALF_PIXEL: break;
    }
    return (xd + 0.5) / scale - 0.5;
}

static int64_t clamp_idx(double v, int64_t len) {
    if (v < 0) return 0;
    if (v > (double)(len - 1)) return len - 1;
    return (int64_t)v;
}

void gl_resize_tap(const gl_resize_params *p, int64_t x, double scale, int64_t len_in,
                   int64_t len_out, int64_t *i0, int64_t *i1, double *w1) {
    double c = source_coord(p, x, scale, len_in, len_out);
    if (p->mode == GL_RESIZE_NEAREST) {
        double r;
        switch (p->nearest) {
        case GL_NEAREST_ROUND_PREFER_CEIL: r = floor(c + 0.5); break;
        case GL_NEAREST_FLOOR: r = floor(c); break;
        case GL_NEAREST_CEIL: r = ceil(c); break;
        default: r = ceil(c - 0.5); break; /* round, ties down */
        }
        *i0 = *i1 = clamp_idx(r, len_in);
        *w1 = 0.0;
    } else {
        double f = floor(c);
        *i0 = clamp_idx(f, len_in);
        *i1 = clamp_idx(f + 1.0, len_in);
        *w1 = c - f;
    }
}

static void make_taps(const gl_resize_params *p, double scale, int64_t len_in, int64_t len_out,
                      tap *t) {
    for (int64_t x = 0; x < len_out; x++)
        gl_resize_tap(p, x, scale, len_in, len_out, &t[x].i0, &t[x].i1, &t[x].w1);
}

static glint_status resize_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                               int n_out, void *ws, gl_err *err) {
    const gl_resize_params *p = params;
    double scale[GL_MAX_RANK];
    gl_shape os;
    glint_status st = gl_resize_resolve(p, in, n_in, &os, scale, err);
    if (st != GLINT_OK) return st;
    const gl_shape *is = &in[0].shape;
    int r = is->rank;
    tap *taps[GL_MAX_RANK];
    tap *next = ws;
    int interp[GL_MAX_RANK], n_interp = 0; /* axes where some weight is nonzero */
    int64_t istride[GL_MAX_RANK], s = 1;
    for (int a = r - 1; a >= 0; a--) istride[a] = s, s *= is->d[a];
    for (int a = 0; a < r; a++) {
        taps[a] = next;
        next += os.d[a];
        make_taps(p, scale[a], is->d[a], os.d[a], taps[a]);
        bool any = false;
        for (int64_t x = 0; x < os.d[a]; x++) any |= taps[a][x].w1 != 0.0 && taps[a][x].i1 != taps[a][x].i0;
        if (any) interp[n_interp++] = a;
    }
    const float *xd = in[0].data;
    float *y = out[0].data;
    int64_t total = gl_shape_numel(&os), coord[GL_MAX_RANK] = {0};
    for (int64_t o = 0; o < total; o++) {
        int64_t base = 0;
        for (int a = 0; a < r; a++) base += taps[a][coord[a]].i0 * istride[a];
        double acc = 0.0;
        /* every corner of the interpolation cell: bit j picks i1 on interp[j] */
        for (int corner = 0; corner < (1 << n_interp); corner++) {
            double w = 1.0;
            int64_t off = base;
            for (int j = 0; j < n_interp; j++) {
                const tap *t = &taps[interp[j]][coord[interp[j]]];
                if (corner >> j & 1) {
                    w *= t->w1;
                    off += (t->i1 - t->i0) * istride[interp[j]];
                } else {
                    w *= 1.0 - t->w1;
                }
            }
            if (w != 0.0) acc += w * xd[off];
        }
        y[o] = (float)acc;
        for (int a = r - 1; a >= 0; a--) {
            if (++coord[a] < os.d[a]) break;
            coord[a] = 0;
        }
    }
    return GLINT_OK;
}

const gl_op gl_op_resize = {
    .domain = "",
    .name = "Resize",
    .min_inputs = 1, .max_inputs = 4,
    .min_outputs = 1, .max_outputs = 1,
    .parse = resize_parse,
    .infer = resize_infer,
    .workspace = resize_workspace,
    .run = resize_run,
};

const gl_op gl_op_upsample = {
    .domain = "",
    .name = "Upsample",
    .min_inputs = 2, .max_inputs = 2,
    .min_outputs = 1, .max_outputs = 1,
    .parse = upsample_parse,
    .infer = resize_infer,
    .workspace = resize_workspace,
    .run = resize_run,
};
