/* Quantisation helpers shared by calibration and the plan rewrite: scale
 * choice for activations and weights, which plan steps are convolutions we
 * can quantise and what they are called, and the model hash. */
#include <math.h>
#include <string.h>

#include "model/graph.h"
#include "ops/quant_params.h"
#include "quant/quant.h"

void gl_calib_options_init(gl_calib_options *o) {
    o->threshold = 0.05f;
}

void gl_quant_act_params(float min, float max, float *scale, int32_t *zero_point) {
    float lo = min < 0.0f ? min : 0.0f, hi = max > 0.0f ? max : 0.0f;
    float s = (hi - lo) / 255.0f;
    if (!(s > 0.0f) || !isfinite(s)) s = 1.0f; /* constant zero (or broken) range */
    float zp = gl_round_half_even(-128.0f - lo / s);
    if (zp < -128.0f) zp = -128.0f;
    if (zp > 127.0f) zp = 127.0f;
    *scale = s;
    *zero_point = (int32_t)zp;
}

/* Weights that are already int8 codes times one scale (a QDQ model's, after
 * its weight DequantizeLinear was folded) keep that grid: the largest code
 * k <= 127 for which every w / (max|w| / k) is an integer (to 1e-3). Plain
 * float weights fail at the first element or two for each k. */
static float grid_scale(const float *row, int64_t per, float amax) {
    for (int k = 127; k >= 1; k--) {
        float s = amax / (float)k;
        bool on_grid = true;
        for (int64_t j = 0; j < per && on_grid; j++) {
            float q = row[j] / s;
            on_grid = fabsf(q - gl_round_half_even(q)) <= 1e-3f;
        }
        if (on_grid) return s;
    }
    return amax / 127.0f;
}

void gl_quant_weights(const float *w, int64_t m, int64_t per, int8_t *wq, float *scale) {
    for (int64_t i = 0; i < m; i++) {
        const float *row = w + i * per;
        float amax = 0.0f;
        for (int64_t j = 0; j < per; j++) amax = fmaxf(amax, fabsf(row[j]));
        float s = amax > 0.0f ? grid_scale(row, per, amax) : 1.0f;
        scale[i] = s;
        for (int64_t j = 0; j < per; j++)
            wq[i * per + j] = (int8_t)gl_quantize_value(row[j], s, 0, -127, 127);
    }
}

static bool step_is(const gl_plan_step *s, const char *domain, const char *name) {
    return s->op && strcmp(s->op->domain, domain) == 0 && strcmp(s->op->name, name) == 0;
}

const char *gl_quant_layer_name(const gl_plan *p, const gl_plan_step *s) {
    if (!step_is(s, "", "Conv") && !step_is(s, "glint", "FusedConv")) return NULL;
    const gl_graph *g = p->graph;
    if (s->node < 0 || s->node >= g->n_nodes) return NULL;
    const gl_node *n = &g->nodes[s->node];
    if (n->n_outputs < 1 || n->outputs[0] < 0) return NULL;
    return g->values[n->outputs[0]].name;
}

void gl_quant_step_fused_params(const gl_plan_step *s, gl_fused_conv_params *out) {
    memset(out, 0, sizeof *out);
    if (step_is(s, "glint", "FusedConv")) *out = *(const gl_fused_conv_params *)s->params;
    else out->conv = *(const gl_conv_params *)s->params;
}

bool gl_quant_step_eligible(const gl_plan *p, const gl_plan_step *s) {
    if (!gl_quant_layer_name(p, s) || s->n_inputs < 2 || s->n_outputs != 1) return false;
    gl_fused_conv_params fc;
    gl_quant_step_fused_params(s, &fc);
    if (fc.conv.transpose || s->inputs[0] < 0 || s->inputs[1] < 0 || s->outputs[0] < 0)
        return false;
    const gl_plan_tensor *x = &p->tensors[s->inputs[0]], *w = &p->tensors[s->inputs[1]];
    if (x->is_const || x->dtype != GLINT_DTYPE_FLOAT32) return false;
    if (!w->is_const || w->dtype != GLINT_DTYPE_FLOAT32) return false;
    if (s->n_inputs > 2 && s->inputs[2] >= 0 &&
        (!p->tensors[s->inputs[2]].is_const ||
         p->tensors[s->inputs[2]].dtype != GLINT_DTYPE_FLOAT32))
        return false;
    /* the accumulator bound QConv checks */
    int64_t terms = 1;
    for (int i = 1; i < w->shape.rank; i++) terms *= w->shape.d[i];
    return terms <= INT32_MAX / (255 * 128);
}

/* ------------------------------------------------------------ hash */
static uint64_t hash_str(uint64_t h, const char *s) {
    return gl_hash64(s ? s : "", s ? strlen(s) + 1 : 1, h);
}

static uint64_t hash_i64(uint64_t h, int64_t v) { return gl_hash64(&v, sizeof v, h); }

uint64_t gl_quant_graph_hash(const gl_graph *g) {
    uint64_t h = 0x676c696e74u; /* "glint" */
    h = hash_i64(h, g->n_values);
    for (int v = 0; v < g->n_values; v++) {
        const gl_value *val = &g->values[v];
        h = hash_str(h, val->name);
        h = hash_i64(h, val->dtype);
        if (val->constant) h = gl_hash64(val->constant->data, val->constant->bytes, h);
    }
    h = hash_i64(h, g->n_nodes);
    for (int i = 0; i < g->n_nodes; i++) {
        const gl_node *n = &g->nodes[i];
        h = hash_str(h, n->domain);
        h = hash_str(h, n->op_type);
        for (int k = 0; k < n->n_inputs; k++) h = hash_i64(h, n->inputs[k]);
        for (int k = 0; k < n->n_outputs; k++) h = hash_i64(h, n->outputs[k] + 1000000);
        for (int a = 0; a < n->n_attrs; a++) {
            const gl_attr *at = &n->attrs[a];
            h = hash_str(h, at->name);
            h = hash_i64(h, at->type);
            h = hash_i64(h, at->i);
            h = gl_hash64(&at->f, sizeof at->f, h);
            if (at->s) h = hash_str(h, at->s);
            if (at->ints) h = gl_hash64(at->ints, at->count * sizeof *at->ints, h);
            if (at->floats) h = gl_hash64(at->floats, at->count * sizeof *at->floats, h);
        }
    }
    return h;
}

/* ------------------------------------------------------------ lookup */
const gl_calib_tensor *gl_calib_find_tensor(const gl_calib *c, const char *name) {
    for (int i = 0; c && i < c->n_tensors; i++)
        if (strcmp(c->tensors[i].name, name) == 0) return &c->tensors[i];
    return NULL;
}

const gl_calib_layer *gl_calib_find_layer(const gl_calib *c, const char *name) {
    for (int i = 0; c && i < c->n_layers; i++)
        if (strcmp(c->layers[i].name, name) == 0) return &c->layers[i];
    return NULL;
}

/* The float32 constant weight W of the Conv whose output is value `name`. */
static const gl_value *layer_weight(const gl_graph *g, const char *name) {
    int v = gl_graph_find_value(g, name);
    if (v < 0 || g->values[v].producer < 0) return NULL;
    const gl_node *n = &g->nodes[g->values[v].producer];
    if (strcmp(n->op_type, "Conv") != 0 || n->n_inputs < 2 || n->inputs[1] < 0) return NULL;
    const gl_value *w = &g->values[n->inputs[1]];
    if (!w->constant || w->constant->dtype != GLINT_DTYPE_FLOAT32 || w->constant->shape.rank < 1 ||
        w->constant->shape.d[0] < 1)
        return NULL;
    return w;
}

glint_status gl_calib_quantize_weights(gl_calib *c, const gl_graph *g, gl_err *err) {
    const glint_allocator *a = c->alloc;
    for (int i = 0; i < c->n_layers; i++) {
        gl_calib_layer *L = &c->layers[i];
        const gl_value *w = L->int8 && !L->wq ? layer_weight(g, L->name) : NULL;
        if (!w) continue;
        const int64_t m = w->constant->shape.d[0], per = gl_shape_numel(&w->constant->shape) / m;
        L->wq = gl_malloc(a, (size_t)(m * per));
        L->wscale = gl_malloc(a, sizeof(float) * (size_t)m);
        if (!L->wq || !L->wscale) {
            gl_free(a, L->wq);
            gl_free(a, L->wscale);
            L->wq = NULL;
            L->wscale = NULL;
            return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory quantising weights");
        }
        gl_quant_weights(w->constant->data, m, per, L->wq, L->wscale);
        L->w_src = w->constant->data;
    }
    return GLINT_OK;
}

void gl_calib_free(gl_calib *c) {
    if (!c) return;
    const glint_allocator *a = c->alloc;
    for (int i = 0; i < c->n_tensors; i++) gl_free(a, c->tensors[i].name);
    for (int i = 0; i < c->n_layers; i++) {
        gl_free(a, c->layers[i].name);
        gl_free(a, c->layers[i].wq);
        gl_free(a, c->layers[i].wscale);
    }
    gl_free(a, c->tensors);
    gl_free(a, c->layers);
    gl_free(a, c);
}
