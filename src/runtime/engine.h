/* Engine and context internals, shared by the runtime's files (and by the
 * batcher and telemetry, which reach the engine through these). */
#ifndef GL_ENGINE_H
#define GL_ENGINE_H

#include <pthread.h>

#include "backend/backend.h"
#include "common/common.h"
#include "model/graph.h"
#include "plan/plan.h"

struct gl_telemetry;
struct gl_calib;

/* One planned input-shape class: the plan and the backend's prepared form. */
typedef struct gl_plan_entry {
    gl_plan *plan;
    void *prepared;
    glint_bucket bucket;        /* batch/height/width of the first image input */
} gl_plan_entry;

typedef struct gl_op_use {
    const char *op_type;        /* owned by the engine */
    size_t count;
} gl_op_use;

struct glint_engine {
    glint_allocator alloc;      /* copy of the user's, or libc */
    glint_engine_options options;
    gl_graph *graph;
    const gl_backend *backend;
    void *backend_state;
    gl_backend_config backend_config;

    pthread_mutex_t plans_lock; /* guards plans: the only lock outside the batcher */
    gl_plan_entry **plans;
    int n_plans, plans_cap;
    /* Graph inputs whose values the plans need (a shape or axes given as
     * an input): bit i for input i, found when planning; guarded by
     * plans_lock. Plans are then made per value, at the first run. */
    uint64_t value_inputs;

    glint_io_info *input_info, *output_info;
    gl_op_use *op_uses;         /* distinct op types of the model as loaded */
    size_t n_op_uses;
    int64_t parameter_count;
    size_t node_count_loaded;
    struct gl_telemetry *telemetry;
    bool cpu_fallback;          /* device auto wanted CUDA, got the CPU */
    struct gl_calib *calib;     /* int8: activation scales and per-layer choice */
};

struct glint_context {
    glint_engine *engine;
    void *backend_ctx;
    gl_plan_entry **bound;      /* plans bound to this context, most recent first */
    int n_bound, bound_cap;
    const void **input_ptrs;    /* per graph input, reused every run */
    void **output_ptrs;         /* per graph output */
    gl_shape *shapes;           /* scratch: request input shapes */
    void **spare_outputs;       /* buffers for outputs the caller did not ask for */
    size_t *spare_bytes;
    gl_err err;
};

/* Logs through the user's callback when level passes the filter. */
void gl_log(const glint_engine *e, glint_log_level level, const char *fmt, ...) GL_PRINTF(3, 4);

/* The plan entry for these input shapes (and, for the inputs whose values
 * the model needs when planning, these values; values may be NULL when they
 * are not known yet), building and preparing it on first use. *out is NULL
 * (and the status GLINT_OK) when the plan needs input values that were not
 * given: it is made at the first run. Thread-safe (takes plans_lock). */
glint_status gl_engine_get_plan(glint_engine *e, const gl_shape *shapes,
                                const void *const *values, gl_plan_entry **out, gl_err *err);

/* Is p the plan for these input shapes and values? (Its constant inputs
 * are the values it was planned for.) */
bool gl_engine_plan_matches(const gl_plan *p, int n_inputs, const gl_shape *shapes,
                            const void *const *values);

/* Input shapes for a bucket: batch fills dim 0 of every input whose dim 0 is
 * dynamic; height and width fill the last two dynamic dims of inputs of rank
 * ≥ 3. Any other dynamic dim is an error. */
glint_status gl_engine_bucket_shapes(const glint_engine *e, glint_bucket b, gl_shape *shapes,
                                     gl_err *err);

struct gl_telemetry *gl_engine_telemetry(glint_engine *e);

#endif
