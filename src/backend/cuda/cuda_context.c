/* Contexts of the CUDA backend: one stream, one device arena (sized for the
 * largest bound plan), pinned staging, and per bound plan a CUDA graph of
 * its kernels, the first of which read the inputs from host memory and the
 * last write the outputs to it (gk_host_io). The run path copies into
 * pinned staging, replays the graph, waits, and copies out; it allocates
 * nothing. A caller's buffer that is page-locked itself (glint_host_alloc,
 * cudaHostAlloc, cudaHostRegister) skips staging: the graph's host I/O
 * kernel of that tensor is pointed at it, and only when the pointer
 * differs from the last run's does that cost an update.
 * GLINT_CUDA_NO_GRAPH=1 launches kernel by kernel instead (the same kernels
 * in the same order, for comparison). */
#include <stdio.h>
#include <string.h>

#include "backend/cuda/cuda_internal.h"

const char *gl_cuda_kind_name(gk_kind k) {
    static const char *n[] = {"copy", "host_in", "host_out", "conv", "conv_wmma", "conv_tile",
                              "conv_transpose",
                              "unary", "binary", "resize", "concat", "gather", "gemm",
                              "global_avg_pool", "norm", "pad", "batchnorm", "gemm_group",
                              "conv_mma", "conv_imma"};
    return (unsigned)k < GL_ARRAY_LEN(n) ? n[k] : "?";
}

/* Copy k of a run is input k for k < n_in, else output k - n_in. */
static const gl_cuda_io *io_of(const gl_cuda_prepared *pp, int k) {
    return k < pp->n_in ? &pp->in[k] : &pp->out[k - pp->n_in];
}

/* The staging end of copy k, and the device's address of it. */
static void *staging(const gl_cuda_ctx *c, const gl_cuda_prepared *pp, int k) {
    return k < pp->n_in ? c->stage_in + pp->in[k].stage_offset
                        : c->stage_out + pp->out[k - pp->n_in].stage_offset;
}
static void *staging_dev(const gl_cuda_ctx *c, const gl_cuda_prepared *pp, int k) {
    return k < pp->n_in ? c->stage_in_dev + pp->in[k].stage_offset
                        : c->stage_out_dev + pp->out[k - pp->n_in].stage_offset;
}

/* The copy of item i of a host I/O descriptor. */
static int copy_index(const gl_cuda_prepared *pp, const gk_desc *d, int i) {
    return d->kind == GK_HOST_IN ? d->u.host.io[i] : pp->n_in + d->u.host.io[i];
}

void gl_cuda_desc_ptrs(gl_cuda_ctx *c, const gl_cuda_prepared *pp, const gk_desc *d,
                       const gl_cuda_copy *copy) {
    for (int a = 0; a < GK_MAX_ARGS; a++)
        c->ptr_scratch[a] = a < d->n_args ? gl_cuda_ptr(pp, d->args[a], c->arena) : NULL;
    if (d->kind == GK_HOST_IN || d->kind == GK_HOST_OUT)
        for (int i = 0; i < d->u.host.count; i++) {
            const int k = copy_index(pp, d, i);
            c->ptr_scratch[2 * i + (d->kind == GK_HOST_IN ? 0 : 1)] =
                copy ? copy[k].dev : staging_dev(c, pp, k);
        }
}

/* Enqueues one whole run of pp on the context's stream. The host end of
 * copy k is copy[k].dev, or staging when copy is NULL. */
static glint_status enqueue(gl_cuda_ctx *c, const gl_cuda_prepared *pp, const gl_cuda_copy *copy,
                            gl_err *err) {
    gl_cuda_engine *eng = c->eng;
    for (int j = 0; j < pp->n_k; j++) {
        const gk_desc *d = &pp->k[j];
        gl_cuda_desc_ptrs(c, pp, d, copy);
        cudaError_t e = (cudaError_t)gk_launch(d, c->ptr_scratch, eng->store, c->stream);
        if (e) {
            char what[256], label[160] = "staging";
            if (d->node >= 0) gl_node_label(pp->plan->graph, d->node, label, sizeof label);
            snprintf(what, sizeof what, "launching %s kernel %d for %s", gl_cuda_kind_name(d->kind), j,
                     label);
            return gl_cuda_check(eng, e, err, what);
        }
    }
    return GLINT_OK;
}

static glint_status sync_stream(gl_cuda_ctx *c, gl_err *err) {
    return gl_cuda_check(c->eng, cudaStreamSynchronize(c->stream), err, "cudaStreamSynchronize");
}

/* Destroys b's executable graph and the graph it was made from (both
 * died with the device's state after a reset). */
static void destroy_exec(gl_cuda_ctx *c, gl_cuda_binding *b) {
    if (c->reset_epoch == gl_cuda_epoch(c->eng)) {
        if (b->exec) (void)cudaGraphExecDestroy(b->exec);
        if (b->graph) (void)cudaGraphDestroy(b->graph);
    }
    b->exec = NULL;
    b->graph = NULL;
}

/* Finds the host I/O kernel nodes of b's freshly captured graph, and the
 * node and item of each copy by its host end, the staging address it was
 * captured with. A copy whose node is not found (or whose query fails)
 * keeps node -1 and always goes through staging. */
static void find_copy_nodes(gl_cuda_ctx *c, gl_cuda_binding *b) {
    const gl_cuda_prepared *pp = b->pp;
    const int n_io = pp->n_in + pp->n_out;
    int wanted = 0, found = 0;
    for (int k = 0; k < n_io; k++) { /* (the host ends are the run's: choose_hosts) */
        b->copy[k].node = b->copy[k].item = -1;
        wanted += io_of(pp, k)->host_bytes ? 1 : 0;
    }
    b->n_nodes = 0;
    size_t n = 0;
    cudaGraphNode_t *nodes = NULL;
    if (cudaGraphGetNodes(b->graph, NULL, &n) == cudaSuccess && n)
        nodes = gl_calloc(c->eng->alloc, n, sizeof *nodes);
    if (nodes && cudaGraphGetNodes(b->graph, nodes, &n) != cudaSuccess) n = 0;
    for (size_t i = 0; nodes && i < n && b->n_nodes < n_io; i++) {
        enum cudaGraphNodeType type;
        gl_cuda_host_node h = {.node = nodes[i]};
        if (cudaGraphNodeGetType(nodes[i], &type) != cudaSuccess ||
            type != cudaGraphNodeTypeKernel ||
            cudaGraphKernelNodeGetParams(nodes[i], &h.params) != cudaSuccess ||
            h.params.func != gk_host_copy_kernel() || !h.params.kernelParams)
            continue;
        memcpy(&h.args, h.params.kernelParams[0], sizeof h.args);
        h.params.kernelParams = NULL;
        h.params.extra = NULL;
        bool used = false;
        for (int it = 0; it < h.args.count && it < GK_HOST_MAX; it++)
            for (int k = 0; k < n_io; k++) {
                const gk_host_item *p = &h.args.item[it];
                gl_cuda_copy *cp = &b->copy[k];
                if (io_of(pp, k)->host_bytes && cp->node < 0 &&
                    (k < pp->n_in ? p->src : p->dst) == staging_dev(c, pp, k)) {
                    cp->node = b->n_nodes;
                    cp->item = it;
                    used = true;
                    found++;
                    break;
                }
            }
        if (used) b->nodes[b->n_nodes++] = h;
    }
    gl_free(c->eng->alloc, nodes);
    (void)cudaGetLastError(); /* a failed query is not left for a later check to find */
    if (found < wanted)
        gl_cuda_log(c->eng, GLINT_LOG_INFO,
                    "CUDA: graph copy nodes: %d of %d not found; those tensors always go through "
                    "staging",
                    wanted - found, wanted);
}

/* Captures the graph of binding b and replays it once (warm-up). */
static glint_status capture(gl_cuda_ctx *c, gl_cuda_binding *b, gl_err *err) {
    gl_cuda_engine *eng = c->eng;
    destroy_exec(c, b);
    if (!c->use_graph) { /* warm up kernel by kernel */
        glint_status st = enqueue(c, b->pp, NULL, err);
        return st ? st : sync_stream(c, err);
    }
    /* Thread-local mode: other threads may allocate while this one captures. */
    glint_status st = gl_cuda_check(
        eng, cudaStreamBeginCapture(c->stream, cudaStreamCaptureModeThreadLocal), err,
        "cudaStreamBeginCapture");
    if (st) return st;
    glint_status est = enqueue(c, b->pp, NULL, err);
    cudaGraph_t graph = NULL;
    cudaError_t e = cudaStreamEndCapture(c->stream, &graph);
    if (est) {
        if (graph) (void)cudaGraphDestroy(graph);
        (void)cudaGetLastError();
        return est;
    }
    st = gl_cuda_check(eng, e, err, "cudaStreamEndCapture");
    if (!st) st = gl_cuda_check(eng, cudaGraphInstantiate(&b->exec, graph, 0), err,
                                "cudaGraphInstantiate");
    if (st) {
        if (graph) (void)cudaGraphDestroy(graph);
        b->exec = NULL;
        return st;
    }
    b->graph = graph;
    find_copy_nodes(c, b);
    st = gl_cuda_check(eng, cudaGraphLaunch(b->exec, c->stream), err, "cudaGraphLaunch (warm-up)");
    return st ? st : sync_stream(c, err);
}

static void free_buffers(gl_cuda_ctx *c) {
    gl_cuda_free(c->eng, GL_CUDA_MEM_ARENA, c->arena, c->arena_bytes, c->reset_epoch);
    gl_cuda_host_free(c->eng, c->stage_in, c->stage_in_bytes, c->reset_epoch);
    gl_cuda_host_free(c->eng, c->stage_out, c->stage_out_bytes, c->reset_epoch);
    c->arena = NULL;
    c->stage_in = c->stage_out = c->stage_in_dev = c->stage_out_dev = NULL;
    c->arena_bytes = c->stage_in_bytes = c->stage_out_bytes = 0;
}

/* Grows the arena and staging to at least na / ni / no bytes. New buffers
 * are allocated before the old ones are released, so a failure leaves the
 * context as it was; after a growth every bound graph is captured again
 * (they hold the old pointers). Callers pass sizes that cover every bound
 * plan: each capture replays its graph once, which must fit. */
static glint_status ensure_capacity(gl_cuda_ctx *c, size_t na, size_t ni, size_t no,
                                    gl_err *err) {
    na = GL_MAX(c->arena_bytes, na);
    ni = GL_MAX(c->stage_in_bytes, ni);
    no = GL_MAX(c->stage_out_bytes, no);
    if (c->arena && na == c->arena_bytes && ni == c->stage_in_bytes && no == c->stage_out_bytes)
        return GLINT_OK;
    void *arena = NULL, *sin = NULL, *sout = NULL, *sin_dev = NULL, *sout_dev = NULL;
    glint_status st = gl_cuda_malloc(c->eng, GL_CUDA_MEM_ARENA, na, "context arena", &arena, err);
    if (!st) st = gl_cuda_host_alloc(c->eng, ni, "pinned input staging", &sin, &sin_dev, err);
    if (!st) st = gl_cuda_host_alloc(c->eng, no, "pinned output staging", &sout, &sout_dev, err);
    if (st) {
        int ep = gl_cuda_epoch(c->eng);
        gl_cuda_free(c->eng, GL_CUDA_MEM_ARENA, arena, na, ep);
        gl_cuda_host_free(c->eng, sin, ni, ep);
        gl_cuda_host_free(c->eng, sout, no, ep);
        return st;
    }
    /* gl_cuda_host_alloc rounds 0 up to GL_CUDA_ALIGN; clear what exists. */
    memset(sin, 0, ni ? ni : GL_CUDA_ALIGN);
    memset(sout, 0, no ? no : GL_CUDA_ALIGN);
    if (c->arena) (void)cudaStreamSynchronize(c->stream);
    for (int i = 0; i < c->n_b; i++) destroy_exec(c, &c->b[i]);
    free_buffers(c);
    c->arena = arena;
    c->arena_bytes = na;
    c->stage_in = sin;
    c->stage_in_dev = sin_dev;
    c->stage_in_bytes = ni;
    c->stage_out = sout;
    c->stage_out_dev = sout_dev;
    c->stage_out_bytes = no;
    c->reset_epoch = gl_cuda_epoch(c->eng);
    /* Zeroed so that warm-up runs read numbers, not stale NaNs. */
    st = gl_cuda_check(c->eng, cudaMemsetAsync(arena, 0, na ? na : GL_CUDA_ALIGN, c->stream), err,
                       "cudaMemsetAsync(arena)");
    for (int i = 0; !st && i < c->n_b; i++) st = capture(c, &c->b[i], err);
    return st;
}

glint_status gl_cuda_context_create(void *state, void **out, gl_err *err) {
    gl_cuda_engine *eng = state;
    *out = NULL;
    gl_cuda_ctx *c = gl_calloc(eng->alloc, 1, sizeof *c);
    if (!c) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "CUDA: context");
    c->eng = eng;
    c->use_graph = !gl_cuda_env_flag("GLINT_CUDA_NO_GRAPH");
    c->generation = atomic_load(&eng->generation);
    c->reset_epoch = gl_cuda_epoch(eng);
    glint_status st = gl_cuda_check(eng, cudaSetDevice(eng->device), err, "cudaSetDevice");
    if (!st) st = gl_cuda_check(eng, cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking),
                                err, "cudaStreamCreateWithFlags");
    if (st) {
        gl_free(eng->alloc, c);
        return st;
    }
    *out = c;
    return GLINT_OK;
}

void gl_cuda_context_free(void *ctx) {
    gl_cuda_ctx *c = ctx;
    if (!c) return;
    (void)cudaSetDevice(c->eng->device);
    bool alive = c->reset_epoch == gl_cuda_epoch(c->eng);
    if (alive && c->stream) (void)cudaStreamSynchronize(c->stream);
    for (int i = 0; i < c->n_b; i++) {
        destroy_exec(c, &c->b[i]);
        gl_free(c->eng->alloc, c->b[i].copy);
        gl_free(c->eng->alloc, c->b[i].nodes);
    }
    free_buffers(c);
    if (alive && c->stream) (void)cudaStreamDestroy(c->stream);
    (void)cudaGetLastError();
    gl_free(c->eng->alloc, c->b);
    gl_free(c->eng->alloc, c);
}

static gl_cuda_binding *find_binding(gl_cuda_ctx *c, const gl_cuda_prepared *pp) {
    for (int i = 0; i < c->n_b; i++)
        if (c->b[i].pp == pp) return &c->b[i];
    return NULL;
}

glint_status gl_cuda_context_bind(void *ctx, const void *prepared, gl_err *err) {
    gl_cuda_ctx *c = ctx;
    const gl_cuda_prepared *pp = prepared;
    glint_status st = gl_cuda_check(c->eng, cudaSetDevice(c->eng->device), err, "cudaSetDevice");
    if (st) return st;
    if (find_binding(c, pp)) return GLINT_OK;
    if (c->n_b == c->cap_b) {
        int cap = c->cap_b ? c->cap_b * 2 : 8;
        gl_cuda_binding *b = gl_realloc_array(c->eng->alloc, c->b, (size_t)cap, sizeof *b);
        if (!b) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "CUDA: binding table");
        c->b = b;
        c->cap_b = cap;
    }
    /* Capacity first: on failure (out of memory) this plan is not bound and
     * the others keep working. */
    st = ensure_capacity(c, pp->arena_bytes, pp->stage_in_bytes, pp->stage_out_bytes, err);
    if (st) return gl_err_prefix(err, "binding plan");
    gl_cuda_binding *b = &c->b[c->n_b];
    *b = (gl_cuda_binding){.pp = pp};
    const size_t n_io = (size_t)(pp->n_in + pp->n_out) + 1;
    b->copy = gl_calloc(c->eng->alloc, n_io, sizeof *b->copy);
    b->nodes = gl_calloc(c->eng->alloc, n_io, sizeof *b->nodes);
    st = b->copy && b->nodes ? capture(c, b, err)
                             : gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "CUDA: binding copies");
    if (st) {
        destroy_exec(c, b);
        gl_free(c->eng->alloc, b->copy);
        gl_free(c->eng->alloc, b->nodes);
        return st;
    }
    c->n_b++;
    return GLINT_OK;
}

/* After a device loss: a fresh stream, arena, staging and graphs for every
 * bound plan, each warmed once. */
static glint_status rebuild(gl_cuda_ctx *c, gl_err *err) {
    gl_cuda_engine *eng = c->eng;
    /* No stream: an earlier rebuild failed to create one (a NULL stream
     * would mean the legacy default stream here). */
    bool alive = c->reset_epoch == gl_cuda_epoch(eng) && c->stream;
    if (alive) (void)cudaStreamSynchronize(c->stream);
    for (int i = 0; i < c->n_b; i++) destroy_exec(c, &c->b[i]);
    free_buffers(c);
    if (alive) (void)cudaStreamDestroy(c->stream);
    (void)cudaGetLastError();
    c->stream = NULL;
    c->reset_epoch = gl_cuda_epoch(eng);
    glint_status st = gl_cuda_check(eng, cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking),
                                    err, "cudaStreamCreateWithFlags");
    /* One allocation sized for every bound plan: growing plan by plan would
     * warm up a later plan's graph in an arena sized for an earlier one. */
    size_t na = 0, ni = 0, no = 0;
    for (int i = 0; i < c->n_b; i++) {
        na = GL_MAX(na, c->b[i].pp->arena_bytes);
        ni = GL_MAX(ni, c->b[i].pp->stage_in_bytes);
        no = GL_MAX(no, c->b[i].pp->stage_out_bytes);
    }
    if (!st && c->n_b > 0) st = ensure_capacity(c, na, ni, no, err);
    for (int i = 0; !st && c->use_graph && i < c->n_b; i++) /* ensure_capacity warmed the rest */
        if (!c->b[i].exec) st = capture(c, &c->b[i], err);
    if (!st) c->generation = atomic_load(&eng->generation);
    return st;
}

/* The device's address of host buffer p, or NULL where the device cannot
 * reach it: page-locked host memory registered with this device
 * (cudaHostAlloc, cudaHostRegister, glint_host_alloc) has one. A query of
 * ordinary memory may fail on older runtimes; its error is cleared. */
static void *device_address(const gl_cuda_ctx *c, const void *p) {
    struct cudaPointerAttributes a;
    if (cudaPointerGetAttributes(&a, p) != cudaSuccess) {
        (void)cudaGetLastError();
        return NULL;
    }
    return a.type == cudaMemoryTypeHost && a.device == c->eng->device ? a.devicePointer : NULL;
}

/* Points the graph's copy k at device address dev unless it is there
 * already. False when it cannot: no node, or the update failed (its error
 * cleared). */
static bool point_copy(gl_cuda_ctx *c, gl_cuda_binding *b, int k, void *dev) {
    gl_cuda_copy *cp = &b->copy[k];
    const bool in = k < b->pp->n_in;
    if (cp->node < 0) return dev == staging_dev(c, b->pp, k); /* the graph reads staging */
    gl_cuda_host_node *h = &b->nodes[cp->node];
    gk_host_copy args = h->args;
    gk_host_item *it = &args.item[cp->item];
    if ((in ? it->src : it->dst) == dev) return true;
    if (in) it->src = dev;
    else it->dst = dev;
    void *params[1] = {&args};
    struct cudaKernelNodeParams p = h->params;
    p.kernelParams = params;
    cudaError_t e = cudaGraphExecKernelNodeSetParams(b->exec, h->node, &p);
    if (e != cudaSuccess) {
        (void)cudaGetLastError();
        gl_cuda_log(c->eng, GLINT_LOG_DEBUG, "CUDA: graph copy of %s %d not updated: %s",
                    in ? "input" : "output", in ? k : k - b->pp->n_in, cudaGetErrorString(e));
        return false;
    }
    h->args = args;
    return true;
}

/* Sets each copy's host end for this run: the caller's buffer where the
 * device can address it (and, with graphs, the kernel node could be
 * pointed at it), else staging. Returns whether the graph may be launched:
 * false when a node still points at an earlier run's buffer because
 * pointing it back at staging failed; the run then goes kernel by kernel. */
static bool choose_hosts(gl_cuda_ctx *c, gl_cuda_binding *b, const void *const *inputs,
                         void *const *outputs) {
    const gl_cuda_prepared *pp = b->pp;
    bool graph = c->use_graph;
    for (int k = 0; k < pp->n_in + pp->n_out; k++) {
        gl_cuda_copy *cp = &b->copy[k];
        void *caller = k < pp->n_in ? (void *)inputs[k] : outputs[k - pp->n_in]; /* inputs: read only */
        cp->host = staging(c, pp, k);
        cp->dev = staging_dev(c, pp, k);
        if (!io_of(pp, k)->host_bytes) continue;
        void *dev = device_address(c, caller);
        if (dev && (!c->use_graph || point_copy(c, b, k, dev))) {
            cp->host = caller;
            cp->dev = dev;
        } else if (c->use_graph && !point_copy(c, b, k, cp->dev))
            graph = false;
    }
    return graph;
}

glint_status gl_cuda_run(void *ctx, const void *prepared, const void *const *inputs,
                         void *const *outputs, gl_err *err) {
    gl_cuda_ctx *c = ctx;
    gl_cuda_engine *eng = c->eng;
    const gl_cuda_prepared *pp = prepared;
    glint_status st = gl_cuda_check(eng, cudaSetDevice(eng->device), err, "cudaSetDevice");
    if (st) return st;
    if (atomic_load(&eng->lost)) {
        st = gl_cuda_engine_recover(eng, err);
        if (st) return st;
    }
    if (c->generation != atomic_load(&eng->generation) || !c->stream) {
        st = rebuild(c, err);
        if (st) return gl_err_prefix(err, "CUDA: rebuilding the context after a device loss");
    }
    if (atomic_exchange(&eng->inject_pending, 0)) {
        atomic_store(&eng->lost, 1);
        return gl_fail(err, GLINT_ERR_DEVICE,
                       "CUDA: device lost (injected by GLINT_FLAG_INJECT_DEVICE_LOSS); the device "
                       "state is rebuilt on the next call");
    }
    gl_cuda_binding *b = find_binding(c, pp);
    if (!b) return gl_fail(err, GLINT_ERR_INTERNAL, "CUDA: run of a plan not bound to this context");
    if (c->use_graph && !b->exec) { /* a capture failed earlier (e.g. while rebuilding) */
        st = capture(c, b, err);
        if (st) return st;
    }
    const bool graph = choose_hosts(c, b, inputs, outputs);
    for (int i = 0; i < pp->n_in; i++)
        if (b->copy[i].host != inputs[i])
            memcpy(b->copy[i].host, inputs[i], pp->in[i].host_bytes);
    if (graph) st = gl_cuda_check(eng, cudaGraphLaunch(b->exec, c->stream), err, "cudaGraphLaunch");
    else st = enqueue(c, pp, b->copy, err);
    if (!st) st = sync_stream(c, err);
    if (st) return st;
    /* Outputs whose copy wrote the caller's buffer directly are done. */
    for (int i = 0; i < pp->n_out; i++) {
        const gl_cuda_copy *cp = &b->copy[pp->n_in + i];
        if (cp->host != outputs[i]) memcpy(outputs[i], cp->host, pp->out[i].host_bytes);
    }
    return GLINT_OK;
}
