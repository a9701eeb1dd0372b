/* Chunked runs of a batched plan (batch_split.h): each chunk's slice of
 * the inputs is copied into a slot of the arena, the chunk plan runs there,
 * and its slice of the outputs is copied out. With several threads each
 * runs whole chunks inline (no fork-join per layer). */
#include <string.h>

#include "backend/cpu/cpu_internal.h"

typedef struct chunk_job {
    cpu_ctx *c;
    const cpu_prepared *pp;  /* the whole-batch plan; pp->chunked runs */
    const void *const *inputs;
    void *const *outputs;
    gl_pool *step_pool;      /* NULL when the chunks themselves are spread over threads */
} chunk_job;

/* Chunk k on thread tid's slot: its slice of the inputs in, the chunk plan
 * run, its slice of the outputs out. */
static glint_status run_chunk(const chunk_job *j, int64_t k, int tid, gl_err *err) {
    cpu_ctx *c = j->c;
    const cpu_prepared *sp = j->pp->chunked;
    const gl_plan *p = sp->plan;
    const gl_graph *g = p->graph;
    step_env e = {c->arena + (size_t)tid * j->pp->slot_bytes,
                  c->views + (size_t)tid * (size_t)step_views(sp), j->step_pool,
                  j->step_pool ? c->scratch : c->scratch + (size_t)tid * c->scratch_stride,
                  c->scratch_stride};
    /* gl_cpu_plan_batch checked that every input and output is a runtime
     * tensor whose bytes are one chunk's share of the user's buffer */
    for (int i = 0; i < g->n_inputs; i++) {
        const gl_plan_tensor *t = &p->tensors[p->inputs[i]];
        memcpy(e.arena + t->offset, (const uint8_t *)j->inputs[i] + (size_t)k * t->bytes, t->bytes);
    }
    for (int i = 0; i < p->n_steps; i++) {
        glint_status st = gl_cpu_run_step_in(&e, sp, i, err);
        if (st != GLINT_OK) return st;
    }
    for (int i = 0; i < g->n_outputs; i++) {
        const gl_plan_tensor *t = &p->tensors[p->outputs[i]];
        memcpy((uint8_t *)j->outputs[i] + (size_t)k * t->bytes, e.arena + t->offset, t->bytes);
    }
    return GLINT_OK;
}

static void chunk_task(void *arg, int64_t begin, int64_t end, int tid) {
    const chunk_job *j = arg;
    gl_err *err = &j->c->errs[tid];
    for (int64_t k = begin; k < end && err->status == GLINT_OK; k++) run_chunk(j, k, tid, err);
}

glint_status gl_cpu_run_chunked(cpu_ctx *c, const cpu_prepared *pp, const void *const *inputs,
                                void *const *outputs, gl_err *err) {
    const int threads = gl_pool_threads(c->pool);
    chunk_job j = {c, pp, inputs, outputs, NULL};
    for (int t = 0; t < threads; t++) gl_err_clear(&c->errs[t]);
    if (threads > 1 && pp->nchunks >= threads) {
        /* each thread runs whole chunks: no fork-join per layer */
        gl_pool_for(c->pool, pp->nchunks, chunk_task, &j);
    } else {
        j.step_pool = c->pool;
        chunk_task(&j, 0, pp->nchunks, 0);
    }
    for (int t = 0; t < threads; t++)
        if (c->errs[t].status != GLINT_OK) {
            *err = c->errs[t];
            return err->status;
        }
    return GLINT_OK;
}
