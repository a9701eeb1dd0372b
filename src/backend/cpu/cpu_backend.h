/* CPU backend introspection for tests and tools (the vtable itself is
 * gl_backend_cpu in backend/backend.h). */
#ifndef GL_CPU_BACKEND_H
#define GL_CPU_BACKEND_H

#include "backend/backend.h"

/* Steps of a prepared plan that run a fast kernel instead of the reference
 * (conv, fused conv, Gemm, MatMul, nearest 2x resize). */
int gl_cpu_fast_step_count(const void *prepared);
/* Distinct packed weight tensors held by an engine state (shared by plans). */
int gl_cpu_packed_weight_count(void *state);
/* The SGEMM kernel name the state uses ("avx512", ...), or "ref". */
const char *gl_cpu_kernel_name(void *state);

/* Runs step i of a bound plan on ctx (what run does for each step), for
 * per-step profiling (bench/cpu/cpu_profile.c). Graph inputs must already
 * be in the arena. */
glint_status gl_cpu_run_step(void *ctx, const void *prepared, int i, gl_err *err);
/* A batched plan the backend runs in sample chunks (batch_split.h): the
 * prepared chunk plan and its chunk size, or NULL (chunk 0) when the plan
 * runs whole. Its steps can be profiled with gl_cpu_run_step once a run
 * has put chunk 0's inputs in the arena. */
const void *gl_cpu_chunk_prepared(const void *prepared, int64_t *chunk);
/* The plan a prepared plan was made from. */
const gl_plan *gl_cpu_prepared_plan(const void *prepared);
/* The context's arena (valid until the next bind). */
uint8_t *gl_cpu_context_arena(void *ctx);

#endif
