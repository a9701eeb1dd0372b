/* Calibration: run the FP32 plan with the reference kernels over sample
 * inputs, twice. Pass 1 records the min/max of every quantisable
 * convolution's input and derives its int8 scale and zero point. Pass 2
 * runs each such convolution a second time as glint::QConv (its FP32 input
 * quantised with those parameters, weights per channel) and accumulates the
 * error against the FP32 output; a layer whose relative error exceeds the
 * threshold stays in float. Everything here is sequential and in a fixed
 * order, so equal inputs give a byte-identical calibration file. */
#include <math.h>
#include <string.h>

#include "ops/quant_params.h"
#include "quant/quant.h"

extern const gl_op gl_op_qconv;

typedef struct range_slot {
    int value;                  /* graph value of the convolution input */
    float min, max;
} range_slot;

typedef struct layer_slot {
    int node;                   /* conv node */
    double sum_d2, sum_r2;      /* Σ (int8 - fp32)², Σ fp32² over all samples */
    int8_t *wq;                 /* quantised weights, made on first use */
    float *wscale;
} layer_slot;

typedef struct calib_run {
    const gl_graph *g;
    const glint_allocator *a;
    range_slot *ranges;
    int n_ranges;
    int *range_of_value;        /* graph value -> slot, -1 */
    layer_slot *layers;
    int n_layers;
    int *layer_of_node;         /* graph node -> slot, -1 */
    int pass;                   /* 1: ranges, 2: errors */
    /* pass 2 scratch, grown as needed */
    void *xq, *yq, *acc;
    size_t xq_bytes, yq_bytes, acc_bytes;
} calib_run;

static glint_status grow(calib_run *r, void **buf, size_t *cap, size_t bytes, gl_err *err) {
    if (bytes <= *cap) return GLINT_OK;
    gl_aligned_free(r->a, *buf);
    *buf = gl_aligned_alloc(r->a, bytes, GL_ARENA_ALIGN);
    *cap = *buf ? bytes : 0;
    return *buf ? GLINT_OK : gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "calibration: out of memory");
}

/* Slots are made in step order during pass 1, which fixes the file order. */
static glint_status observe_input(calib_run *r, const gl_plan *p, const gl_plan_step *s,
                                  const gl_tensor *x, gl_err *err) {
    int v = p->tensors[s->inputs[0]].value;
    if (v < 0) return GLINT_OK; /* a plan-made tensor has no stable name */
    int slot = r->range_of_value[v];
    if (slot < 0) {
        range_slot *nr = gl_realloc_array(r->a, r->ranges, (size_t)r->n_ranges + 1, sizeof *nr);
        if (!nr) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "calibration: out of memory");
        r->ranges = nr;
        slot = r->n_ranges++;
        r->ranges[slot] = (range_slot){.value = v, .min = INFINITY, .max = -INFINITY};
        r->range_of_value[v] = slot;
    }
    range_slot *rs = &r->ranges[slot];
    const float *d = x->data;
    size_t n = (size_t)gl_shape_numel(&x->shape);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(d[i]))
            return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT,
                           "calibration: tensor '%s' holds a non-finite value",
                           r->g->values[v].name);
        if (d[i] < rs->min) rs->min = d[i];
        if (d[i] > rs->max) rs->max = d[i];
    }
    if (r->layer_of_node[s->node] < 0) {
        layer_slot *nl = gl_realloc_array(r->a, r->layers, (size_t)r->n_layers + 1, sizeof *nl);
        if (!nl) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "calibration: out of memory");
        r->layers = nl;
        r->layers[r->n_layers] = (layer_slot){.node = s->node};
        r->layer_of_node[s->node] = r->n_layers++;
    }
    return GLINT_OK;
}

/* Runs step s again as QConv from its FP32 inputs and accumulates the error. */
static glint_status check_layer(calib_run *r, const gl_plan *p, const gl_plan_step *s,
                                const gl_tensor *in, const gl_tensor *out, gl_err *err) {
    int v = p->tensors[s->inputs[0]].value;
    int ls = r->layer_of_node[s->node];
    if (v < 0 || ls < 0 || r->range_of_value[v] < 0) return GLINT_OK;
    layer_slot *L = &r->layers[ls];
    const range_slot *R = &r->ranges[r->range_of_value[v]];
    const gl_tensor *w = &in[1];
    int64_t m = w->shape.d[0], per = gl_shape_numel(&w->shape) / m;
    if (!L->wq) {
        L->wq = gl_malloc(r->a, (size_t)(m * per));
        L->wscale = gl_malloc(r->a, sizeof(float) * (size_t)m);
        if (!L->wq || !L->wscale)
            return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "calibration: out of memory");
        gl_quant_weights(w->data, m, per, L->wq, L->wscale);
    }
    /* the weight scales after the bias slot (2), as the plan rewrite puts them */
    const int n_in = s->n_inputs < 3 ? 3 : s->n_inputs;
    gl_qconv_params qp = {.wscale_input = n_in, .out_dtype = GLINT_DTYPE_FLOAT32};
    gl_quant_step_fused_params(s, &qp.fc);
    gl_quant_act_params(R->min, R->max, &qp.x_scale, &qp.x_zero_point);
    size_t nx = (size_t)gl_shape_numel(&in[0].shape), ny = (size_t)gl_shape_numel(&out[0].shape);
    glint_status st;
    if ((st = grow(r, &r->xq, &r->xq_bytes, nx, err)) ||
        (st = grow(r, &r->yq, &r->yq_bytes, ny * sizeof(float), err)) ||
        (st = grow(r, &r->acc, &r->acc_bytes, ny * sizeof(int32_t), err)))
        return st;
    const float *x = in[0].data;
    int8_t *xq = r->xq;
    for (size_t i = 0; i < nx; i++)
        xq[i] = (int8_t)gl_quantize_value(x[i], qp.x_scale, qp.x_zero_point, -128, 127);
    gl_tensor qin[4 + GL_MAX_EPILOGUE];
    if (n_in + 1 > (int)GL_ARRAY_LEN(qin)) return GLINT_OK;
    for (int i = 0; i < n_in; i++)
        qin[i] = i < s->n_inputs ? in[i] : (gl_tensor){.dtype = GLINT_DTYPE_UNDEFINED};
    qin[0].dtype = GLINT_DTYPE_INT8;
    qin[0].data = xq;
    qin[1].dtype = GLINT_DTYPE_INT8;
    qin[1].data = L->wq;
    qin[n_in] = (gl_tensor){.dtype = GLINT_DTYPE_FLOAT32, .shape = {.rank = 1, .d = {m}},
                            .data = L->wscale};
    gl_tensor qout = out[0];
    qout.data = r->yq;
    st = gl_op_qconv.run(&qp, qin, n_in + 1, &qout, 1, r->acc, err);
    if (st) return st;
    const float *yf = out[0].data, *yq = r->yq;
    for (size_t i = 0; i < ny; i++) {
        double d = (double)yq[i] - (double)yf[i];
        L->sum_d2 += d * d;
        L->sum_r2 += (double)yf[i] * (double)yf[i];
    }
    return GLINT_OK;
}

static glint_status run_sample(calib_run *r, const gl_plan *p, uint8_t *arena,
                               const gl_tensor *inputs, gl_err *err) {
    for (int i = 0; i < r->g->n_inputs; i++) {
        const gl_plan_tensor *t = &p->tensors[p->inputs[i]];
        memcpy(arena + t->offset, inputs[i].data, t->bytes);
    }
    for (int si = 0; si < p->n_steps; si++) {
        const gl_plan_step *s = &p->steps[si];
        gl_tensor in[64], out[64];
        if (s->n_inputs > 64 || s->n_outputs > 64)
            return gl_fail(err, GLINT_ERR_UNSUPPORTED, "calibration: step %d has too many inputs", si);
        gl_plan_step_views(p, s, arena, in, out);
        bool conv = gl_quant_step_eligible(p, s);
        glint_status st = GLINT_OK;
        if (conv && r->pass == 1 && (st = observe_input(r, p, s, &in[0], err))) return st;
        st = s->op->run(s->params, in, s->n_inputs, out, s->n_outputs,
                        s->workspace_bytes ? arena + s->workspace_offset : NULL, err);
        if (st) {
            char label[256];
            return gl_err_prefix(err, "calibration: %s",
                                 gl_node_label(r->g, s->node, label, sizeof label));
        }
        if (conv && r->pass == 2 && (st = check_layer(r, p, s, in, out, err))) return st;
    }
    return GLINT_OK;
}

static glint_status check_sample(const gl_graph *g, const gl_tensor *sample, int k, gl_err *err) {
    for (int i = 0; i < g->n_inputs; i++)
        if (sample[i].dtype != GLINT_DTYPE_FLOAT32 || !sample[i].data)
            return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT,
                           "calibration: sample %d input '%s' must be float32 data", k,
                           g->values[g->inputs[i]].name);
    return GLINT_OK;
}

static glint_status run_passes(calib_run *r, const gl_tensor *const *samples, int n_samples,
                               gl_err *err) {
    const gl_graph *g = r->g;
    gl_plan *plan = NULL;
    uint8_t *arena = NULL;
    gl_shape *shapes = gl_calloc(r->a, (size_t)g->n_inputs + 1, sizeof *shapes);
    glint_status st = shapes ? GLINT_OK
                             : gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "calibration: out of memory");
    for (r->pass = 1; st == GLINT_OK && r->pass <= 2; r->pass++)
        for (int k = 0; st == GLINT_OK && k < n_samples; k++) {
            if ((st = check_sample(g, samples[k], k, err))) break;
            bool same = plan != NULL;
            for (int i = 0; same && i < g->n_inputs; i++)
                same = gl_shape_equal(&shapes[i], &samples[k][i].shape);
            if (!same) {
                gl_plan_free(plan);
                gl_aligned_free(r->a, arena);
                plan = NULL;
                arena = NULL;
                for (int i = 0; i < g->n_inputs; i++) shapes[i] = samples[k][i].shape;
                if ((st = gl_plan_build(g, shapes, GLINT_PRECISION_FP32, &plan, err))) break;
                arena = gl_aligned_alloc(r->a, plan->arena_bytes ? plan->arena_bytes : 1,
                                         GL_ARENA_ALIGN);
                if (!arena) {
                    st = gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "calibration: out of memory for "
                                 "a %zu-byte arena", plan->arena_bytes);
                    break;
                }
            }
            st = run_sample(r, plan, arena, samples[k], err);
        }
    gl_plan_free(plan);
    gl_aligned_free(r->a, arena);
    gl_free(r->a, shapes);
    return st;
}

static glint_status fill_result(calib_run *r, const gl_calib_options *o, int n_samples,
                                gl_calib *c, gl_err *err) {
    const gl_graph *g = r->g;
    c->model_hash = gl_quant_graph_hash(g);
    c->samples = n_samples;
    c->threshold = o->threshold;
    c->tensors = gl_calloc(r->a, (size_t)r->n_ranges + 1, sizeof *c->tensors);
    c->layers = gl_calloc(r->a, (size_t)r->n_layers + 1, sizeof *c->layers);
    if (!c->tensors || !c->layers)
        return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "calibration: out of memory");
    for (int i = 0; i < r->n_ranges; i++) {
        gl_calib_tensor *t = &c->tensors[c->n_tensors];
        const range_slot *rs = &r->ranges[i];
        if (!(t->name = gl_strdup(r->a, g->values[rs->value].name)))
            return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "calibration: out of memory");
        c->n_tensors++;
        t->min = rs->min;
        t->max = rs->max;
        gl_quant_act_params(rs->min, rs->max, &t->scale, &t->zero_point);
    }
    for (int i = 0; i < r->n_layers; i++) {
        const layer_slot *ls = &r->layers[i];
        const gl_node *n = &g->nodes[ls->node];
        gl_calib_layer *l = &c->layers[c->n_layers];
        if (!(l->name = gl_strdup(r->a, g->values[n->outputs[0]].name)))
            return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "calibration: out of memory");
        c->n_layers++;
        /* an all-zero reference output: any error is total, none is none */
        double rel = ls->sum_r2 > 0.0 ? sqrt(ls->sum_d2 / ls->sum_r2) : (ls->sum_d2 > 0.0 ? 1.0 : 0.0);
        l->rel_error = (float)rel;
        l->int8 = l->rel_error <= o->threshold;
    }
    return GLINT_OK;
}

glint_status gl_calibrate(const gl_graph *g, const gl_tensor *const *samples, int n_samples,
                          const gl_calib_options *opt, gl_calib **out, gl_err *err) {
    *out = NULL;
    gl_calib_options defaults;
    gl_calib_options_init(&defaults);
    if (!opt) opt = &defaults;
    if (n_samples < 1 || !samples)
        return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "calibration: no sample inputs");
    if (!(opt->threshold >= 0.0f))
        return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "calibration: threshold %g must be >= 0",
                       (double)opt->threshold);
    calib_run r = {.g = g, .a = g->alloc};
    r.range_of_value = gl_malloc(r.a, sizeof(int) * ((size_t)g->n_values + 1));
    r.layer_of_node = gl_malloc(r.a, sizeof(int) * ((size_t)g->n_nodes + 1));
    gl_calib *c = gl_calloc(r.a, 1, sizeof *c);
    glint_status st = GLINT_OK;
    if (!r.range_of_value || !r.layer_of_node || !c) {
        st = gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "calibration: out of memory");
    } else {
        c->alloc = r.a;
        for (int v = 0; v < g->n_values; v++) r.range_of_value[v] = -1;
        for (int i = 0; i < g->n_nodes; i++) r.layer_of_node[i] = -1;
        st = run_passes(&r, samples, n_samples, err);
        if (st == GLINT_OK) st = fill_result(&r, opt, n_samples, c, err);
    }
    for (int i = 0; i < r.n_layers; i++) {
        gl_free(r.a, r.layers[i].wq);
        gl_free(r.a, r.layers[i].wscale);
    }
    gl_free(r.a, r.layers);
    gl_free(r.a, r.ranges);
    gl_free(r.a, r.range_of_value);
    gl_free(r.a, r.layer_of_node);
    gl_aligned_free(r.a, r.xq);
    gl_aligned_free(r.a, r.yq);
    gl_aligned_free(r.a, r.acc);
    if (st != GLINT_OK) {
        gl_calib_free(c);
        return st;
    }
    *out = c;
    return GLINT_OK;
}
