/* Building a plan: concrete shape inference over the sorted graph, with
 * everything that depends only on constants and shapes evaluated right here
 * (so PyTorch's shape arithmetic never runs per inference), then fusion and
 * memory assignment. */
#include <string.h>

#include "plan/plan_internal.h"

void *gl_plan_alloc(gl_plan *p, size_t size) {
    gl_plan_owned *o = p->owned;
    if (o->n == o->cap) {
        int cap = o->cap ? o->cap * 2 : 32;
        void **np = gl_realloc_array(p->alloc, o->ptrs, (size_t)cap, sizeof *np);
        if (!np) return NULL;
        o->ptrs = np;
        o->cap = cap;
    }
    void *mem = gl_aligned_alloc(p->alloc, size ? size : 1, GL_ARENA_ALIGN);
    if (!mem) return NULL;
    memset(mem, 0, size ? size : 1);
    o->ptrs[o->n++] = mem;
    return mem;
}

void gl_plan_free(gl_plan *p) {
    if (!p) return;
    const glint_allocator *a = p->alloc;
    gl_plan_owned *o = p->owned;
    if (o) {
        for (int i = 0; i < o->n; i++) gl_aligned_free(a, o->ptrs[i]);
        gl_free(a, o->ptrs);
        gl_free(a, o);
    }
    for (int i = 0; i < p->n_steps; i++) {
        gl_free(a, p->steps[i].inputs);
        gl_free(a, p->steps[i].outputs);
    }
    gl_free(a, p->steps);
    gl_free(a, p->tensors);
    gl_free(a, p->inputs);
    gl_free(a, p->outputs);
    gl_free(a, p->input_shapes);
    gl_free(a, p);
}

void gl_plan_step_views(const gl_plan *p, const gl_plan_step *s, uint8_t *arena, gl_tensor *in,
                        gl_tensor *out) {
    for (int i = 0; i < s->n_inputs; i++) {
        int t = s->inputs[i];
        if (t < 0) {
            in[i] = (gl_tensor){.dtype = GLINT_DTYPE_UNDEFINED, .shape = {.rank = -1}};
            continue;
        }
        const gl_plan_tensor *pt = &p->tensors[t];
        in[i].dtype = pt->dtype;
        in[i].shape = pt->shape;
        in[i].data = pt->is_const ? (void *)pt->data : arena ? arena + pt->offset : NULL;
    }
    for (int i = 0; i < s->n_outputs; i++) {
        int t = s->outputs[i];
        if (t < 0) {
            out[i] = (gl_tensor){.dtype = GLINT_DTYPE_UNDEFINED, .shape = {.rank = -1}};
            continue;
        }
        const gl_plan_tensor *pt = &p->tensors[t];
        out[i].dtype = pt->dtype;
        out[i].shape = pt->shape;
        out[i].data = arena ? arena + pt->offset : NULL;
    }
}

/* ------------------------------------------------------------ builder */

typedef struct builder {
    const gl_graph *g;
    gl_plan *p;
    int *value_tensor; /* graph value -> plan tensor id, -1 if none yet */
    int tensor_cap, step_cap;
    size_t static_budget; /* bytes plan-time evaluation may still produce */
} builder;

static int add_tensor(builder *b, int value, gl_dtype dtype, const gl_shape *shape,
                      gl_err *err) {
    gl_plan *p = b->p;
    if (p->n_tensors == b->tensor_cap) {
        int cap = b->tensor_cap ? b->tensor_cap * 2 : 64;
        gl_plan_tensor *nt = gl_realloc_array(p->alloc, p->tensors, (size_t)cap, sizeof *nt);
        if (!nt) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "plan: out of memory"), -1;
        p->tensors = nt;
        b->tensor_cap = cap;
    }
    size_t bytes = 0;
    if (!gl_tensor_bytes(dtype, shape, &bytes)) {
        char sb[128];
        gl_fail(err, GLINT_ERR_INVALID_MODEL, "tensor '%s' has an invalid size %s of %s",
                value >= 0 ? b->g->values[value].name : "(internal)",
                gl_shape_str(shape, sb, sizeof sb), glint_dtype_name(dtype));
        return -1;
    }
    int id = p->n_tensors++;
    p->tensors[id] = (gl_plan_tensor){.value = value, .dtype = dtype, .shape = *shape,
                                      .bytes = bytes, .first_step = -1, .last_step = -1};
    if (value >= 0) b->value_tensor[value] = id;
    return id;
}

static glint_status add_step(builder *b, const gl_node *n, int node_index, const int *in,
                             const int *out, gl_err *err) {
    gl_plan *p = b->p;
    if (p->n_steps == b->step_cap) {
        int cap = b->step_cap ? b->step_cap * 2 : 64;
        gl_plan_step *ns = gl_realloc_array(p->alloc, p->steps, (size_t)cap, sizeof *ns);
        if (!ns) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "plan: out of memory");
        p->steps = ns;
        b->step_cap = cap;
    }
    gl_plan_step *s = &p->steps[p->n_steps];
    memset(s, 0, sizeof *s);
    s->op = n->op;
    s->params = n->params;
    s->node = node_index;
    s->inputs = gl_malloc(p->alloc, sizeof(int) * (size_t)(n->n_inputs ? n->n_inputs : 1));
    s->outputs = gl_malloc(p->alloc, sizeof(int) * (size_t)(n->n_outputs ? n->n_outputs : 1));
    if (!s->inputs || !s->outputs) {
        gl_free(p->alloc, s->inputs);
        gl_free(p->alloc, s->outputs);
        return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "plan: out of memory");
    }
    memcpy(s->inputs, in, sizeof(int) * (size_t)n->n_inputs);
    memcpy(s->outputs, out, sizeof(int) * (size_t)n->n_outputs);
    s->n_inputs = n->n_inputs;
    s->n_outputs = n->n_outputs;
    p->n_steps++;
    return GLINT_OK;
}

/* Shape and Size depend only on their input's shape, which is always known
 * while planning: evaluate them here even when the input is a runtime
 * tensor. */
static bool shape_only_op(const gl_node *n) {
    return n->domain[0] == '\0' &&
           (strcmp(n->op_type, "Shape") == 0 || strcmp(n->op_type, "Size") == 0);
}

static glint_status eval_shape_only(const gl_node *n, const gl_tensor *in, gl_tensor *out,
                                    gl_err *err) {
    int64_t *o = out[0].data;
    if (strcmp(n->op_type, "Size") == 0) {
        o[0] = gl_shape_numel(&in[0].shape);
        return GLINT_OK;
    }
    int64_t start, end;
    int r = in[0].shape.rank;
    glint_status st = gl_attr_int(n, "start", 0, &start, err);
    if (st == GLINT_OK) st = gl_attr_int(n, "end", r, &end, err);
    if (st != GLINT_OK) return st;
    if (start < 0) start += r;
    if (end < 0) end += r;
    start = GL_MAX(0, GL_MIN(start, r));
    end = GL_MAX(0, GL_MIN(end, r));
    for (int64_t i = start; i < end; i++) o[i - start] = in[0].shape.d[i];
    return GLINT_OK;
}

/* Evaluates node n now (all its inputs are known): outputs become constants. */
static glint_status eval_static(builder *b, const gl_node *n, gl_tensor *in, gl_tensor *out,
                                const int *out_ids, gl_err *err) {
    gl_plan *p = b->p;
    for (int i = 0; i < n->n_outputs; i++) {
        if (out_ids[i] < 0) continue;
        gl_plan_tensor *t = &p->tensors[out_ids[i]];
        t->is_const = true;
        void *mem = gl_plan_alloc(p, t->bytes);
        if (!mem) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "plan: out of memory");
        t->data = mem;
        out[i].data = mem;
    }
    if (shape_only_op(n)) return eval_shape_only(n, in, out, err);
    /* Nothing to compute, and an op's loops over outer dimensions could run
     * for ages on a shape like [2^50, 0] (found by the fuzzer). */
    if (gl_tensors_empty(out, n->n_outputs)) return GLINT_OK;
    size_t ws_bytes = n->op->workspace ? n->op->workspace(n->params, in, n->n_inputs, out,
                                                          n->n_outputs)
                                       : 0;
    void *ws = NULL;
    if (ws_bytes) {
        ws = gl_aligned_alloc(p->alloc, ws_bytes, GL_ARENA_ALIGN);
        if (!ws) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "plan: out of memory for workspace");
    }
    glint_status st = n->op->run(n->params, in, n->n_inputs, out, n->n_outputs, ws, err);
    gl_aligned_free(p->alloc, ws);
    return st;
}

/* Marks in *mask the graph inputs value v is computed from (through any
 * producers; constants end the walk). seen: one flag per value. */
static void inputs_behind(const gl_graph *g, int v, bool *seen, uint64_t *mask) {
    if (v < 0 || seen[v]) return;
    seen[v] = true;
    const gl_value *val = &g->values[v];
    if (val->is_input) {
        for (int i = 0; i < g->n_inputs && i < 64; i++)
            if (g->inputs[i] == v) *mask |= (uint64_t)1 << i;
        return;
    }
    if (val->producer < 0) return;
    const gl_node *n = &g->nodes[val->producer];
    for (int k = 0; k < n->n_inputs; k++) inputs_behind(g, n->inputs[k], seen, mask);
}

/* After a node failed because the value of one of its inputs (in[k]) was
 * needed: records in err->need_inputs the graph inputs behind it, so that
 * the engine can plan again with their values. */
static void note_needed_inputs(const builder *b, const gl_node *n, const gl_tensor *in,
                               gl_err *err) {
    if (!err || !err->need_tensor) return;
    for (int k = 0; k < n->n_inputs; k++) {
        if (err->need_tensor != &in[k] || n->inputs[k] < 0) continue;
        bool *seen = gl_calloc(b->p->alloc, (size_t)b->g->n_values + 1, sizeof *seen);
        if (seen) inputs_behind(b->g, n->inputs[k], seen, &err->need_inputs);
        gl_free(b->p->alloc, seen);
    }
    err->need_tensor = NULL; /* it pointed into this frame */
}

static glint_status plan_node(builder *b, int ni, gl_err *err) {
    const gl_graph *g = b->g;
    const gl_node *n = &g->nodes[ni];
    gl_tensor in[64], out[64];
    int in_ids[64], out_ids[64];
    if (n->n_inputs > 64 || n->n_outputs > 64)
        return gl_fail(err, GLINT_ERR_UNSUPPORTED, "more than 64 inputs or outputs");
    bool all_static = true;
    for (int i = 0; i < n->n_inputs; i++) {
        int v = n->inputs[i];
        in_ids[i] = v >= 0 ? b->value_tensor[v] : -1;
        if (v >= 0 && in_ids[i] < 0)
            return gl_fail(err, GLINT_ERR_INTERNAL, "input '%s' has no producer",
                           g->values[v].name);
        if (in_ids[i] < 0) {
            in[i] = (gl_tensor){.dtype = GLINT_DTYPE_UNDEFINED, .shape = {.rank = -1}};
            continue;
        }
        const gl_plan_tensor *t = &b->p->tensors[in_ids[i]];
        in[i] = (gl_tensor){.dtype = t->dtype, .shape = t->shape,
                            .data = t->is_const ? (void *)t->data : NULL};
        if (!t->is_const) all_static = false;
    }
    for (int i = 0; i < n->n_outputs; i++)
        out[i] = (gl_tensor){.dtype = GLINT_DTYPE_UNDEFINED, .shape = {.rank = -1}};
    glint_status st = n->op->infer(n->params, in, n->n_inputs, out, n->n_outputs, err);
    if (st != GLINT_OK) {
        note_needed_inputs(b, n, in, err);
        return st;
    }
    for (int i = 0; i < n->n_outputs; i++) {
        out_ids[i] = -1;
        if (n->outputs[i] < 0) continue;
        if (out[i].dtype == GLINT_DTYPE_UNDEFINED || out[i].shape.rank < 0)
            return gl_fail(err, GLINT_ERR_INTERNAL, "output %d was not inferred", i);
        out_ids[i] = add_tensor(b, n->outputs[i], out[i].dtype, &out[i].shape, err);
        if (out_ids[i] < 0) return err ? err->status : GLINT_ERR_OUT_OF_MEMORY;
    }
    /* Empty outputs hold no data, so they are constants whatever the inputs:
     * no backend ever sees a step that writes nothing. Other nodes with
     * known inputs are evaluated now within a budget (GL_FOLD_MAX_BYTES);
     * beyond it they run at inference time. */
    if (shape_only_op(n) || gl_tensors_empty(out, n->n_outputs))
        return eval_static(b, n, in, out, out_ids, err);
    if (all_static) {
        size_t bytes = 0;
        for (int i = 0; i < n->n_outputs; i++)
            if (out_ids[i] >= 0) bytes += b->p->tensors[out_ids[i]].bytes;
        if (bytes <= GL_FOLD_MAX_BYTES && bytes <= b->static_budget) {
            b->static_budget -= bytes;
            return eval_static(b, n, in, out, out_ids, err);
        }
    }
    return add_step(b, n, ni, in_ids, out_ids, err);
}

static glint_status bind_inputs(builder *b, const gl_shape *shapes, const void *const *values,
                                gl_err *err) {
    const gl_graph *g = b->g;
    for (int v = 0; v < g->n_values; v++) {
        const gl_value *val = &g->values[v];
        if (!val->constant) continue;
        int id = add_tensor(b, v, val->constant->dtype, &val->constant->shape, err);
        if (id < 0) return err ? err->status : GLINT_ERR_OUT_OF_MEMORY;
        b->p->tensors[id].is_const = true;
        b->p->tensors[id].data = val->constant->data;
    }
    for (int i = 0; i < g->n_inputs; i++) {
        const gl_value *val = &g->values[g->inputs[i]];
        const gl_shape *s = &shapes[i];
        char want[128], got[128];
        bool ok = val->shape.rank < 0 || val->shape.rank == s->rank;
        for (int d = 0; ok && d < s->rank && val->shape.rank >= 0; d++)
            if (val->shape.d[d] >= 0 && val->shape.d[d] != s->d[d]) ok = false;
        for (int d = 0; d < s->rank; d++)
            if (s->d[d] < 0) ok = false;
        if (!ok)
            return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT,
                           "input '%s': shape %s does not match the model's %s", val->name,
                           gl_shape_str(s, got, sizeof got),
                           gl_shape_str(&val->shape, want, sizeof want));
        int id = add_tensor(b, g->inputs[i], val->dtype, s, err);
        if (id < 0) return err ? err->status : GLINT_ERR_OUT_OF_MEMORY;
        b->p->inputs[i] = id;
        if (values && values[i]) { /* planned for this value: a constant of the plan */
            gl_plan_tensor *t = &b->p->tensors[id];
            void *copy = gl_plan_alloc(b->p, t->bytes);
            if (!copy) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "plan: out of memory");
            if (t->bytes) memcpy(copy, values[i], t->bytes);
            t->is_const = true;
            t->data = copy;
        }
    }
    return GLINT_OK;
}

glint_status gl_plan_build(const gl_graph *g, const gl_shape *input_shapes,
                           glint_precision precision, gl_plan **out, gl_err *err) {
    return gl_plan_build_values(g, input_shapes, NULL, precision, out, err);
}

glint_status gl_plan_build_values(const gl_graph *g, const gl_shape *input_shapes,
                                  const void *const *input_values, glint_precision precision,
                                  gl_plan **out, gl_err *err) {
    double t0 = gl_now_us();
    const glint_allocator *a = g->alloc;
    *out = NULL;
    gl_plan *p = gl_calloc(a, 1, sizeof *p);
    builder b = {.g = g, .p = p, .static_budget = GL_FOLD_TOTAL_MAX_BYTES};
    if (!p) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "plan: out of memory");
    p->graph = g;
    p->alloc = a;
    p->precision = precision;
    p->owned = gl_calloc(a, 1, sizeof(gl_plan_owned));
    p->input_shapes = gl_calloc(a, (size_t)g->n_inputs + 1, sizeof(gl_shape));
    p->inputs = gl_calloc(a, (size_t)g->n_inputs + 1, sizeof(int));
    p->outputs = gl_calloc(a, (size_t)g->n_outputs + 1, sizeof(int));
    b.value_tensor = gl_malloc(a, sizeof(int) * (size_t)(g->n_values + 1));
    glint_status st = GLINT_OK;
    if (!p->owned || !p->input_shapes || !p->inputs || !p->outputs || !b.value_tensor) {
        st = gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "plan: out of memory");
        goto done;
    }
    memcpy(p->input_shapes, input_shapes, sizeof(gl_shape) * (size_t)g->n_inputs);
    for (int v = 0; v < g->n_values; v++) b.value_tensor[v] = -1;
    if (err) err->need_inputs = 0;
    st = bind_inputs(&b, input_shapes, input_values, err);
    for (int ni = 0; st == GLINT_OK && ni < g->n_nodes; ni++) {
        st = plan_node(&b, ni, err);
        if (st != GLINT_OK) {
            char label[256];
            gl_err_prefix(err, "%s", gl_node_label(g, ni, label, sizeof label));
        }
    }
    for (int i = 0; st == GLINT_OK && i < g->n_outputs; i++) {
        int id = b.value_tensor[g->outputs[i]];
        if (id < 0)
            st = gl_fail(err, GLINT_ERR_INVALID_MODEL, "output '%s' is never produced",
                         g->values[g->outputs[i]].name);
        else
            p->outputs[i] = id;
    }
    if (st == GLINT_OK) st = gl_plan_fuse(p, err);
    if (st == GLINT_OK) st = gl_plan_assign_memory(p, err);
    if (st == GLINT_OK) {
        for (int i = 0; i < p->n_steps; i++) {
            gl_plan_step *s = &p->steps[i];
            if (!s->op->flops) continue;
            gl_tensor in[64], o[64];
            gl_plan_step_views(p, s, NULL, in, o);
            s->flops = s->op->flops(s->params, in, s->n_inputs, o, s->n_outputs);
            p->flops += s->flops;
        }
    }
done:
    gl_free(a, b.value_tensor);
    if (st != GLINT_OK) {
        gl_plan_free(p);
        return st;
    }
    p->plan_ms = (gl_now_us() - t0) / 1000.0;
    *out = p;
    return GLINT_OK;
}
