/* plan_prepare for CUDA: lowers a plan to kernel descriptors, resolves views
 * to aliases, lays out the context arena from the descriptors' order, and
 * uploads the plan-time constants the kernels read. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "backend/cuda/cuda_lower.h"

gk_desc *gl_cuda_add_desc(gl_cuda_lower *L, gk_kind kind, int node, gl_err *err) {
    gl_cuda_prepared *pp = L->pp;
    if (pp->n_k == pp->cap_k) {
        int cap = pp->cap_k ? pp->cap_k * 2 : 32;
        gk_desc *k = gl_realloc_array(L->plan->alloc, pp->k, (size_t)cap, sizeof *k);
        if (!k) {
            gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "CUDA: kernel list");
            return NULL;
        }
        pp->k = k;
        pp->cap_k = cap;
    }
    gk_desc *d = &pp->k[pp->n_k++];
    memset(d, 0, sizeof *d);
    d->kind = kind;
    d->node = node;
    for (int i = 0; i < GK_MAX_ARGS; i++) d->args[i] = -1;
    return d;
}

glint_status gl_cuda_unsupported(gl_cuda_lower *L, int si, gl_err *err, const char *why) {
    const gl_plan_step *s = &L->plan->steps[si];
    char label[160];
    gl_node_label(L->g, s->node, label, sizeof label);
    return gl_fail(err, GLINT_ERR_UNSUPPORTED, "CUDA backend: %s %s", label, why);
}

static bool const_elem(const gl_cuda_lower *L, int id, int64_t i, double *out) {
    if (id < 0) return false;
    const gl_plan_tensor *t = &L->plan->tensors[id];
    if (!t->is_const || !t->data || i < 0 || i >= gl_shape_numel(&t->shape)) return false;
    switch (t->dtype) {
    case GLINT_DTYPE_FLOAT32: *out = ((const float *)t->data)[i]; return true;
    case GLINT_DTYPE_FLOAT64: *out = ((const double *)t->data)[i]; return true;
    case GLINT_DTYPE_FLOAT16: *out = gl_f16_to_f32(((const uint16_t *)t->data)[i]); return true;
    case GLINT_DTYPE_INT64: *out = (double)((const int64_t *)t->data)[i]; return true;
    case GLINT_DTYPE_INT32: *out = ((const int32_t *)t->data)[i]; return true;
    case GLINT_DTYPE_INT8: *out = ((const int8_t *)t->data)[i]; return true;
    case GLINT_DTYPE_UINT8: *out = ((const uint8_t *)t->data)[i]; return true;
    default: return false;
    }
}

bool gl_cuda_const_i64(const gl_cuda_lower *L, int id, int64_t i, int64_t *out) {
    const gl_plan_tensor *t = id >= 0 ? &L->plan->tensors[id] : NULL;
    if (t && t->is_const && t->data && t->dtype == GLINT_DTYPE_INT64 && i >= 0 &&
        i < gl_shape_numel(&t->shape)) {
        *out = ((const int64_t *)t->data)[i]; /* exact, even beyond 2^53 */
        return true;
    }
    double v;
    if (!const_elem(L, id, i, &v)) return false;
    *out = (int64_t)v;
    return true;
}

bool gl_cuda_const_f32(const gl_cuda_lower *L, int id, int64_t i, float *out) {
    double v;
    if (!const_elem(L, id, i, &v)) return false;
    *out = (float)v;
    return true;
}

/* Device pointers of the constants: engine weights where the plan tensor is
 * a graph constant, else an upload owned by this plan. realloc_dead: the
 * device was reset, so owned pointers are dead and must be reallocated. */
static glint_status resolve_consts(gl_cuda_prepared *pp, bool first, bool realloc_dead,
                                   gl_err *err) {
    gl_cuda_engine *eng = pp->eng;
    const gl_graph *g = eng->graph;
    for (int i = 0; i < pp->n_t; i++) {
        gl_cuda_tensor *t = &pp->t[i];
        if (!t->is_const || t->storage != i || !t->referenced) continue;
        if (t->tile_of > 0) { /* the engine's copy in the tiled conv's layout */
            t->dev = eng->tile_w[t->tile_of - 1];
            continue;
        }
        int v = i < pp->plan->n_tensors ? pp->plan->tensors[i].value : -1;
        bool is_weight = v >= 0 && g->values[v].constant &&
                         g->values[v].constant->data == t->host && eng->weights[v];
        if (is_weight) {
            t->dev = eng->weights[v];
            continue;
        }
        if (realloc_dead && t->owns_dev) {
            gl_cuda_free(eng, GL_CUDA_MEM_WEIGHTS, t->dev, t->dev_bytes, -1);
            t->dev = NULL;
            t->owns_dev = false;
        }
        if (first || !t->dev) {
            glint_status st = gl_cuda_malloc(eng, GL_CUDA_MEM_WEIGHTS, t->dev_bytes,
                                             "plan constant", &t->dev, err);
            if (st) return st;
            t->owns_dev = true;
            if (first) pp->const_bytes += t->dev_bytes;
        }
        glint_status st = gl_cuda_upload(eng, t->dev, t->host, t->dtype, t->dev_dtype, t->numel,
                                         err);
        if (st) return st;
    }
    for (int i = 0; i < pp->n_t; i++) { /* aliases of constants */
        gl_cuda_tensor *t = &pp->t[i];
        if (t->is_const && t->storage != i)
            t->dev = (uint8_t *)pp->t[t->storage].dev + t->view_bytes;
    }
    return GLINT_OK;
}

glint_status gl_cuda_prepared_upload(gl_cuda_prepared *pp, bool realloc_dead, gl_err *err) {
    return resolve_consts(pp, false, realloc_dead, err);
}

/* Lifetimes of storage roots in descriptor order (time j+1 for descriptor
 * j; 0 before the first, n_k+1 after the last), then offsets. */
static glint_status layout_arena(gl_cuda_prepared *pp, gl_err *err) {
    for (int i = 0; i < pp->n_t; i++) {
        pp->t[i].first = INT_MAX;
        pp->t[i].last = -1;
    }
    for (int j = 0; j < pp->n_k; j++)
        for (int a = 0; a < pp->k[j].n_args; a++) {
            int id = pp->k[j].args[a];
            if (id < 0) continue;
            pp->t[id].referenced = true;
            gl_cuda_tensor *r = &pp->t[pp->t[id].storage];
            r->referenced = true;
            r->first = GL_MIN(r->first, j + 1);
            r->last = GL_MAX(r->last, j + 1);
        }
    for (int i = 0; i < pp->n_in; i++) {
        gl_cuda_tensor *r = &pp->t[pp->t[pp->in[i].tensor].storage];
        pp->t[pp->in[i].tensor].referenced = r->referenced = true;
        r->first = 0;
        r->last = GL_MAX(r->last, 0);
    }
    for (int i = 0; i < pp->n_out; i++) {
        gl_cuda_tensor *r = &pp->t[pp->t[pp->out[i].tensor].storage];
        pp->t[pp->out[i].tensor].referenced = r->referenced = true;
        r->first = GL_MIN(r->first, pp->n_k + 1);
        r->last = pp->n_k + 1;
    }
    int n = 0;
    for (int i = 0; i < pp->n_t; i++)
        if (pp->t[i].storage == i && !pp->t[i].is_const && pp->t[i].referenced) n++;
    gl_mem_block *b = gl_calloc(pp->plan->alloc, (size_t)GL_MAX(n, 1), sizeof *b);
    if (!b) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "CUDA: memory plan");
    n = 0;
    for (int i = 0; i < pp->n_t; i++) {
        gl_cuda_tensor *t = &pp->t[i];
        if (t->storage != i || t->is_const || !t->referenced) continue;
        b[n].bytes = GL_MAX(t->dev_bytes, (size_t)1);
        b[n].first = t->first;
        b[n].last = t->last;
        n++;
    }
    glint_status st = gl_memplan(b, n, GL_CUDA_ALIGN, pp->plan->alloc, &pp->arena_bytes, err);
    n = 0;
    for (int i = 0; !st && i < pp->n_t; i++) {
        gl_cuda_tensor *t = &pp->t[i];
        if (t->storage != i || t->is_const || !t->referenced) continue;
        t->offset = b[n++].offset;
    }
    gl_free(pp->plan->alloc, b);
    for (int i = 0; !st && i < pp->n_t; i++)
        if (!pp->t[i].is_const) pp->t[i].offset = pp->t[pp->t[i].storage].offset;
    return st;
}

static void init_tensor(gl_cuda_prepared *pp, int i, gl_dtype dtype, const gl_shape *shape,
                        bool is_const, const void *host) {
    gl_cuda_tensor *t = &pp->t[i];
    t->storage = i;
    t->dtype = dtype;
    t->dev_dtype = dtype == GLINT_DTYPE_FLOAT32 ? gl_cuda_store_dtype(pp->eng->store) : dtype;
    t->numel = gl_shape_numel(shape);
    t->is_const = is_const;
    t->host = host;
    size_t es = glint_dtype_size(t->dev_dtype);
    t->dev_bytes = t->numel > 0 ? (size_t)t->numel * es : 0;
}

int gl_cuda_tile_weight(gl_cuda_lower *L, int w) {
    gl_cuda_prepared *pp = L->pp;
    int v = w >= 0 && w < L->plan->n_tensors ? L->plan->tensors[w].value : -1;
    if (v < 0 || !pp->eng->tile_w[v] || L->next_tensor >= pp->n_t) return -1;
    int id = L->next_tensor++;
    gl_cuda_tensor *t = &pp->t[id];
    t->storage = id;
    t->is_const = true;
    t->tile_of = v + 1;
    t->dtype = GLINT_DTYPE_FLOAT32;
    t->dev_dtype = gl_cuda_store_dtype(pp->eng->store);
    return id;
}

int gl_cuda_lowered_const(gl_cuda_lower *L, gl_dtype dtype, int64_t numel, void **host,
                          gl_err *err) {
    gl_cuda_prepared *pp = L->pp;
    if (L->next_tensor >= pp->n_t) {
        gl_fail(err, GLINT_ERR_INTERNAL, "CUDA: no slot left for a lowered constant");
        return -1;
    }
    const size_t bytes = (size_t)GL_MAX(numel, 1) * glint_dtype_size(dtype);
    void *h = gl_calloc(L->plan->alloc, 1, bytes);
    if (!h) {
        gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "CUDA: lowered constant (%zu bytes)", bytes);
        return -1;
    }
    int id = L->next_tensor++;
    gl_cuda_tensor *t = &pp->t[id];
    t->storage = id;
    t->is_const = true;
    t->host = h;
    t->owns_host = true;
    t->dtype = t->dev_dtype = dtype;
    t->numel = numel;
    t->dev_bytes = bytes;
    *host = h;
    return id;
}

/* A graph input or output: a host I/O kernel moves it between the host
 * buffer of the run and its tensor, casting float data to and from the
 * storage type in FP16 / BF16 engines (gk_host_io); consecutive inputs (or
 * outputs) share one kernel. An empty tensor moves nothing. */
static glint_status add_io(gl_cuda_lower *L, bool input, int k, gl_err *err) {
    gl_cuda_prepared *pp = L->pp;
    int id = input ? L->plan->inputs[k] : L->plan->outputs[k];
    const gl_plan_tensor *pt = &L->plan->tensors[id];
    gl_cuda_io *io = input ? &pp->in[k] : &pp->out[k];
    io->tensor = id;
    if (!gl_tensor_bytes(pt->dtype, &pt->shape, &io->host_bytes))
        return gl_fail(err, GLINT_ERR_UNSUPPORTED, "CUDA backend: graph %s %d has dtype %s",
                       input ? "input" : "output", k, glint_dtype_name(pt->dtype));
    if (!io->host_bytes) return GLINT_OK;
    const gk_kind kind = input ? GK_HOST_IN : GK_HOST_OUT;
    gk_desc *d = pp->n_k > 0 ? &pp->k[pp->n_k - 1] : NULL;
    if (!d || d->kind != kind || d->u.host.count == GK_HOST_MAX) {
        d = gl_cuda_add_desc(L, kind, -1, err);
        if (!d) return err->status;
    }
    gk_host_io *h = &d->u.host;
    const int i = h->count++;
    d->n_args = 2 * h->count;
    d->args[2 * i] = input ? -1 : id;
    d->args[2 * i + 1] = input ? id : -1;
    h->bytes[i] = io->host_bytes;
    h->io[i] = k;
    h->cast[i] = L->store != GK_STORE_F32 && pt->dtype == GLINT_DTYPE_FLOAT32;
    return GLINT_OK;
}

void gl_cuda_plan_release(void *state, void *prepared) {
    gl_cuda_engine *eng = state;
    gl_cuda_prepared *pp = prepared;
    if (!pp) return;
    (void)cudaSetDevice(eng->device);
    pthread_mutex_lock(&eng->rec_mu);
    for (int i = 0; i < eng->n_prepared; i++)
        if (eng->prepared[i] == pp) {
            eng->prepared[i] = eng->prepared[--eng->n_prepared];
            break;
        }
    int epoch = eng->reset_epoch;
    pthread_mutex_unlock(&eng->rec_mu);
    const glint_allocator *a = pp->plan->alloc;
    for (int i = 0; pp->t && i < pp->n_t; i++) {
        if (pp->t[i].owns_dev) gl_cuda_free(eng, GL_CUDA_MEM_WEIGHTS, pp->t[i].dev,
                                            pp->t[i].dev_bytes, epoch);
        if (pp->t[i].owns_host) gl_free(a, (void *)pp->t[i].host);
    }
    gl_free(a, pp->t);
    gl_free(a, pp->k);
    gl_free(a, pp->in);
    gl_free(a, pp->out);
    gl_free(a, pp);
}

/* Whether Gemm descriptor e can join a group led by f: the same A read
 * the same way, batch 1, and none of its inputs written by the group. */
static bool gemm_joins(const gk_desc *f, const gk_desc *e, int count) {
    const gk_gemm *a = &f->u.gemm, *b = &e->u.gemm;
    if (e->kind != GK_GEMM || e->args[0] != f->args[0] || a->batch != 1 || b->batch != 1 ||
        a->m != b->m || a->k != b->k || a->trans_a != b->trans_a || a->lda != b->lda)
        return false;
    for (int i = 0; i < count; i++) {
        int c = f[i].args[3];
        if (e->args[1] == c || e->args[2] == c) return false;
    }
    return true;
}

/* Consecutive Gemms of one A become one GK_GEMM_GROUP launch: a FiLM
 * network projects its style vector once per block (7 Gemms in the glyph
 * model), each a few hundred outputs, so their launches cost more than
 * their arithmetic. The simple path keeps one launch per Gemm. */
static void group_gemms(gl_cuda_lower *L) {
    gl_cuda_prepared *pp = L->pp;
    if (L->simple) return;
    int out = 0;
    for (int j = 0; j < pp->n_k;) {
        int count = 1;
        if (pp->k[j].kind == GK_GEMM)
            while (j + count < pp->n_k && count < GK_GEMM_GROUP_MAX &&
                   gemm_joins(&pp->k[j], &pp->k[j + count], count))
                count++;
        if (count == 1) {
            pp->k[out++] = pp->k[j++];
            continue;
        }
        gk_desc grp;
        memset(&grp, 0, sizeof grp);
        grp.kind = GK_GEMM_GROUP;
        grp.node = pp->k[j].node;
        grp.args[0] = pp->k[j].args[0];
        grp.n_args = 1 + 3 * count;
        grp.u.gemm_group.count = count;
        for (int i = 0; i < count; i++) {
            const gk_desc *e = &pp->k[j + i];
            grp.u.gemm_group.sub[i] = e->u.gemm;
            for (int a = 1; a < 4; a++) grp.args[3 * i + a] = e->args[a];
        }
        pp->k[out++] = grp;
        j += count;
    }
    pp->n_k = out;
}

static glint_status lower_all(gl_cuda_lower *L, gl_err *err) {
    const gl_plan *p = L->plan;
    gl_cuda_prepared *pp = L->pp;
    for (int si = 0; si < p->n_steps; si++) {
        const gl_plan_step *s = &p->steps[si];
        for (int k = 0; k < s->n_inputs; k++)
            if (s->inputs[k] >= 0) L->readers[s->inputs[k]]++;
        for (int k = 0; k < s->n_outputs; k++)
            if (s->outputs[k] >= 0) L->producer[s->outputs[k]] = si;
    }
    for (int k = 0; k < p->graph->n_outputs; k++) L->is_output[p->outputs[k]] = true;
    gl_cuda_plan_folds(L);
    L->next_tensor = p->n_tensors;
    glint_status st = GLINT_OK;
    for (int k = 0; !st && k < p->graph->n_inputs; k++) st = add_io(L, true, k, err);
    for (int si = 0; !st && si < p->n_steps; si++)
        if (!L->skip[si]) st = gl_cuda_lower_step(L, si, err);
    if (!st) group_gemms(L);
    for (int k = 0; !st && k < p->graph->n_outputs; k++) st = add_io(L, false, k, err);
    if (!st) st = gl_cuda_plan_layouts(L, err);
    if (st) return st;
    size_t off = 0;
    for (int k = 0; k < pp->n_in; k++) {
        pp->in[k].stage_offset = off;
        off = gl_align_up(off + pp->in[k].host_bytes, 64);
    }
    pp->stage_in_bytes = off;
    off = 0;
    for (int k = 0; k < pp->n_out; k++) {
        pp->out[k].stage_offset = off;
        off = gl_align_up(off + pp->out[k].host_bytes, 64);
    }
    pp->stage_out_bytes = off;
    st = layout_arena(pp, err);
    if (!st) st = resolve_consts(pp, true, false, err);
    return st;
}

glint_status gl_cuda_plan_prepare(void *state, const gl_plan *plan, void **prepared,
                                  gl_err *err) {
    gl_cuda_engine *eng = state;
    *prepared = NULL;
    glint_status st = gl_cuda_check(eng, cudaSetDevice(eng->device), err, "cudaSetDevice");
    if (st) return st;
    const glint_allocator *a = plan->alloc;
    gl_cuda_prepared *pp = gl_calloc(a, 1, sizeof *pp);
    if (!pp) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "CUDA: prepared plan");
    pp->eng = eng;
    pp->plan = plan;
    pp->n_in = plan->graph->n_inputs;
    pp->n_out = plan->graph->n_outputs;
    /* one tiled-weight slot per step of 2+ inputs (every conv among them),
     * two more per QConv (its int8 weights and per-channel factors) */
    int n_extra = 0;
    for (int i = 0; i < plan->n_steps; i++)
        n_extra += (plan->steps[i].n_inputs >= 2) +
                   2 * (strcmp(plan->steps[i].op->domain, "glint") == 0 &&
                        strcmp(plan->steps[i].op->name, "QConv") == 0);
    pp->n_t = plan->n_tensors + n_extra;
    size_t nt = (size_t)GL_MAX(plan->n_tensors, 1), ns = (size_t)GL_MAX(plan->n_steps, 1);
    pp->t = gl_calloc(a, (size_t)GL_MAX(pp->n_t, 1), sizeof *pp->t);
    pp->in = gl_calloc(a, (size_t)GL_MAX(pp->n_in, 1), sizeof *pp->in);
    pp->out = gl_calloc(a, (size_t)GL_MAX(pp->n_out, 1), sizeof *pp->out);
    gl_cuda_lower L = {.pp = pp, .plan = plan, .g = plan->graph, .store = eng->store,
                       .simple = gl_cuda_env_flag("GLINT_CUDA_SIMPLE"),
                       .no_mma = gl_cuda_env_flag("GLINT_CUDA_NO_MMA"),
                       .sm_count = eng->sm_count};
    L.producer = gl_malloc(a, nt * sizeof(int));
    L.readers = gl_calloc(a, nt, sizeof(int));
    L.is_output = gl_calloc(a, nt, sizeof(bool));
    L.skip = gl_calloc(a, ns, sizeof(bool));
    L.fold_up = gl_malloc(a, ns * sizeof(int));
    L.fold_cat = gl_malloc(a, ns * sizeof(int));
    L.fold_cat_up = gl_malloc(a, 2 * ns * sizeof(int));
    L.fold_op = gl_malloc(a, GL_MAX_EPILOGUE * ns * sizeof(gl_cuda_op_fold));
    L.fold_q = gl_malloc(a, ns * sizeof(int));
    if (!pp->t || !pp->in || !pp->out || !L.producer || !L.readers || !L.is_output || !L.skip ||
        !L.fold_up || !L.fold_cat || !L.fold_cat_up || !L.fold_op || !L.fold_q) {
        st = gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "CUDA: lowering tables");
    } else {
        for (size_t i = 0; i < nt; i++) L.producer[i] = -1;
        for (size_t i = 0; i < ns; i++) L.fold_up[i] = L.fold_cat[i] = L.fold_q[i] = -1;
        for (size_t i = 0; i < 2 * ns; i++) L.fold_cat_up[i] = -1;
        for (size_t i = 0; i < GL_MAX_EPILOGUE * ns; i++)
            L.fold_op[i] = (gl_cuda_op_fold){.src = -1};
        for (int i = 0; i < plan->n_tensors; i++) {
            const gl_plan_tensor *t = &plan->tensors[i];
            init_tensor(pp, i, t->dtype, &t->shape, t->is_const, t->data);
        }
        for (int i = plan->n_tensors; i < pp->n_t; i++) pp->t[i].storage = i;
        st = lower_all(&L, err);
    }
    gl_free(a, L.producer);
    gl_free(a, L.readers);
    gl_free(a, L.is_output);
    gl_free(a, L.skip);
    gl_free(a, L.fold_up);
    gl_free(a, L.fold_cat);
    gl_free(a, L.fold_cat_up);
    gl_free(a, L.fold_op);
    gl_free(a, L.fold_q);
    if (!st) {
        pthread_mutex_lock(&eng->rec_mu);
        if (eng->n_prepared == eng->cap_prepared) {
            int cap = eng->cap_prepared ? eng->cap_prepared * 2 : 8;
            gl_cuda_prepared **np = gl_realloc_array(eng->alloc, eng->prepared, (size_t)cap,
                                                     sizeof *np);
            if (np) {
                eng->prepared = np;
                eng->cap_prepared = cap;
            }
        }
        if (eng->n_prepared < eng->cap_prepared) eng->prepared[eng->n_prepared++] = pp;
        else st = gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "CUDA: prepared plan list");
        pthread_mutex_unlock(&eng->rec_mu);
    }
    if (st) {
        gl_cuda_plan_release(eng, pp);
        return st;
    }
    gl_cuda_log(eng, GLINT_LOG_DEBUG,
                "CUDA: plan prepared: %d kernels (%d on tensor cores), arena %zu bytes, "
                "%zu constant bytes",
                pp->n_k, pp->n_wmma, pp->arena_bytes, pp->const_bytes);
    *prepared = pp;
    return GLINT_OK;
}
