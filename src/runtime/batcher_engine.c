/* glint_batcher_create: the batcher core driven by engine contexts, one
 * glint_context per worker, each batch run with glint_run. */
#include <stdio.h>

#include "runtime/batcher.h"
#include "runtime/engine.h"

static glint_status ctx_open(void *user, void **state, gl_err *err) {
    glint_context *ctx = NULL;
    char msg[GL_ERR_MAX];
    msg[0] = '\0';
    glint_status st = glint_context_create(user, &ctx, msg, sizeof msg);
    if (st != GLINT_OK) return gl_fail(err, st, "%s", msg[0] ? msg : glint_status_str(st));
    *state = ctx;
    return GLINT_OK;
}

static void ctx_close(void *user, void *state) { glint_context_free(state); }

static glint_status ctx_run(void *user, void *state, const glint_tensor *in, size_t n_in,
                            glint_tensor *out, size_t n_out, gl_err *err) {
    glint_status st = glint_run(state, in, n_in, out, n_out);
    if (st != GLINT_OK) return gl_fail(err, st, "%s", glint_context_last_error(state));
    return GLINT_OK;
}

/* Batches are stacked in the engine's run buffers (page-locked on CUDA). */
static void *engine_buf_alloc(void *user, size_t bytes) {
    void *p = NULL;
    return glint_host_alloc(user, bytes, &p) == GLINT_OK ? p : NULL;
}

static void engine_buf_free(void *user, void *ptr) { glint_host_free(user, ptr); }

/* Requests stack unless an input's value selects the plan (a shape given
 * as an input: stacking two requests would make it another value). */
static bool engine_stackable(void *user) {
    const glint_engine *e = user;
    for (size_t i = 0; i < glint_engine_input_count(e); i++) {
        glint_io_info io;
        if (glint_engine_input_info(e, i, &io) == GLINT_OK && io.value_selects_plan) return false;
    }
    return true;
}

glint_status glint_batcher_create(glint_engine *engine, const glint_batcher_options *options,
                                  glint_batcher **batcher, char *error, size_t error_size) {
    gl_err err;
    gl_err_clear(&err);
    if (batcher) *batcher = NULL;
    if (!engine || !batcher) {
        gl_fail(&err, GLINT_ERR_INVALID_ARGUMENT, "glint_batcher_create: engine or batcher is NULL");
        gl_err_copy_out(&err, error, error_size);
        return err.status;
    }
    gl_batch_runner r = {.open = ctx_open, .close = ctx_close, .run = ctx_run,
                         .stackable = engine_stackable, .buf_alloc = engine_buf_alloc,
                         .buf_free = engine_buf_free, .user = engine};
    gl_telemetry *tm = gl_engine_telemetry(engine);
    /* the batcher's own few allocations (tickets, queues) use libc; the
     * stacked batches use the engine's run buffers */
    glint_status st = gl_batcher_create_with_runner(&r, options, NULL, tm, batcher, &err);
    if (st != GLINT_OK) gl_err_copy_out(&err, error, error_size);
    return st;
}
