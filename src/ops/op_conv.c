/* Conv (ONNX opsets 1-22): 1-D, 2-D and 3-D convolution with groups,
 * strides, dilations, explicit pads or auto_pad, and an optional bias.
 * Also home of gl_conv_resolve, the attribute-to-geometry step that Conv,
 * ConvTranspose and FusedConv share with every backend. */
#include <string.h>

#include "ops/nn_common.h"

static glint_status conv_parse(const gl_graph *g, const gl_node *n, void **params, gl_err *err) {
    gl_conv_params *p = gl_calloc(g->alloc, 1, sizeof *p);
    if (!p) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "Conv: out of memory");
    glint_status st = gl_nn_parse_window(n, "Conv", p, err);
    if (st == GLINT_OK) st = gl_attr_int(n, "group", 1, &p->group, err);
    if (st == GLINT_OK && p->group < 1)
        st = gl_fail(err, GLINT_ERR_INVALID_MODEL, "Conv: group %lld must be >= 1",
                     (long long)p->group);
    if (st != GLINT_OK) {
        gl_free(g->alloc, p);
        return st;
    }
    *params = p;
    return GLINT_OK;
}

/* Output size and cropped leading pad of one ConvTranspose dim (ONNX:
 * out = s(in-1) + output_padding + (k-1)d + 1 - pads, or pads derived from
 * output_shape / auto_pad with the odd unit at the end for SAME_UPPER). */
static glint_status transpose_dim(const gl_conv_params *p, int i, int64_t in, int64_t k,
                                  int64_t *out, int64_t *pad_begin, gl_err *err) {
    int64_t s = p->stride[i], d = p->dilation[i], adj = p->output_padding[i];
    int64_t full = s * (in - 1) + adj + (k - 1) * d + 1;
    int64_t o, pb;
    if (p->n_output_shape) {
        o = p->output_shape[i];
        int64_t total = full - o;
        /* A requested size beyond the full output leaves the extra trailing
         * positions with only the bias, as ONNX Runtime does. */
        if (total < 0) total = 0;
        pb = p->auto_pad == GL_AUTO_PAD_SAME_UPPER ? total / 2 : total - total / 2;
    } else if (p->auto_pad == GL_AUTO_PAD_SAME_UPPER || p->auto_pad == GL_AUTO_PAD_SAME_LOWER) {
        int64_t total = GL_MAX(full - in * s, 0);
        pb = p->auto_pad == GL_AUTO_PAD_SAME_UPPER ? total / 2 : total - total / 2;
        o = full - total;
    } else if (p->auto_pad == GL_AUTO_PAD_VALID) {
        pb = 0;
        o = full;
    } else {
        pb = p->pads[i];
        o = full - p->pads[i] - p->pads[GL_MAX_SPATIAL + i];
    }
    if (o < 1)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                       "ConvTranspose: spatial dim %d gets output size %lld (input %lld, kernel "
                       "%lld, stride %lld)",
                       i, (long long)o, (long long)in, (long long)k, (long long)s);
    *out = o;
    *pad_begin = pb;
    return GLINT_OK;
}

glint_status gl_conv_resolve(const gl_conv_params *p, const gl_shape *x, const gl_shape *w,
                             gl_conv_geom *g, gl_err *err) {
    const char *op = p->transpose ? "ConvTranspose" : "Conv";
    char xs[96], ws[96];
    gl_shape_str(x, xs, sizeof xs);
    gl_shape_str(w, ws, sizeof ws);
    if (x->rank < 3 || x->rank > 2 + GL_MAX_SPATIAL)
        return gl_fail(err, GLINT_ERR_UNSUPPORTED,
                       "%s: input X %s has rank %d; 1-D to 3-D convolutions (rank 3 to 5) are "
                       "supported", op, xs, x->rank);
    if (w->rank != x->rank)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: weight W %s and input X %s differ in rank",
                       op, ws, xs);
    int sp = x->rank - 2;
    if (p->n_attr_spatial && p->n_attr_spatial != sp)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                       "%s: attributes describe %d spatial dims but input X %s has %d", op,
                       p->n_attr_spatial, xs, sp);
    if (p->n_output_shape && p->n_output_shape != sp)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                       "%s: output_shape has %d values but input X %s has %d spatial dims", op,
                       p->n_output_shape, xs, sp);
    for (int i = 0; i < x->rank; i++)
        if (x->d[i] < (i == 0 ? 0 : 1) || w->d[i] < 1)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: bad input X %s or weight W %s", op,
                           xs, ws);
    memset(g, 0, sizeof *g);
    g->spatial = sp;
    g->n = x->d[0];
    g->c_in = x->d[1];
    g->group = p->group;
    if (g->group < 1)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: group %lld must be >= 1", op,
                       (long long)g->group);
    if (!p->transpose) {
        g->c_out = w->d[0];
        if (w->d[1] * g->group != g->c_in || g->c_out % g->group != 0)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                           "%s: weight W %s does not fit input X %s with group %lld", op, ws, xs,
                           (long long)g->group);
    } else {
        g->c_out = w->d[1] * g->group;
        if (w->d[0] != g->c_in || g->c_in % g->group != 0)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                           "%s: weight W %s does not fit input X %s with group %lld", op, ws, xs,
                           (long long)g->group);
    }
    for (int i = 0; i < GL_MAX_SPATIAL; i++) {
        g->in[i] = g->out[i] = g->k[i] = g->stride[i] = g->dilation[i] = 1;
        g->pad_begin[i] = 0;
    }
    for (int i = 0; i < sp; i++) {
        g->in[i] = x->d[2 + i];
        g->k[i] = w->d[2 + i];
        g->stride[i] = p->stride[i];
        g->dilation[i] = p->dilation[i];
        if (g->stride[i] < 1 || g->dilation[i] < 1 || p->pads[i] < 0 ||
            p->pads[GL_MAX_SPATIAL + i] < 0 || p->output_padding[i] < 0)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                           "%s: spatial dim %d has stride %lld, dilation %lld (must be >= 1)",
                           op, i, (long long)g->stride[i], (long long)g->dilation[i]);
        if (p->n_kernel && p->kernel[i] != g->k[i])
            return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                           "%s: kernel_shape[%d] = %lld but weight W %s has %lld", op, i,
                           (long long)p->kernel[i], ws, (long long)g->k[i]);
        glint_status st =
            p->transpose
                ? transpose_dim(p, i, g->in[i], g->k[i], &g->out[i], &g->pad_begin[i], err)
                : gl_nn_window_dim(op, i, g->in[i], g->k[i], g->stride[i], g->dilation[i],
                                   p->pads[i], p->pads[GL_MAX_SPATIAL + i], p->auto_pad, false,
                                   &g->out[i], &g->pad_begin[i], err);
        if (st != GLINT_OK) return st;
    }
    return GLINT_OK;
}

glint_status gl_nn_conv_infer(const char *op, const gl_conv_params *p, const gl_tensor *in,
                              int n_in, gl_tensor *out, gl_conv_geom *geom, gl_err *err) {
    glint_status st;
    if ((st = gl_nn_need_f32(op, "X", &in[0], err)) || (st = gl_nn_need_f32(op, "W", &in[1], err)))
        return st;
    if ((st = gl_conv_resolve(p, &in[0].shape, &in[1].shape, geom, err))) return st;
    if (gl_in_present(in, n_in, 2)) {
        if ((st = gl_nn_need_f32(op, "B", &in[2], err))) return st;
        if (in[2].shape.rank != 1 || in[2].shape.d[0] != geom->c_out) {
            char bs[96];
            return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: bias B %s should be [%lld]", op,
                           gl_shape_str(&in[2].shape, bs, sizeof bs), (long long)geom->c_out);
        }
    }
    out[0].dtype = GLINT_DTYPE_FLOAT32;
    out[0].shape.rank = 2 + geom->spatial;
    out[0].shape.d[0] = geom->n;
    out[0].shape.d[1] = geom->c_out;
    for (int i = 0; i < geom->spatial; i++) out[0].shape.d[2 + i] = geom->out[i];
    return GLINT_OK;
}

static glint_status conv_infer(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                               int n_out, gl_err *err) {
    gl_conv_geom geom;
    return gl_nn_conv_infer("Conv", params, in, n_in, out, &geom, err);
}

static glint_status conv_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                             int n_out, void *ws, gl_err *err) {
    gl_conv_geom g;
    glint_status st = gl_conv_resolve(params, &in[0].shape, &in[1].shape, &g, err);
    if (st != GLINT_OK) return st;
    gl_nn_conv_ref(&g, in[0].data, in[1].data,
                   gl_in_present(in, n_in, 2) ? (const float *)in[2].data : NULL, out[0].data);
    return GLINT_OK;
}

static int64_t conv_flops(const void *params, const gl_tensor *in, int n_in, const gl_tensor *out,
                          int n_out) {
    gl_conv_geom g;
    if (gl_conv_resolve(params, &in[0].shape, &in[1].shape, &g, NULL) != GLINT_OK) return 0;
    return gl_nn_conv_flops(&g, false);
}

const gl_op gl_op_conv = {
    .domain = "",
    .name = "Conv",
    .min_inputs = 2, .max_inputs = 3,
    .min_outputs = 1, .max_outputs = 1,
    .parse = conv_parse,
    .infer = conv_infer,
    .run = conv_run,
    .flops = conv_flops,
};
