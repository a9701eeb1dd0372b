/* The CPU backend's private structs, shared by cpu_backend.c (the vtable)
 * and cpu_chunks.c (chunked runs of batched plans). Not an interface. */
#ifndef GL_CPU_INTERNAL_H
#define GL_CPU_INTERNAL_H

#include <pthread.h>

#include "backend/backend.h"
#include "backend/cpu/conv_fast.h"
#include "backend/cpu/gemm_fast.h"
#include "backend/cpu/qconv_fast.h"
#include "backend/cpu/threadpool.h"

typedef struct cpu_pack {
    const void *data;        /* the weight's data pointer (owned by the graph) */
    gl_shape shape;
    int64_t group;
    const void *tag;         /* the packing: a gl_sgemm_kernel (its MR) or the INT8 conv's */
    bool stable;             /* data is a graph constant: it lives as long as the engine */
    uint64_t hash;           /* of the contents, when not stable: a freed and reused
                                address never matches; 0 when stable */
    void *packed;
} cpu_pack;

typedef struct cpu_state {
    const glint_allocator *alloc;
    int threads;
    int64_t chunk;               /* preferred samples per chunk at large batch; 0: never split */
    double min_flops;            /* a step below this runs on the caller alone */
    const gl_sgemm_kernel *kern; /* NULL: reference kernels only */
    pthread_mutex_t mu;          /* guards packs (plans may be prepared concurrently) */
    cpu_pack *packs;
    int n_packs, cap_packs;
} cpu_state;

/* Samples per chunk when a large batch is run in chunks (batch_split.h):
 * one sample's whole forward pass stays in L2 (bench/NOTES.md, CPU). */
#define GL_CPU_CHUNK_DEFAULT 1
/* Flops below which a step runs on the calling thread alone. */
#define GL_CPU_MIN_FLOPS_DEFAULT GL_POOL_MIN_FLOPS

enum { STEP_REF = 0, STEP_CONV = 1, STEP_UP2 = 2, STEP_GEMM = 3, STEP_QCONV = 4,
       STEP_QUANTIZE = 5 };

typedef struct cpu_step {
    int kind;
    gl_cpu_conv conv;
    gl_cpu_gemm gemm;
    gl_cpu_qconv qconv;
    gl_cpu_quantize quantize;
} cpu_step;

typedef struct cpu_prepared cpu_prepared;
struct cpu_prepared {
    const gl_plan *plan;
    cpu_step *steps;
    int max_inputs, max_outputs;
    int fast_steps;
    size_t extra_offset;     /* the plan's arena, aligned: fast-kernel bytes start here */
    size_t arena_bytes;      /* extra_offset + the largest Gemm A packing or INT8 conv buffer */
    /* Sample chunks (batch_split.h): when set, run executes `chunked` (the
     * same graph planned at `chunk` samples) N / chunk times, each thread
     * on its own slot of slot_bytes in the arena; the steps above are not
     * run and arena_bytes covers the slots instead. */
    gl_plan *chunk_plan;
    cpu_prepared *chunked;
    int64_t chunk, nchunks;
    size_t slot_bytes;
    int views;               /* views a context needs (all slots) */
};

typedef struct cpu_ctx {
    cpu_state *st;
    gl_pool *pool;
    uint8_t *arena;
    size_t arena_bytes;
    float *scratch;              /* threads × scratch_stride floats */
    size_t scratch_stride;
    gl_tensor *views;            /* max_inputs + max_outputs views (per slot when chunked) */
    int views_cap;
    gl_err *errs;                /* per thread: the first error of a chunked run */
} cpu_ctx;

static inline int step_views(const cpu_prepared *pp) { return pp->max_inputs + pp->max_outputs; }

/* Where one step runs: an arena (or a chunk slot of it), views, the pool
 * (NULL: inline on this thread) and this thread's scratch. */
typedef struct step_env {
    uint8_t *arena;
    gl_tensor *views;
    gl_pool *pool;
    float *scratch;
    size_t scratch_stride;
} step_env;

/* Runs step i of pp in environment e (what run does for each step). */
glint_status gl_cpu_run_step_in(const step_env *e, const cpu_prepared *pp, int i, gl_err *err);
/* Runs a plan prepared in chunks (pp->chunked): every chunk, then returns
 * the first error any thread met. */
glint_status gl_cpu_run_chunked(cpu_ctx *c, const cpu_prepared *pp, const void *const *inputs,
                                void *const *outputs, gl_err *err);

#endif
