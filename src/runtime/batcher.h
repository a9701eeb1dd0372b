/* The batcher's core, independent of how a batch is executed: a runner
 * supplies per-worker state (a glint_context for engines) and a function
 * that runs one stacked batch. glint_batcher_create (batcher_engine.c) wires
 * the runner to glint_context_create / glint_run; tests use runners of their
 * own to control timing exactly. */
#ifndef GL_BATCHER_H
#define GL_BATCHER_H

#include "common/common.h"
#include "runtime/telemetry.h"

/* Inputs and outputs per request at most (a request with more is refused). */
#define GL_BATCH_MAX_IO 16

typedef struct gl_batch_runner {
    /* Creates the execution state of one worker; called once per worker,
     * from glint_batcher_create's thread. */
    glint_status (*open)(void *user, void **state, gl_err *err);
    /* Frees it; called from glint_batcher_free's thread. May be NULL. */
    void (*close)(void *user, void *state);
    /* Runs one batch: inputs stacked along dim 0, outputs as for glint_run
     * (name, data, bytes set; dtype, rank, dims to be written). Called from
     * the worker's thread only. */
    glint_status (*run)(void *user, void *state, const glint_tensor *inputs, size_t n_inputs,
                        glint_tensor *outputs, size_t n_outputs, gl_err *err);
    /* May requests be stacked along dim 0 now? False for a model whose plan
     * depends on input values (stacking would change those values): each
     * request then runs alone. Called under the batcher's lock. May be NULL
     * (always). */
    bool (*stackable)(void *user);
    /* Allocate and free the buffers batches are stacked in (an engine's
     * glint_host_alloc, which a CUDA run copies by DMA). Both or neither;
     * NULL: the batcher's allocator. Called from worker threads and from
     * glint_batcher_free's. */
    void *(*buf_alloc)(void *user, size_t bytes);
    void (*buf_free)(void *user, void *ptr);
    void *user;
} gl_batch_runner;

/* tm may be NULL; a NULL allocator means libc. The runner struct is copied. */
glint_status gl_batcher_create_with_runner(const gl_batch_runner *runner,
                                           const glint_batcher_options *options,
                                           const glint_allocator *alloc, gl_telemetry *tm,
                                           glint_batcher **out, gl_err *err);

#endif
