/* A small fork-join thread pool for the CPU backend. Workers are created
 * once (with the context) and reused for every parallel-for, so a run at
 * batch 1 pays only a wake-up, not a thread creation. The calling thread
 * takes part as thread 0. Not thread-safe: one caller at a time per pool
 * (a context is used by one thread at a time). */
#ifndef GL_CPU_THREADPOOL_H
#define GL_CPU_THREADPOOL_H

#include "common/common.h"

typedef struct gl_pool gl_pool;

/* Body of a parallel-for: runs task indices [begin, end) on thread `tid`
 * (0 ≤ tid < gl_pool_threads). With more than one thread it is called once
 * per index; tid is what names per-thread scratch. */
typedef void (*gl_pool_fn)(void *arg, int64_t begin, int64_t end, int tid);

/* Creates a pool of `threads` threads in total (threads - 1 workers plus the
 * caller); threads ≤ 1 makes a pool that runs everything inline. */
glint_status gl_pool_create(const glint_allocator *a, int threads, gl_pool **out, gl_err *err);
/* Stops and joins the workers. NULL is a no-op. */
void gl_pool_free(gl_pool *p);
int gl_pool_threads(const gl_pool *p);

/* Runs fn over [0, n) split statically into contiguous, nearly equal ranges,
 * one per thread, each index exactly once; a thread done with its range
 * takes unclaimed indices of the others (so a descheduled thread does not
 * stall the rest). Returns when every index is done. Allocates nothing. */
void gl_pool_for(gl_pool *p, int64_t n, gl_pool_fn fn, void *arg);

/* Below about this many flops (a few microseconds of work) waking the
 * workers costs more than it saves: callers run such work inline. */
#define GL_POOL_MIN_FLOPS 2000000

/* Sets the pool's threshold (default GL_POOL_MIN_FLOPS). */
void gl_pool_set_min_flops(gl_pool *p, double flops);
/* pool, or NULL (run inline) when the work is below its threshold. */
gl_pool *gl_pool_for_work(gl_pool *p, double flops);

/* The range of thread tid in a static split of n over `threads`. */
static inline void gl_pool_range(int64_t n, int threads, int tid, int64_t *begin, int64_t *end) {
    int64_t q = n / threads, r = n % threads;
    *begin = tid * q + (tid < r ? tid : r);
    *end = *begin + q + (tid < r ? 1 : 0);
}

#endif
