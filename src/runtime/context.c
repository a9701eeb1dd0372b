/* Contexts and the synchronous run path. The run path looks the request's
 * shapes up among the plans already bound to this context (no lock), checks
 * the caller's tensors, and hands host pointers to the backend. Nothing is
 * allocated once a shape's plan is bound. */
#include <string.h>

#include "runtime/engine.h"
#include "runtime/telemetry.h"

static glint_status bind_entry(glint_context *c, gl_plan_entry *pe, gl_err *err) {
    glint_engine *e = c->engine;
    if (c->n_bound == c->bound_cap) {
        int cap = c->bound_cap ? c->bound_cap * 2 : 16;
        gl_plan_entry **nb = gl_realloc_array(&e->alloc, c->bound, (size_t)cap, sizeof *nb);
        if (!nb) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory binding a plan");
        c->bound = nb;
        c->bound_cap = cap;
    }
    /* spare output buffers big enough for this plan's outputs */
    for (int i = 0; i < e->graph->n_outputs; i++) {
        size_t need = pe->plan->tensors[pe->plan->outputs[i]].bytes;
        if (need <= c->spare_bytes[i]) continue;
        void *nb = gl_aligned_alloc(&e->alloc, need, GL_ARENA_ALIGN);
        if (!nb) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory for output staging");
        gl_aligned_free(&e->alloc, c->spare_outputs[i]);
        c->spare_outputs[i] = nb;
        c->spare_bytes[i] = need;
    }
    glint_status st = e->backend->context_bind(c->backend_ctx, pe->prepared, err);
    if (st != GLINT_OK) return st;
    c->bound[c->n_bound++] = pe;
    return GLINT_OK;
}

/* Binds every plan the engine has, the largest arena first: a backend
 * whose context keeps one arena for all its plans (CUDA) then allocates it
 * once, where in the engine's order (buckets by ascending size) it grew at
 * almost every bucket and captured and warmed every bound graph again each
 * time (the 18 standard buckets: about a hundred captures for 18 graphs). The bound list
 * keeps the engine's order. */
static glint_status bind_all(glint_context *c, gl_err *err) {
    glint_engine *e = c->engine;
    pthread_mutex_lock(&e->plans_lock);
    const int n = e->n_plans;
    gl_plan_entry **list = n ? gl_malloc(&e->alloc, 2 * (size_t)n * sizeof *list) : NULL;
    if (list) memcpy(list, e->plans, (size_t)n * sizeof *list);
    pthread_mutex_unlock(&e->plans_lock);
    if (n && !list) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory binding plans");
    gl_plan_entry **order = list + n; /* list: the engine's order; order: by arena, largest first */
    for (int i = 0; i < n; i++) {
        int j = i;
        while (j > 0 && order[j - 1]->plan->arena_bytes < list[i]->plan->arena_bytes) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = list[i];
    }
    glint_status st = GLINT_OK;
    for (int i = 0; i < n && st == GLINT_OK; i++) st = bind_entry(c, order[i], err);
    if (st == GLINT_OK && n) memcpy(c->bound, list, (size_t)n * sizeof *list);
    gl_free(&e->alloc, list);
    return st;
}

void glint_context_free(glint_context *c) {
    if (!c) return;
    glint_engine *e = c->engine;
    if (c->backend_ctx) e->backend->context_free(c->backend_ctx);
    for (int i = 0; c->spare_outputs && i < e->graph->n_outputs; i++)
        gl_aligned_free(&e->alloc, c->spare_outputs[i]);
    gl_free(&e->alloc, c->spare_outputs);
    gl_free(&e->alloc, c->spare_bytes);
    gl_free(&e->alloc, c->bound);
    gl_free(&e->alloc, (void *)c->input_ptrs);
    gl_free(&e->alloc, c->output_ptrs);
    gl_free(&e->alloc, c->shapes);
    gl_free(&e->alloc, c);
}

glint_status glint_context_create(glint_engine *e, glint_context **out, char *error,
                                  size_t error_size) {
    gl_err err = {0};
    glint_status st = GLINT_OK;
    if (out) *out = NULL;
    if (!e || !out) {
        gl_fail(&err, GLINT_ERR_INVALID_ARGUMENT, "engine and context must not be NULL");
        gl_err_copy_out(&err, error, error_size);
        return GLINT_ERR_INVALID_ARGUMENT;
    }
    glint_context *c = gl_calloc(&e->alloc, 1, sizeof *c);
    if (!c) {
        gl_fail(&err, GLINT_ERR_OUT_OF_MEMORY, "out of memory for a context");
        gl_err_copy_out(&err, error, error_size);
        return GLINT_ERR_OUT_OF_MEMORY;
    }
    c->engine = e;
    size_t ni = (size_t)e->graph->n_inputs + 1, no = (size_t)e->graph->n_outputs + 1;
    c->input_ptrs = gl_calloc(&e->alloc, ni, sizeof(void *));
    c->shapes = gl_calloc(&e->alloc, ni, sizeof(gl_shape));
    c->output_ptrs = gl_calloc(&e->alloc, no, sizeof(void *));
    c->spare_outputs = gl_calloc(&e->alloc, no, sizeof(void *));
    c->spare_bytes = gl_calloc(&e->alloc, no, sizeof(size_t));
    if (!c->input_ptrs || !c->shapes || !c->output_ptrs || !c->spare_outputs || !c->spare_bytes) {
        st = gl_fail(&err, GLINT_ERR_OUT_OF_MEMORY, "out of memory for a context");
        goto fail;
    }
    st = e->backend->context_create(e->backend_state, &c->backend_ctx, &err);
    if (st == GLINT_OK) st = bind_all(c, &err);
    if (st != GLINT_OK) goto fail;
    *out = c;
    return GLINT_OK;
fail:
    gl_err_copy_out(&err, error, error_size);
    glint_context_free(c);
    return st;
}

const char *glint_context_last_error(const glint_context *c) {
    return c ? c->err.msg : "context is NULL";
}

static int find_input(const gl_graph *g, const char *name) {
    for (int i = 0; i < g->n_inputs; i++)
        if (strcmp(g->values[g->inputs[i]].name, name) == 0) return i;
    return -1;
}

static int find_output(const gl_graph *g, const char *name) {
    for (int i = 0; i < g->n_outputs; i++)
        if (strcmp(g->values[g->outputs[i]].name, name) == 0) return i;
    return -1;
}

/* Checks the inputs and fills c->shapes / c->input_ptrs in graph order. */
static glint_status take_inputs(glint_context *c, const glint_tensor *in, size_t n, gl_err *err) {
    const gl_graph *g = c->engine->graph;
    if (n != (size_t)g->n_inputs)
        return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "the model takes %d inputs, %zu were given",
                       g->n_inputs, n);
    for (int i = 0; i < g->n_inputs; i++) c->input_ptrs[i] = NULL;
    for (size_t k = 0; k < n; k++) {
        const glint_tensor *t = &in[k];
        int i = t->name ? find_input(g, t->name) : -1;
        if (i < 0)
            return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "inputs[%zu]: the model has no input named '%s'",
                           k, t->name ? t->name : "(null)");
        const gl_value *v = &g->values[g->inputs[i]];
        if (c->input_ptrs[i])
            return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "input '%s' is given twice", t->name);
        if (t->dtype != v->dtype)
            return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "input '%s': dtype %s, the model wants %s",
                           t->name, glint_dtype_name(t->dtype), glint_dtype_name(v->dtype));
        if (t->rank < 0 || t->rank > GL_MAX_RANK || t->rank != v->shape.rank)
            return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "input '%s': rank %d, the model wants %d",
                           t->name, (int)t->rank, v->shape.rank);
        gl_shape s = {.rank = t->rank};
        for (int d = 0; d < t->rank; d++) {
            s.d[d] = t->dims[d];
            if (s.d[d] < 0 || (v->shape.d[d] >= 0 && v->shape.d[d] != s.d[d]))
                return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT,
                               "input '%s': dimension %d is %lld, the model wants %lld", t->name, d,
                               (long long)s.d[d], (long long)v->shape.d[d]);
        }
        size_t bytes;
        if (!gl_tensor_bytes(t->dtype, &s, &bytes))
            return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "input '%s': size overflows", t->name);
        if (t->bytes < bytes || (!t->data && bytes))
            return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "input '%s': needs %zu bytes, %zu given",
                           t->name, bytes, t->data ? t->bytes : 0);
        c->shapes[i] = s;
        c->input_ptrs[i] = t->data ? t->data : (const void *)c; /* non-NULL marks "given" */
    }
    return GLINT_OK;
}

static glint_status find_bound(glint_context *c, gl_plan_entry **out, gl_err *err) {
    int n_in = c->engine->graph->n_inputs;
    for (int b = 0; b < c->n_bound; b++)
        if (gl_engine_plan_matches(c->bound[b]->plan, n_in, c->shapes, c->input_ptrs)) {
            *out = c->bound[b];
            return GLINT_OK;
        }
    /* first use of this shape: plan (or reuse the engine's plan) and bind */
    gl_plan_entry *pe;
    glint_status st = gl_engine_get_plan(c->engine, c->shapes, c->input_ptrs, &pe, err);
    if (st == GLINT_OK && !pe)
        st = gl_fail(err, GLINT_ERR_INTERNAL, "no plan although every input value was given");
    if (st == GLINT_OK) st = bind_entry(c, pe, err);
    if (st == GLINT_OK) *out = pe;
    return st;
}

static glint_status take_outputs(glint_context *c, const gl_plan *p, glint_tensor *out, size_t n,
                                 gl_err *err) {
    const gl_graph *g = c->engine->graph;
    for (int i = 0; i < g->n_outputs; i++) c->output_ptrs[i] = c->spare_outputs[i];
    glint_status st = GLINT_OK;
    for (size_t k = 0; k < n; k++) {
        glint_tensor *t = &out[k];
        int i = t->name ? find_output(g, t->name) : (int)k;
        if (i < 0 || i >= g->n_outputs)
            return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "outputs[%zu]: the model has no output %s%s%s",
                           k, t->name ? "named '" : "", t->name ? t->name : "at that position",
                           t->name ? "'" : "");
        const gl_plan_tensor *pt = &p->tensors[p->outputs[i]];
        t->dtype = pt->dtype;
        t->rank = pt->shape.rank;
        for (int d = 0; d < pt->shape.rank; d++) t->dims[d] = pt->shape.d[d];
        if (t->bytes < pt->bytes || (!t->data && pt->bytes)) {
            if (st == GLINT_OK)
                st = gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "output '%s': needs %zu bytes, the buffer has %zu",
                             g->values[g->outputs[i]].name, pt->bytes, t->data ? t->bytes : 0);
            continue;
        }
        c->output_ptrs[i] = t->data;
    }
    return st;
}

glint_status glint_run(glint_context *c, const glint_tensor *inputs, size_t input_count,
                       glint_tensor *outputs, size_t output_count) {
    if (!c) return GLINT_ERR_INVALID_ARGUMENT;
    double t0 = gl_now_us();
    gl_err *err = &c->err;
    gl_err_clear(err);
    gl_plan_entry *pe = NULL;
    glint_status st;
    if ((!inputs && input_count) || (!outputs && output_count))
        st = gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "inputs or outputs is NULL with a nonzero count");
    else
        st = take_inputs(c, inputs, input_count, err);
    if (st == GLINT_OK) st = find_bound(c, &pe, err);
    if (st == GLINT_OK) st = take_outputs(c, pe->plan, outputs, output_count, err);
    if (st == GLINT_OK)
        st = c->engine->backend->run(c->backend_ctx, pe->prepared, c->input_ptrs,
                                     (void *const *)c->output_ptrs, err);
    glint_bucket b = pe ? pe->bucket : (glint_bucket){0, 0, 0};
    gl_telemetry_record_run(c->engine->telemetry, b.batch, b.height, b.width, gl_now_us() - t0, st);
    if (c->engine->cpu_fallback) gl_telemetry_count(c->engine->telemetry, GL_COUNTER_CPU_FALLBACKS, 1);
    return st;
}
