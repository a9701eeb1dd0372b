/* Quantisation parameters a QDQ model carries itself. Standard quantisation
 * tools export a convolution as DequantizeLinear(QuantizeLinear(x)) feeding
 * a Conv whose weights come from DequantizeLinear(int8 constant); after
 * constant folding the weights are float constants again and the
 * activation's scale and zero point sit on the DequantizeLinear node. This
 * reads them into a gl_calib so that the ordinary plan rewrite runs those
 * convolutions as glint::QConv — no calibration run needed. */
#include <string.h>

#include "quant/quant.h"

/* Per-tensor scale and zero point of DequantizeLinear node n, when constant. */
static bool dq_params(const gl_graph *g, const gl_node *n, float *scale, int32_t *zp,
                      bool *is_unsigned) {
    if (strcmp(n->op_type, "DequantizeLinear") != 0 || n->domain[0] || n->n_inputs < 2)
        return false;
    /* intermediate values often carry no dtype: the zero point's tells */
    const gl_const *s = g->values[n->inputs[1]].constant;
    const gl_const *z = n->n_inputs > 2 && n->inputs[2] >= 0 ? g->values[n->inputs[2]].constant
                                                             : NULL;
    gl_dtype t = z ? z->dtype : g->values[n->inputs[0]].dtype;
    if (n->n_inputs > 2 && n->inputs[2] >= 0 && !z) return false;
    if (t != GLINT_DTYPE_INT8 && t != GLINT_DTYPE_UINT8) return false;
    if (!s || s->dtype != GLINT_DTYPE_FLOAT32 || gl_shape_numel(&s->shape) != 1) return false;
    memcpy(scale, s->data, sizeof *scale);
    if (!(*scale > 0.0f)) return false;
    *is_unsigned = t == GLINT_DTYPE_UINT8;
    *zp = 0;
    if (z) {
        if (gl_shape_numel(&z->shape) != 1) return false;
        *zp = *is_unsigned ? *(const uint8_t *)z->data : *(const int8_t *)z->data;
    }
    return true;
}

static glint_status add(gl_calib *c, const char *tname, float scale, int32_t zp8, bool u8,
                        int32_t zp, const char *lname, gl_err *err) {
    const glint_allocator *a = c->alloc;
    if (!gl_calib_find_tensor(c, tname)) {
        gl_calib_tensor *nt = gl_realloc_array(a, c->tensors, (size_t)c->n_tensors + 1, sizeof *nt);
        if (!nt) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "quantise: out of memory");
        c->tensors = nt;
        gl_calib_tensor *t = &c->tensors[c->n_tensors];
        if (!(t->name = gl_strdup(a, tname)))
            return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "quantise: out of memory");
        c->n_tensors++;
        t->scale = scale;
        t->zero_point = zp8;
        t->min = (float)((u8 ? 0 : -128) - zp) * scale;
        t->max = (float)((u8 ? 255 : 127) - zp) * scale;
    }
    gl_calib_layer *nl = gl_realloc_array(a, c->layers, (size_t)c->n_layers + 1, sizeof *nl);
    if (!nl) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "quantise: out of memory");
    c->layers = nl;
    gl_calib_layer *l = &c->layers[c->n_layers];
    memset(l, 0, sizeof *l);
    if (!(l->name = gl_strdup(a, lname)))
        return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "quantise: out of memory");
    c->n_layers++;
    l->int8 = true;
    l->rel_error = -1.0f; /* not measured: the model chose INT8 */
    return GLINT_OK;
}

glint_status gl_calib_from_qdq(const gl_graph *g, gl_calib **out, gl_err *err) {
    *out = NULL;
    gl_calib *c = gl_calloc(g->alloc, 1, sizeof *c);
    if (!c) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "quantise: out of memory");
    c->alloc = g->alloc;
    c->model_hash = gl_quant_graph_hash(g);
    glint_status st = GLINT_OK;
    for (int i = 0; i < g->n_nodes && st == GLINT_OK; i++) {
        const gl_node *n = &g->nodes[i];
        if (strcmp(n->op_type, "Conv") != 0 || n->domain[0] || n->n_inputs < 2 ||
            n->inputs[0] < 0 || n->outputs[0] < 0)
            continue;
        int prod = g->values[n->inputs[0]].producer;
        float scale;
        int32_t zp;
        bool u8;
        if (prod < 0 || !dq_params(g, &g->nodes[prod], &scale, &zp, &u8)) continue;
        /* a uint8 code q is the int8 code q - 128 with the zero point moved alike */
        st = add(c, g->values[n->inputs[0]].name, scale, u8 ? zp - 128 : zp, u8, zp,
                 g->values[n->outputs[0]].name, err);
    }
    if (st != GLINT_OK) {
        gl_calib_free(c);
        return st;
    }
    *out = c;
    return GLINT_OK;
}
