/* The backend interface. A backend runs prepared plans on one kind of device.
 * Lifetimes nest: engine state (weights) > prepared plan (per bucket:
 * kernel choice, device program) > context state (per thread: arena, stream,
 * staging, captured graphs) bound to prepared plans.
 *
 * Every slot returns a status and fills err; none may abort. Slots marked
 * optional may be NULL. */
#ifndef GL_BACKEND_H
#define GL_BACKEND_H

#include "common/common.h"
#include "plan/plan.h"

typedef struct gl_backend_config {
    const glint_allocator *alloc;
    glint_precision precision;
    int threads;                      /* CPU threads per context, ≥ 1 */
    int cuda_device;
    size_t device_memory_limit_bytes; /* 0 = none */
    uint32_t flags;                   /* GLINT_FLAG_* */
    glint_log_fn log;
    void *log_user;
    glint_log_level log_level;
} gl_backend_config;

typedef struct gl_backend {
    const char *name;                 /* "cpu", "cuda" */
    glint_device device;
    /* INT8 plans: a QConv whose output only feeds QConvs writes int8 codes
     * for them (the CPU), or every QConv writes float and the next one
     * quantises its input as it loads it (CUDA: that keeps the folded
     * upsample and concat of a conv's input, and costs no extra kernel). */
    bool int8_requantize;

    /* Is the device usable here? (driver present, a GPU visible). Fills err
     * with the reason when not. Required. */
    bool (*available)(const gl_backend_config *cfg, gl_err *err);

    /* Engine-wide state, e.g. weights uploaded once and shared by contexts.
     * Rejects a precision it cannot run with GLINT_ERR_UNSUPPORTED. Required. */
    glint_status (*engine_init)(const gl_backend_config *cfg, const gl_graph *g, void **state,
                                gl_err *err);
    void (*engine_free)(void *state);

    /* Prepares one plan: kernel choice, weight conversion, extra arena.
     * Immutable afterwards and shared by contexts. Required. */
    glint_status (*plan_prepare)(void *state, const gl_plan *plan, void **prepared, gl_err *err);
    void (*plan_release)(void *state, void *prepared);

    /* Per-thread execution state. Required. */
    glint_status (*context_create)(void *state, void **ctx, gl_err *err);
    void (*context_free)(void *ctx);

    /* Makes ctx ready to run prepared (arena grown, graph captured, warmed).
     * Called once per (context, plan), before its first run; may allocate.
     * Required. */
    glint_status (*context_bind)(void *ctx, const void *prepared, gl_err *err);

    /* Runs a bound plan: inputs[i] is host memory holding graph input i with
     * the plan's shape, outputs[i] host memory for graph output i. Allocates
     * nothing. Required. */
    glint_status (*run)(void *ctx, const void *prepared, const void *const *inputs,
                        void *const *outputs, gl_err *err);

    /* Device memory owned by the engine state and all its contexts.
     * Optional (host backends leave it NULL). */
    void (*memory)(void *state, glint_memory_info *info);

    /* Host memory for run inputs and outputs (glint_host_alloc) that the
     * device copies from and to directly: page-locked on CUDA. bytes > 0;
     * on failure *ptr is NULL and err says why. host_free takes what
     * host_alloc returned (never NULL). Optional, both or neither: host
     * backends leave them NULL and the runtime hands out 64-byte-aligned
     * memory from the engine's allocator. */
    glint_status (*host_alloc)(void *state, size_t bytes, void **ptr, gl_err *err);
    void (*host_free)(void *state, void *ptr);
} gl_backend;

extern const gl_backend gl_backend_cpu;
/* NULL when glint was built without CUDA. */
const gl_backend *gl_backend_cuda(void);

#endif
