/* Helpers shared by the neural-network operators (their attributes are read
 * with graph.h's gl_attr_* like every other op's): the sliding-window geometry of Conv and the pools, and the convolution
 * reference kernels (the oracle for every faster convolution). */
#include <string.h>

#include "ops/nn_common.h"

glint_status gl_nn_need_f32(const char *op, const char *what, const gl_tensor *t, gl_err *err) {
    if (t->dtype == GLINT_DTYPE_FLOAT32) return GLINT_OK;
    return gl_fail(err, GLINT_ERR_UNSUPPORTED, "%s: input '%s' has dtype %s; only float32 is supported",
                   op, what, glint_dtype_name(t->dtype));
}

/* ---------------------------------------------------------- window attrs */
/* Records a list attribute's spatial rank, checking it agrees with earlier
 * lists. per_dim is 2 for pads (begins then ends). */
static glint_status window_list(const gl_node *n, const char *op, const char *name,
                                size_t per_dim, const int64_t **vals, int *spatial,
                                gl_err *err) {
    size_t count;
    glint_status st = gl_attr_ints(n, name, vals, &count, err);
    if (st != GLINT_OK || !*vals) return st;
    if (count % per_dim != 0 || count / per_dim == 0 || count / per_dim > GL_MAX_SPATIAL)
        return gl_fail(err, GLINT_ERR_UNSUPPORTED,
                       "%s: attribute '%s' has %zu values; 1 to %d spatial dims are supported", op,
                       name, count, GL_MAX_SPATIAL);
    int s = (int)(count / per_dim);
    if (*spatial && *spatial != s)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                       "%s: attribute '%s' implies %d spatial dims but another attribute %d", op,
                       name, s, *spatial);
    *spatial = s;
    return GLINT_OK;
}

glint_status gl_nn_parse_window(const gl_node *n, const char *op, gl_conv_params *p,
                                gl_err *err) {
    const int64_t *k, *s, *d, *pads;
    int sp = 0;
    glint_status st;
    if ((st = window_list(n, op, "kernel_shape", 1, &k, &sp, err)) ||
        (st = window_list(n, op, "strides", 1, &s, &sp, err)) ||
        (st = window_list(n, op, "dilations", 1, &d, &sp, err)) ||
        (st = window_list(n, op, "pads", 2, &pads, &sp, err)))
        return st;
    p->n_attr_spatial = sp;
    p->n_kernel = k ? sp : 0;
    for (int i = 0; i < GL_MAX_SPATIAL; i++) {
        p->kernel[i] = k && i < sp ? k[i] : 0;
        p->stride[i] = s && i < sp ? s[i] : 1;
        p->dilation[i] = d && i < sp ? d[i] : 1;
        p->pads[i] = pads && i < sp ? pads[i] : 0;
        p->pads[GL_MAX_SPATIAL + i] = pads && i < sp ? pads[sp + i] : 0;
        if (p->stride[i] < 1 || p->dilation[i] < 1 || (k && i < sp && p->kernel[i] < 1) ||
            p->pads[i] < 0 || p->pads[GL_MAX_SPATIAL + i] < 0)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                           "%s: spatial dim %d has kernel %lld, stride %lld, dilation %lld, pads "
                           "%lld/%lld; kernel, stride and dilation must be >= 1 and pads >= 0",
                           op, i, (long long)p->kernel[i], (long long)p->stride[i],
                           (long long)p->dilation[i], (long long)p->pads[i],
                           (long long)p->pads[GL_MAX_SPATIAL + i]);
    }
    const char *ap;
    if ((st = gl_attr_string(n, "auto_pad", "NOTSET", &ap, err))) return st;
    if (strcmp(ap, "NOTSET") == 0) p->auto_pad = GL_AUTO_PAD_NOTSET;
    else if (strcmp(ap, "SAME_UPPER") == 0) p->auto_pad = GL_AUTO_PAD_SAME_UPPER;
    else if (strcmp(ap, "SAME_LOWER") == 0) p->auto_pad = GL_AUTO_PAD_SAME_LOWER;
    else if (strcmp(ap, "VALID") == 0) p->auto_pad = GL_AUTO_PAD_VALID;
    else return gl_fail(err, GLINT_ERR_UNSUPPORTED, "%s: auto_pad '%s' is not supported", op, ap);
    return GLINT_OK;
}

/* Floor and ceiling division for b > 0 and any sign of a. */
static int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
static int64_t ceil_div(int64_t a, int64_t b) { return -floor_div(-a, b); }

glint_status gl_nn_window_dim(const char *op, int axis, int64_t in, int64_t k, int64_t s,
                              int64_t d, int64_t pb, int64_t pe, gl_auto_pad auto_pad,
                              bool ceil_mode, int64_t *out, int64_t *pad_begin, gl_err *err) {
    int64_t span = (k - 1) * d + 1; /* extent of the dilated kernel */
    int64_t o;
    switch (auto_pad) {
    case GL_AUTO_PAD_SAME_UPPER:
    case GL_AUTO_PAD_SAME_LOWER: {
        o = ceil_div(in, s);
        int64_t total = GL_MAX((o - 1) * s + span - in, 0);
        *pad_begin = auto_pad == GL_AUTO_PAD_SAME_UPPER ? total / 2 : total - total / 2;
        break;
    }
    case GL_AUTO_PAD_VALID:
        o = in >= span ? (in - span) / s + 1 : 0;
        *pad_begin = 0;
        break;
    default: {
        int64_t room = in + pb + pe - span;
        o = room < 0 ? 0 : (ceil_mode ? ceil_div(room, s) : room / s) + 1;
        /* ceil_mode: the last window must start inside the input or its
         * leading pad, not wholly in the trailing pad (ONNX, PyTorch). */
        if (ceil_mode && o > 1 && (o - 1) * s >= in + pb) o--;
        *pad_begin = pb;
        break;
    }
    }
    if (o < 1)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                       "%s: spatial dim %d of size %lld is smaller than the dilated kernel %lld "
                       "with its padding",
                       op, axis, (long long)in, (long long)span);
    *out = o;
    return GLINT_OK;
}

/* ----------------------------------------------------- conv reference */
void gl_nn_conv_dims3(const gl_conv_geom *g, gl_nn_dims3 *t) {
    int off = 3 - g->spatial;
    for (int i = 0; i < 3; i++) {
        t->in[i] = t->out[i] = t->k[i] = t->s[i] = t->d[i] = 1;
        t->p[i] = 0;
    }
    for (int i = 0; i < g->spatial; i++) {
        t->in[off + i] = g->in[i];
        t->out[off + i] = g->out[i];
        t->k[off + i] = g->k[i];
        t->s[off + i] = g->stride[i];
        t->d[off + i] = g->dilation[i];
        t->p[off + i] = g->pad_begin[i];
    }
}

static void fill_bias(const gl_conv_geom *g, const float *b, float *y, int64_t plane) {
    for (int64_t n = 0; n < g->n; n++)
        for (int64_t m = 0; m < g->c_out; m++) {
            float v = b ? b[m] : 0.0f;
            float *yp = y + (n * g->c_out + m) * plane;
            for (int64_t i = 0; i < plane; i++) yp[i] = v;
        }
}

void gl_nn_conv_ref(const gl_conv_geom *g, const float *x, const float *w, const float *b,
                    float *y) {
    gl_nn_dims3 t;
    gl_nn_conv_dims3(g, &t);
    int64_t cg = g->c_in / g->group, mg = g->c_out / g->group;
    int64_t in_plane = t.in[0] * t.in[1] * t.in[2], out_plane = t.out[0] * t.out[1] * t.out[2];
    int64_t ksize = t.k[0] * t.k[1] * t.k[2];
    fill_bias(g, b, y, out_plane);
    for (int64_t n = 0; n < g->n; n++)
        for (int64_t m = 0; m < g->c_out; m++) {
            float *yp = y + (n * g->c_out + m) * out_plane;
            for (int64_t c = 0; c < cg; c++) {
                const float *xp = x + (n * g->c_in + (m / mg) * cg + c) * in_plane;
                const float *wp = w + (m * cg + c) * ksize;
                for (int64_t kz = 0; kz < t.k[0]; kz++)
                    for (int64_t ky = 0; ky < t.k[1]; ky++)
                        for (int64_t kx = 0; kx < t.k[2]; kx++) {
                            float wv = wp[(kz * t.k[1] + ky) * t.k[2] + kx];
                            int64_t xoff = kx * t.d[2] - t.p[2]; /* ix = ox*s + xoff */
                            int64_t lo = GL_MAX(ceil_div(-xoff, t.s[2]), 0);
                            int64_t hi = GL_MIN(floor_div(t.in[2] - 1 - xoff, t.s[2]), t.out[2] - 1);
                            for (int64_t oz = 0; oz < t.out[0]; oz++) {
                                int64_t iz = oz * t.s[0] + kz * t.d[0] - t.p[0];
                                if (iz < 0 || iz >= t.in[0]) continue;
                                for (int64_t oy = 0; oy < t.out[1]; oy++) {
                                    int64_t iy = oy * t.s[1] + ky * t.d[1] - t.p[1];
                                    if (iy < 0 || iy >= t.in[1]) continue;
                                    float *yr = yp + (oz * t.out[1] + oy) * t.out[2];
                                    const float *xr = xp + (iz * t.in[1] + iy) * t.in[2];
                                    for (int64_t ox = lo; ox <= hi; ox++)
                                        yr[ox] += wv * xr[ox * t.s[2] + xoff];
                                }
                            }
                        }
            }
        }
}

void gl_nn_conv_transpose_ref(const gl_conv_geom *g, const float *x, const float *w,
                              const float *b, float *y) {
    gl_nn_dims3 t;
    gl_nn_conv_dims3(g, &t);
    int64_t cg = g->c_in / g->group, mg = g->c_out / g->group;
    int64_t in_plane = t.in[0] * t.in[1] * t.in[2], out_plane = t.out[0] * t.out[1] * t.out[2];
    int64_t ksize = t.k[0] * t.k[1] * t.k[2];
    fill_bias(g, b, y, out_plane);
    /* Scatter form: input element i adds w[k] * x[i] to output i*s + k*d - pad. */
    for (int64_t n = 0; n < g->n; n++)
        for (int64_t c = 0; c < g->c_in; c++) {
            const float *xp = x + (n * g->c_in + c) * in_plane;
            for (int64_t m = 0; m < mg; m++) {
                int64_t oc = (c / cg) * mg + m;
                float *yp = y + (n * g->c_out + oc) * out_plane;
                const float *wp = w + (c * mg + m) * ksize;
                for (int64_t kz = 0; kz < t.k[0]; kz++)
                    for (int64_t ky = 0; ky < t.k[1]; ky++)
                        for (int64_t kx = 0; kx < t.k[2]; kx++) {
                            float wv = wp[(kz * t.k[1] + ky) * t.k[2] + kx];
                            int64_t yoff = kx * t.d[2] - t.p[2]; /* ox = ix*s + yoff */
                            int64_t lo = GL_MAX(ceil_div(-yoff, t.s[2]), 0);
                            int64_t hi = GL_MIN(floor_div(t.out[2] - 1 - yoff, t.s[2]), t.in[2] - 1);
                            for (int64_t iz = 0; iz < t.in[0]; iz++) {
                                int64_t oz = iz * t.s[0] + kz * t.d[0] - t.p[0];
                                if (oz < 0 || oz >= t.out[0]) continue;
                                for (int64_t iy = 0; iy < t.in[1]; iy++) {
                                    int64_t oy = iy * t.s[1] + ky * t.d[1] - t.p[1];
                                    if (oy < 0 || oy >= t.out[1]) continue;
                                    float *yr = yp + (oz * t.out[1] + oy) * t.out[2];
                                    const float *xr = xp + (iz * t.in[1] + iy) * t.in[2];
                                    for (int64_t ix = lo; ix <= hi; ix++)
                                        yr[ix * t.s[2] + yoff] += wv * xr[ix];
                                }
                            }
                        }
            }
        }
}

int64_t gl_nn_conv_flops(const gl_conv_geom *g, bool transpose) {
    /* Conv: each output element takes (C/g) x k multiply-adds; ConvTranspose:
     * each input element scatters to (M/g) x k outputs. */
    int64_t f = 2 * g->n;
    int64_t per = transpose ? g->c_in * (g->c_out / g->group) : g->c_out * (g->c_in / g->group);
    f *= per;
    for (int i = 0; i < g->spatial; i++) f *= g->k[i] * (transpose ? g->in[i] : g->out[i]);
    return f;
}
