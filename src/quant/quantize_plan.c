/* The INT8 plan rewrite: every Conv / FusedConv step that the calibration
 * marks int8 becomes a glint::QConv step. Its weights are quantised here
 * (symmetric, per output channel, plan-owned); its float input gets a
 * QuantizeLinear step in front, shared by every QConv reading that tensor.
 * Then (when the backend asks for it) a QConv whose float output is read
 * only by such a QuantizeLinear writes the int8 tensor itself (requantising in its epilogue) and the
 * QuantizeLinear goes: the arithmetic is the same (quant_params.h), so the
 * results are bit-identical with and without this chaining.
 *
 * Hook: the runtime calls gl_quant_rewrite_plan right after gl_plan_build
 * for an INT8 engine; it recomputes lifetimes and arena offsets itself. */
#include <string.h>

#include "ops/quant_params.h"
#include "plan/plan_internal.h"
#include "quant/quant.h"

extern const gl_op gl_op_qconv;
extern const gl_op gl_op_quantize_linear;
extern const gl_op gl_op_dequantize_linear;

static int add_tensor(gl_plan *p, gl_dtype dtype, const gl_shape *shape, const void *data,
                      gl_err *err) {
    size_t bytes;
    if (!gl_tensor_bytes(dtype, shape, &bytes)) {
        gl_fail(err, GLINT_ERR_INTERNAL, "quantise: bad tensor size");
        return -1;
    }
    gl_plan_tensor *nt = gl_realloc_array(p->alloc, p->tensors, (size_t)p->n_tensors + 1,
                                          sizeof *nt);
    if (!nt) {
        gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "quantise: out of memory");
        return -1;
    }
    p->tensors = nt;
    p->tensors[p->n_tensors] = (gl_plan_tensor){.value = -1, .dtype = dtype, .shape = *shape,
                                                .bytes = bytes, .is_const = data != NULL,
                                                .data = data, .first_step = -1, .last_step = -1};
    return p->n_tensors++;
}

/* A plan-owned scalar constant (float32 scale or int8 zero point). */
static int add_scalar(gl_plan *p, gl_dtype dtype, double v, gl_err *err) {
    void *mem = gl_plan_alloc(p, 4);
    if (!mem) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "quantise: out of memory"), -1;
    if (dtype == GLINT_DTYPE_FLOAT32) *(float *)mem = (float)v;
    else *(int8_t *)mem = (int8_t)v;
    gl_shape s = {.rank = 0};
    return add_tensor(p, dtype, &s, mem, err);
}

typedef struct rewriter {
    gl_plan *p;
    const gl_calib *c;
    gl_plan_step *steps;       /* the new list */
    int n_steps;
    int *quantized;            /* float tensor -> its int8 tensor, -1 (original tensors only) */
    int *quantizer;            /* float tensor -> index in steps of its QuantizeLinear */
    int n_orig_tensors;
    gl_quant_rewrite_stats *stats;
} rewriter;

static glint_status add_quantize_step(rewriter *r, int xt, const gl_calib_tensor *ct, int node,
                                      gl_err *err) {
    gl_plan *p = r->p;
    gl_shape xs = p->tensors[xt].shape;
    int xq = add_tensor(p, GLINT_DTYPE_INT8, &xs, NULL, err);
    int sc = xq < 0 ? -1 : add_scalar(p, GLINT_DTYPE_FLOAT32, ct->scale, err);
    int zp = sc < 0 ? -1 : add_scalar(p, GLINT_DTYPE_INT8, ct->zero_point, err);
    if (zp < 0) return err ? err->status : GLINT_ERR_OUT_OF_MEMORY;
    gl_qdq_params *qp = gl_plan_alloc(p, sizeof *qp);
    int *in = gl_malloc(p->alloc, 3 * sizeof(int)), *out = gl_malloc(p->alloc, sizeof(int));
    if (!qp || !in || !out) {
        gl_free(p->alloc, in);
        gl_free(p->alloc, out);
        return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "quantise: out of memory");
    }
    qp->axis = 1;
    in[0] = xt;
    in[1] = sc;
    in[2] = zp;
    out[0] = xq;
    r->quantizer[xt] = r->n_steps;
    r->steps[r->n_steps++] = (gl_plan_step){.op = &gl_op_quantize_linear, .params = qp,
                                            .node = node, .inputs = in, .n_inputs = 3,
                                            .outputs = out, .n_outputs = 1};
    r->quantized[xt] = xq;
    r->stats->quantize_steps++;
    return GLINT_OK;
}

/* A QDQ model: when X is written by a per-tensor DequantizeLinear with the
 * calibration's parameters, QConv reads that DequantizeLinear's int8 / uint8
 * input directly (same codes, no requantisation). */
static bool dq_source(const rewriter *r, int xt, const gl_calib_tensor *ct, int *src,
                      int32_t *zp) {
    const gl_plan *p = r->p;
    for (int i = r->n_steps - 1; i >= 0; i--) {
        const gl_plan_step *d = &r->steps[i];
        if (!d->op || d->n_outputs < 1 || d->outputs[0] != xt) continue;
        if (d->op != &gl_op_dequantize_linear || d->inputs[0] < 0) return false;
        const gl_plan_tensor *x = &p->tensors[d->inputs[0]], *s = &p->tensors[d->inputs[1]];
        bool u8 = x->dtype == GLINT_DTYPE_UINT8;
        if (x->is_const || (!u8 && x->dtype != GLINT_DTYPE_INT8) || !s->is_const ||
            s->dtype != GLINT_DTYPE_FLOAT32 || gl_shape_numel(&s->shape) != 1 ||
            *(const float *)s->data != ct->scale)
            return false;
        int32_t z = 0;
        if (d->n_inputs > 2 && d->inputs[2] >= 0) {
            const gl_plan_tensor *zt = &p->tensors[d->inputs[2]];
            if (!zt->is_const || zt->dtype != x->dtype || gl_shape_numel(&zt->shape) != 1)
                return false;
            z = u8 ? *(const uint8_t *)zt->data : *(const int8_t *)zt->data;
        }
        if ((u8 ? z - 128 : z) != ct->zero_point) return false;
        *src = d->inputs[0];
        *zp = z;
        return true;
    }
    return false;
}

/* Rewrites step s (moved into the new list) into a QConv. */
static glint_status to_qconv(rewriter *r, gl_plan_step *s, const gl_calib_layer *l,
                             const gl_calib_tensor *ct, gl_err *err) {
    gl_plan *p = r->p;
    int xt = s->inputs[0], xsrc = -1;
    int32_t xzp = ct->zero_point;
    glint_status st;
    if (dq_source(r, xt, ct, &xsrc, &xzp)) r->stats->dq_bypassed++;
    else if (r->quantized[xt] < 0 && (st = add_quantize_step(r, xt, ct, s->node, err))) return st;
    const gl_plan_tensor *w = &p->tensors[s->inputs[1]];
    gl_shape ws = w->shape;
    int64_t m = ws.d[0], per = gl_shape_numel(&ws) / m;
    /* the calibration's copy when it was made from these very weights */
    const bool shared = l->wq && l->w_src == w->data;
    int8_t *wq = shared ? l->wq : gl_plan_alloc(p, (size_t)(m * per));
    float *wscale = shared ? l->wscale : gl_plan_alloc(p, sizeof(float) * (size_t)m);
    gl_qconv_params *qp = gl_plan_alloc(p, sizeof *qp);
    /* the weight scales go after the bias slot (2) and the epilogue operands */
    const int n_in = s->n_inputs < 3 ? 3 : s->n_inputs;
    int *in = gl_malloc(p->alloc, sizeof(int) * (size_t)(n_in + 1));
    if (!wq || !wscale || !qp || !in) {
        gl_free(p->alloc, in);
        return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "quantise: out of memory for weights");
    }
    if (!shared) gl_quant_weights(w->data, m, per, wq, wscale);
    gl_shape ss = {.rank = 1, .d = {m}};
    int wq_id = add_tensor(p, GLINT_DTYPE_INT8, &ws, wq, err);
    int sc_id = wq_id < 0 ? -1 : add_tensor(p, GLINT_DTYPE_FLOAT32, &ss, wscale, err);
    if (sc_id < 0) {
        gl_free(p->alloc, in);
        return err ? err->status : GLINT_ERR_OUT_OF_MEMORY;
    }
    gl_quant_step_fused_params(s, &qp->fc);
    qp->x_scale = ct->scale;
    qp->x_zero_point = xzp;
    qp->wscale_input = n_in;
    qp->out_dtype = GLINT_DTYPE_FLOAT32;
    for (int k = 0; k < n_in; k++) in[k] = k < s->n_inputs ? s->inputs[k] : -1;
    in[0] = xsrc >= 0 ? xsrc : r->quantized[xt];
    in[1] = wq_id;
    in[n_in] = sc_id;
    gl_free(p->alloc, s->inputs);
    s->inputs = in;
    s->n_inputs = n_in + 1;
    s->op = &gl_op_qconv;
    s->params = qp;
    r->stats->layers_int8++;
    return GLINT_OK;
}

/* Lets a QConv write int8 straight into the tensor its only consumer, a
 * QuantizeLinear we inserted, would make; that QuantizeLinear is dropped. */
static void chain_requantize(rewriter *r) {
    gl_plan *p = r->p;
    for (int i = 0; i < r->n_steps; i++) {
        gl_plan_step *s = &r->steps[i];
        if (s->op != &gl_op_qconv) continue;
        int t = s->outputs[0];
        if (t >= r->n_orig_tensors || r->quantizer[t] < 0) continue;
        bool only = true;
        for (int k = 0; k < p->graph->n_outputs; k++)
            if (p->outputs[k] == t) only = false;
        for (int j = 0; j < r->n_steps && only; j++) {
            const gl_plan_step *u = &r->steps[j];
            if (!u->op || j == r->quantizer[t]) continue;
            for (int k = 0; k < u->n_inputs; k++)
                if (u->inputs[k] == t) only = false;
        }
        if (!only) continue;
        gl_plan_step *q = &r->steps[r->quantizer[t]];
        gl_qconv_params *qp = (gl_qconv_params *)s->params;
        qp->out_dtype = GLINT_DTYPE_INT8;
        qp->y_scale = *(const float *)p->tensors[q->inputs[1]].data;
        qp->y_zero_point = *(const int8_t *)p->tensors[q->inputs[2]].data;
        s->outputs[0] = q->outputs[0];
        gl_free(p->alloc, q->inputs);
        gl_free(p->alloc, q->outputs);
        q->op = NULL; /* removed below */
        r->stats->quantize_steps--;
        r->stats->requantized++;
    }
    int n = 0;
    for (int i = 0; i < r->n_steps; i++)
        if (r->steps[i].op) r->steps[n++] = r->steps[i];
    r->n_steps = n;
}

static bool tensor_read(const rewriter *r, int t) {
    for (int k = 0; k < r->p->graph->n_outputs; k++)
        if (r->p->outputs[k] == t) return true;
    for (int j = 0; j < r->n_steps; j++)
        for (int k = 0; r->steps[j].op && k < r->steps[j].n_inputs; k++)
            if (r->steps[j].inputs[k] == t) return true;
    return false;
}

/* DequantizeLinear steps that QConvs now bypass may have no reader left:
 * drop them (last first, so a chain of dead ones goes too). */
static void drop_dead_dq(rewriter *r) {
    for (int i = r->n_steps - 1; i >= 0; i--) {
        gl_plan_step *s = &r->steps[i];
        if (s->op != &gl_op_dequantize_linear || tensor_read(r, s->outputs[0])) continue;
        gl_free(r->p->alloc, s->inputs);
        gl_free(r->p->alloc, s->outputs);
        s->op = NULL;
    }
    int n = 0;
    for (int i = 0; i < r->n_steps; i++)
        if (r->steps[i].op) r->steps[n++] = r->steps[i];
    r->n_steps = n;
}

glint_status gl_quant_rewrite_plan(gl_plan *p, const gl_calib *c, bool requantize,
                                   gl_quant_rewrite_stats *stats, gl_err *err) {
    gl_quant_rewrite_stats local;
    if (!stats) stats = &local;
    memset(stats, 0, sizeof *stats);
    const glint_allocator *a = p->alloc;
    rewriter r = {.p = p, .c = c, .n_orig_tensors = p->n_tensors, .stats = stats};
    r.steps = gl_calloc(a, 2 * (size_t)p->n_steps + 1, sizeof *r.steps);
    r.quantized = gl_malloc(a, sizeof(int) * ((size_t)p->n_tensors + 1));
    r.quantizer = gl_malloc(a, sizeof(int) * ((size_t)p->n_tensors + 1));
    glint_status st = GLINT_OK;
    if (!r.steps || !r.quantized || !r.quantizer) {
        gl_free(a, r.steps);
        gl_free(a, r.quantized);
        gl_free(a, r.quantizer);
        return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "quantise: out of memory");
    }
    for (int t = 0; t < p->n_tensors; t++) r.quantized[t] = r.quantizer[t] = -1;
    int moved = 0; /* steps of p already moved into r.steps */
    for (; moved < p->n_steps && st == GLINT_OK; moved++) {
        gl_plan_step s = p->steps[moved];
        if (gl_quant_step_eligible(p, &s)) {
            const gl_calib_layer *l = gl_calib_find_layer(c, gl_quant_layer_name(p, &s));
            int xv = p->tensors[s.inputs[0]].value;
            const gl_calib_tensor *ct =
                xv >= 0 ? gl_calib_find_tensor(c, p->graph->values[xv].name) : NULL;
            if (l && l->int8 && ct) st = to_qconv(&r, &s, l, ct, err);
            else stats->layers_float++;
        }
        r.steps[r.n_steps++] = s;
    }
    if (st == GLINT_OK && requantize) chain_requantize(&r);
    if (st == GLINT_OK && stats->dq_bypassed) drop_dead_dq(&r);
    /* the plan owns the new list either way, so that gl_plan_free frees
     * every step's arrays exactly once */
    for (; moved < p->n_steps; moved++) r.steps[r.n_steps++] = p->steps[moved];
    gl_free(a, p->steps);
    p->steps = r.steps;
    p->n_steps = r.n_steps;
    gl_free(a, r.quantized);
    gl_free(a, r.quantizer);
    if (st != GLINT_OK) return st;
    p->flops = 0;
    for (int i = 0; i < p->n_steps; i++) {
        gl_plan_step *s = &p->steps[i];
        gl_tensor in[64], o[64];
        s->flops = 0;
        if (s->op->flops && s->n_inputs <= 64 && s->n_outputs <= 64) {
            gl_plan_step_views(p, s, NULL, in, o);
            s->flops = s->op->flops(s->params, in, s->n_inputs, o, s->n_outputs);
        }
        p->flops += s->flops;
    }
    p->calib = c;
    return gl_plan_assign_memory(p, err);
}
