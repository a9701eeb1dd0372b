/* Sample-chunked execution of a batched plan on the CPU.
 *
 * At batch 32 every layer's input and output (megabytes) fall out of the
 * caches between consecutive steps, and a conv measured at 133 GFLOP/s with
 * one sample ran at 60 with four. When no step of the model mixes samples,
 * the batch-N plan is equivalent to running a plan built for a small chunk
 * of c samples N / c times on consecutive slices of the inputs and outputs:
 * the whole forward pass of one chunk then stays in L2, and with several
 * threads each thread runs whole chunks on its own arena (no per-layer
 * fork-join at all).
 *
 * Deciding that a model is sample-separable is done on the two plans (the
 * batch-N plan and the batch-c plan of the same graph), step by step: the
 * same operators in the same order, every runtime tensor batch-leading in
 * both (dim 0 is N resp. c, every other dim equal), and every operator one
 * that never combines values across dim 0 given those shapes (a fixed list,
 * with the attribute and constant-input checks that make it so). Anything
 * else is reported as not separable and the plan runs whole. */
#ifndef GL_CPU_BATCH_SPLIT_H
#define GL_CPU_BATCH_SPLIT_H

#include "plan/plan.h"

/* The batch of a plan: N when every graph input and output is a runtime
 * tensor of rank ≥ 1 with leading dim N ≥ 2, else 0. */
int64_t gl_cpu_plan_batch(const gl_plan *p);

/* The chunk size to try for batch N with `threads` threads and a preferred
 * chunk of `target` samples: the largest divisor of N not above target
 * (so every chunk is the same plan), lowered until there are at least two
 * chunks per thread where N allows. 0 (do not split) when that leaves a
 * single chunk. */
int64_t gl_cpu_chunk_size(int64_t N, int threads, int64_t target);

/* Is `sub` (the graph planned at batch c) a per-chunk equivalent of `full`
 * (the same graph at batch N, N a multiple of c)? full_up2 / sub_up2 mark
 * the steps the CPU backend runs as exact nearest-2x copies (the only
 * Resize accepted). why (may be NULL) receives a reason when not. */
bool gl_cpu_plan_separable(const gl_plan *full, const gl_plan *sub, const bool *full_up2,
                           const bool *sub_up2, char *why, size_t why_size);

#endif
