/* A plan is the graph specialised to one set of concrete input shapes (a
 * bucket): every shape known, everything computable from constants and shapes
 * already computed (so shape arithmetic never runs per inference), pointwise
 * tails fused into convolutions, and every runtime tensor given an offset in
 * one scratch arena from its lifetime. Plans are backend-independent; a
 * backend prepares a plan for execution (src/backend/backend.h). */
#ifndef GL_PLAN_H
#define GL_PLAN_H

#include "common/common.h"
#include "model/graph.h"
#include "ops/op.h"

#define GL_ARENA_ALIGN 64

typedef struct gl_plan_tensor {
    int value;              /* graph value index, or -1 for a plan-made tensor */
    gl_dtype dtype;
    gl_shape shape;
    size_t bytes;
    bool is_const;          /* known at plan time: data is set, no arena space */
    const void *data;       /* is_const: host data owned by the graph or plan */
    size_t offset;          /* !is_const: byte offset in the context's arena */
    int first_step;         /* step that writes it (-1 for graph inputs) */
    int last_step;          /* last step that reads it (n_steps for outputs) */
} gl_plan_tensor;

typedef struct gl_plan_step {
    const gl_op *op;
    const void *params;     /* owned by the graph, or by the plan for fused steps */
    int node;               /* originating graph node (the conv of a fused step) */
    int *inputs;            /* plan tensor ids; -1 for an omitted optional input */
    int n_inputs;
    int *outputs;
    int n_outputs;
    size_t workspace_offset; /* reference-kernel scratch in the arena */
    size_t workspace_bytes;
    int64_t flops;
} gl_plan_step;

typedef struct gl_plan {
    const gl_graph *graph;
    const glint_allocator *alloc;
    glint_precision precision;
    gl_shape *input_shapes; /* per graph input, the key of this plan */
    gl_plan_tensor *tensors;
    int n_tensors;
    gl_plan_step *steps;
    int n_steps;
    int *inputs;            /* per graph input: plan tensor id */
    int *outputs;           /* per graph output: plan tensor id */
    size_t arena_bytes;
    int64_t flops;
    double plan_ms;
    /* INT8: the calibration gl_quant_rewrite_plan rewrote this plan with,
     * so that a backend planning the graph again at another batch (the CPU's
     * sample chunks) rewrites it the same way. Not owned; NULL otherwise. */
    const struct gl_calib *calib;
    void *owned;            /* plan-owned allocations (private to plan.c) */
} gl_plan;

/* Builds the plan for concrete input shapes (one per graph input, in graph
 * order). Failures name the node: "node 4 'Reshape_3' (Reshape): ...". */
glint_status gl_plan_build(const gl_graph *g, const gl_shape *input_shapes,
                           glint_precision precision, gl_plan **out, gl_err *err);
/* The same, with the values of some graph inputs known (input_values[i]
 * non-NULL, of input_shapes[i]'s size): those become constants of the plan
 * (copied), so whatever is computed from them is evaluated when planning,
 * and the plan holds only for those values. When planning fails because an
 * operator needed a value computed from graph inputs whose values were not
 * given, err->need_inputs has a bit set for each of them (input i: bit i). */
glint_status gl_plan_build_values(const gl_graph *g, const gl_shape *input_shapes,
                                  const void *const *input_values, glint_precision precision,
                                  gl_plan **out, gl_err *err);
void gl_plan_free(gl_plan *p);

/* Tensor views for a step given the arena base (runtime tensors) — used by
 * backends that execute plan steps on the host. */
void gl_plan_step_views(const gl_plan *p, const gl_plan_step *s, uint8_t *arena, gl_tensor *in,
                        gl_tensor *out);

/* ---------------------------------------------------------- memory plan
 * Offsets for blocks with lifetimes [first, last] (inclusive step indices):
 * two blocks share bytes only if their lifetimes do not overlap. Greedy
 * best-fit, largest first; deterministic. Returns the arena size. */
typedef struct gl_mem_block {
    size_t bytes;
    int first, last;
    size_t offset;          /* out */
} gl_mem_block;
glint_status gl_memplan(gl_mem_block *blocks, int n, size_t align, const glint_allocator *a,
                        size_t *arena_bytes, gl_err *err);

#endif
