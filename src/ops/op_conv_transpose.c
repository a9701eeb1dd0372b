/* ConvTranspose (ONNX opsets 1-22): the adjoint of Conv — 1-D to 3-D,
 * groups, strides, dilations, pads or auto_pad, output_padding and
 * output_shape. Geometry: gl_conv_resolve in op_conv.c. */
#include "ops/nn_common.h"

static glint_status convt_parse(const gl_graph *g, const gl_node *n, void **params, gl_err *err) {
    const char *op = "ConvTranspose";
    gl_conv_params *p = gl_calloc(g->alloc, 1, sizeof *p);
    if (!p) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "%s: out of memory", op);
    p->transpose = true;
    const int64_t *adj = NULL, *oshape = NULL;
    size_t n_adj = 0, n_oshape = 0;
    glint_status st = gl_nn_parse_window(n, op, p, err);
    if (st == GLINT_OK) st = gl_attr_int(n, "group", 1, &p->group, err);
    if (st == GLINT_OK && p->group < 1)
        st = gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: group %lld must be >= 1", op,
                     (long long)p->group);
    if (st == GLINT_OK) st = gl_attr_ints(n, "output_padding", &adj, &n_adj, err);
    if (st == GLINT_OK) st = gl_attr_ints(n, "output_shape", &oshape, &n_oshape, err);
    if (st == GLINT_OK && adj) {
        if (n_adj > GL_MAX_SPATIAL || (p->n_attr_spatial && (int)n_adj != p->n_attr_spatial))
            st = gl_fail(err, GLINT_ERR_INVALID_MODEL,
                         "%s: output_padding has %zu values, other attributes imply %d", op,
                         n_adj, p->n_attr_spatial);
        for (size_t i = 0; st == GLINT_OK && i < n_adj; i++) {
            if (adj[i] < 0)
                st = gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: output_padding[%zu] = %lld < 0",
                             op, i, (long long)adj[i]);
            p->output_padding[i] = adj[i];
        }
        if (st == GLINT_OK && !p->n_attr_spatial) p->n_attr_spatial = (int)n_adj;
    }
    if (st == GLINT_OK && oshape) {
        /* ONNX gives only the spatial sizes; some exporters wrote [N, C, ...]
         * too, which is ambiguous for 1-D, so only the spatial form is read. */
        if (n_oshape == 0 || n_oshape > GL_MAX_SPATIAL ||
            (p->n_attr_spatial && (int)n_oshape != p->n_attr_spatial))
            st = gl_fail(err, GLINT_ERR_UNSUPPORTED,
                         "%s: output_shape with %zu values is not supported (expected one per "
                         "spatial dim)", op, n_oshape);
        for (size_t i = 0; st == GLINT_OK && i < n_oshape; i++) {
            if (oshape[i] < 1)
                st = gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: output_shape[%zu] = %lld < 1",
                             op, i, (long long)oshape[i]);
            p->output_shape[i] = oshape[i];
        }
        p->n_output_shape = (int)n_oshape;
    }
    if (st != GLINT_OK) {
        gl_free(g->alloc, p);
        return st;
    }
    *params = p;
    return GLINT_OK;
}

static glint_status convt_infer(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                                int n_out, gl_err *err) {
    gl_conv_geom geom;
    return gl_nn_conv_infer("ConvTranspose", params, in, n_in, out, &geom, err);
}

static glint_status convt_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                              int n_out, void *ws, gl_err *err) {
    gl_conv_geom g;
    glint_status st = gl_conv_resolve(params, &in[0].shape, &in[1].shape, &g, err);
    if (st != GLINT_OK) return st;
    gl_nn_conv_transpose_ref(&g, in[0].data, in[1].data,
                             gl_in_present(in, n_in, 2) ? (const float *)in[2].data : NULL,
                             out[0].data);
    return GLINT_OK;
}

static int64_t convt_flops(const void *params, const gl_tensor *in, int n_in,
                           const gl_tensor *out, int n_out) {
    gl_conv_geom g;
    if (gl_conv_resolve(params, &in[0].shape, &in[1].shape, &g, NULL) != GLINT_OK) return 0;
    return gl_nn_conv_flops(&g, true);
}

const gl_op gl_op_conv_transpose = {
    .domain = "",
    .name = "ConvTranspose",
    .min_inputs = 2, .max_inputs = 3,
    .min_outputs = 1, .max_outputs = 1,
    .parse = convt_parse,
    .infer = convt_infer,
    .run = convt_run,
    .flops = convt_flops,
};
