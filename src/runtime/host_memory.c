/* glint_host_alloc / glint_host_free: host buffers for glint_run's inputs
 * and outputs. A backend whose device reads and writes host memory by DMA
 * (CUDA) hands out memory it can reach directly; elsewhere they are
 * ordinary aligned blocks from the engine's allocator. */
#include "runtime/engine.h"

#define GL_HOST_ALIGN 64

glint_status glint_host_alloc(glint_engine *e, size_t bytes, void **ptr) {
    if (ptr) *ptr = NULL;
    if (!e || !ptr) return GLINT_ERR_INVALID_ARGUMENT;
    const size_t n = bytes ? bytes : 1; /* a pointer to free, as malloc(0) may give */
    gl_err err = {0};
    glint_status st = GLINT_OK;
    if (e->backend->host_alloc) {
        st = e->backend->host_alloc(e->backend_state, n, ptr, &err);
    } else if (!(*ptr = gl_aligned_alloc(&e->alloc, n, GL_HOST_ALIGN))) {
        st = gl_fail(&err, GLINT_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    /* The engine is shared between threads and keeps no last error: the
     * message goes to its log. */
    if (st != GLINT_OK) gl_log(e, GLINT_LOG_ERROR, "glint_host_alloc(%zu bytes): %s", bytes, err.msg);
    return st;
}

void glint_host_free(glint_engine *e, void *ptr) {
    if (!e || !ptr) return;
    if (e->backend->host_free) e->backend->host_free(e->backend_state, ptr);
    else gl_aligned_free(&e->alloc, ptr);
}
