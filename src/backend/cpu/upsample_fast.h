/* The CPU fast path for the U-Net decoder's upsampling: a Resize (or
 * Upsample) that amounts to nearest 2x, y[n,c,i,j] = x[n,c,i/2,j/2]. */
#ifndef GL_CPU_UPSAMPLE_FAST_H
#define GL_CPU_UPSAMPLE_FAST_H

#include "backend/cpu/threadpool.h"
#include "plan/plan.h"

/* Is plan step `step` exactly a nearest 2x upsample of a float32 NCHW
 * tensor? Decided by running the op's reference kernel once on an
 * index-valued probe, so every coordinate mode and rounding rule that
 * amounts to it is accepted and nothing else is. Fails only on allocation. */
glint_status gl_cpu_is_nearest2x(const gl_plan *p, int step, const glint_allocator *a,
                                 bool *yes, gl_err *err);

/* y [planes, 2h, 2w] = nearest 2x of x [planes, h, w], split over the pool. */
void gl_cpu_upsample2x_run(const float *x, float *y, int64_t planes, int64_t h, int64_t w,
                           gl_pool *pool);

#endif
