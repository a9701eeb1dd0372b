/* Host-side state of the CUDA backend, shared by its C files.
 *
 * Engine (gl_cuda_engine): the device ordinal, the graph's float constants
 * uploaded once (converted to the storage type: half in FP16 mode, bfloat16
 * in BF16 mode), device-memory accounting
 * against the cap, the list of prepared plans (to re-upload after a rebuild)
 * and the lost/generation counters of the recovery path.
 *
 * Prepared plan (gl_cuda_prepared): the plan lowered to a list of kernel
 * descriptors over "lowered tensors" (the plan's tensors plus tiled weights),
 * view ops turned into aliases, and its own arena layout from the
 * descriptors' order; its first and last kernels move the graph's inputs
 * and outputs between host memory and their tensors (gk_host_io).
 *
 * Context (gl_cuda_ctx): one stream, one device arena (the largest bound
 * plan's), pinned staging, and per bound plan a captured CUDA graph whose
 * host I/O kernels are pointed at the caller's buffers when those are
 * page-locked. */
#ifndef GL_CUDA_INTERNAL_H
#define GL_CUDA_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include <cuda_runtime_api.h>

#include "backend/backend.h"
#include "backend/cuda/cuda_kernels.h"

#define GL_CUDA_ALIGN 256

/* The device dtype of float tensors stored as `store`. */
static inline gl_dtype gl_cuda_store_dtype(gk_store store) {
    return store == GK_STORE_F16    ? GLINT_DTYPE_FLOAT16
           : store == GK_STORE_BF16 ? GLINT_DTYPE_BFLOAT16
                                    : GLINT_DTYPE_FLOAT32;
}

typedef enum gl_cuda_mem_kind {
    GL_CUDA_MEM_WEIGHTS,
    GL_CUDA_MEM_ARENA,
    GL_CUDA_MEM_WORKSPACE,
    GL_CUDA_MEM_STAGING     /* pinned host memory: reported, not capped */
} gl_cuda_mem_kind;

typedef struct gl_cuda_prepared gl_cuda_prepared;

typedef struct gl_cuda_engine {
    const glint_allocator *alloc;
    const gl_graph *graph;
    int device;
    int sm_count;                   /* multiprocessors, for launch shapes */
    gk_store store;                 /* how float tensors are stored (the precision) */
    uint32_t flags;
    size_t limit_bytes;             /* 0 = no cap */
    glint_log_fn log;
    void *log_user;
    glint_log_level log_level;

    void **weights;                 /* per graph value: device copy of a float constant */
    size_t *weight_bytes;
    void **tile_w;                  /* per graph value: a conv weight in the tiled conv's
                                     * layout [C][kh*kw][M rounded up to 16], or NULL */
    size_t *tile_w_bytes;

    pthread_mutex_t mu;             /* guards used[] and reset_epoch */
    size_t used[4];                 /* bytes per gl_cuda_mem_kind */
    int reset_epoch;                /* bumped by cudaDeviceReset: old pointers are dead */
    pthread_mutex_t rec_mu;         /* guards the prepared list and serialises recovery */
    gl_cuda_prepared **prepared;
    int n_prepared, cap_prepared;

    atomic_int lost;                /* device state must be rebuilt before the next run */
    atomic_int lost_genuine;        /* a real sticky error (needs cudaDeviceReset) */
    atomic_int generation;          /* bumped after each rebuild */
    atomic_int inject_pending;      /* GLINT_FLAG_INJECT_DEVICE_LOSS not yet fired */
} gl_cuda_engine;

typedef struct gl_cuda_tensor {
    int storage;                    /* lowered tensor whose bytes this one uses */
    bool is_const;
    bool referenced;                /* some descriptor or io uses it */
    const void *host;               /* const: host data (plan dtype) */
    bool owns_host;                 /* host made by the lowering, freed with the plan */
    void *dev;                      /* const: device copy */
    bool owns_dev;                  /* dev allocated by this prepared plan */
    int tile_of;                    /* > 0: const whose dev is eng->tile_w[tile_of - 1] */
    gl_dtype dtype;                 /* plan dtype */
    gl_dtype dev_dtype;             /* for float tensors, the storage type's (gl_cuda_store_dtype) */
    int64_t numel;
    size_t dev_bytes;
    int first, last;                /* lifetime in descriptor order (storage roots) */
    size_t offset;                  /* arena offset (of the storage root) */
    size_t view_bytes;              /* where a view starts inside its storage root */
} gl_cuda_tensor;

typedef struct gl_cuda_io {
    int tensor;                     /* plan tensor id */
    size_t host_bytes;
    size_t stage_offset;            /* in the context's pinned in/out buffer */
} gl_cuda_io;

struct gl_cuda_prepared {
    gl_cuda_engine *eng;
    const gl_plan *plan;
    gl_cuda_tensor *t;
    int n_t;
    gk_desc *k;
    int n_k, cap_k;
    gl_cuda_io *in, *out;
    int n_in, n_out;
    size_t arena_bytes;
    size_t stage_in_bytes, stage_out_bytes;
    size_t const_bytes;
    int n_wmma;                     /* convs on tensor cores (for logs and tests) */
};

/* A host I/O kernel node of a binding's graph, for re-pointing. */
typedef struct gl_cuda_host_node {
    cudaGraphNode_t node;
    struct cudaKernelNodeParams params; /* as captured (grid, block, kernel) */
    gk_host_copy args;              /* its kernel parameter as instantiated now */
} gl_cuda_host_node;

/* One host-device copy of a run (a graph input or output) and its host end:
 * the context's staging, or the caller's buffer when that is page-locked,
 * which the host I/O kernel then reads or writes directly. */
typedef struct gl_cuda_copy {
    int node, item;                 /* item `item` of host node `node` of the binding; node -1
                                     * when graphs are off or it was not found (staging only) */
    void *host;                     /* the host end of the current run */
    void *dev;                      /* the same as the device addresses it */
} gl_cuda_copy;

typedef struct gl_cuda_binding {
    const gl_cuda_prepared *pp;
    cudaGraph_t graph;              /* kept while exec lives: exec updates name its nodes */
    cudaGraphExec_t exec;           /* NULL when graphs are off */
    gl_cuda_copy *copy;             /* pp->n_in inputs, then pp->n_out outputs */
    gl_cuda_host_node *nodes;       /* n_nodes of them (at most one per copy) */
    int n_nodes;
} gl_cuda_binding;

typedef struct gl_cuda_ctx {
    gl_cuda_engine *eng;
    cudaStream_t stream;
    void *arena;
    size_t arena_bytes;
    uint8_t *stage_in, *stage_out;  /* pinned, mapped */
    uint8_t *stage_in_dev, *stage_out_dev; /* the same as the device addresses them */
    size_t stage_in_bytes, stage_out_bytes;
    gl_cuda_binding *b;
    int n_b, cap_b;
    bool use_graph;                 /* GLINT_CUDA_NO_GRAPH=1 turns it off */
    int generation;                 /* engine generation this state was built in */
    int reset_epoch;
    void *ptr_scratch[GK_MAX_ARGS]; /* resolved args of one launch */
} gl_cuda_ctx;

/* ---------------------------------------------------------- cuda_util.c */
/* Maps a failed CUDA call to a status and a message naming the call:
 * "CUDA: cudaMalloc(arena, 1048576 bytes): out of memory". Returns GLINT_OK
 * when e is cudaSuccess. A sticky error marks eng lost (when eng != NULL). */
glint_status gl_cuda_check(gl_cuda_engine *eng, cudaError_t e, gl_err *err, const char *what);
bool gl_cuda_is_sticky(cudaError_t e);
/* Device allocation counted against the cap; OOM names what and how much
 * was free. */
glint_status gl_cuda_malloc(gl_cuda_engine *eng, gl_cuda_mem_kind kind, size_t bytes,
                            const char *what, void **ptr, gl_err *err);
/* Frees (unless the device was reset since, when the pointer is dead) and
 * uncounts. */
void gl_cuda_free(gl_cuda_engine *eng, gl_cuda_mem_kind kind, void *ptr, size_t bytes,
                  int epoch);
/* The engine's reset epoch, read under its lock (recovery bumps it from
 * another thread). */
int gl_cuda_epoch(gl_cuda_engine *eng);
/* Page-locked host memory the device addresses at *dev (mapped). */
glint_status gl_cuda_host_alloc(gl_cuda_engine *eng, size_t bytes, const char *what, void **ptr,
                                void **dev, gl_err *err);
void gl_cuda_host_free(gl_cuda_engine *eng, void *ptr, size_t bytes, int epoch);
/* Uploads n elements of host data of dtype into dev; float data is converted
 * when dev_dtype is half or bfloat16 (round to nearest even). Synchronous. */
glint_status gl_cuda_upload(gl_cuda_engine *eng, void *dev, const void *host, gl_dtype dtype,
                            gl_dtype dev_dtype, int64_t numel, gl_err *err);
void gl_cuda_log(gl_cuda_engine *eng, glint_log_level level, const char *fmt, ...) GL_PRINTF(3, 4);
bool gl_cuda_env_flag(const char *name);

/* --------------------------------------------------------- cuda_lower.c */
glint_status gl_cuda_plan_prepare(void *state, const gl_plan *plan, void **prepared, gl_err *err);
void gl_cuda_plan_release(void *state, void *prepared);
/* (Re)uploads the constants a prepared plan owns (after a rebuild). */
glint_status gl_cuda_prepared_upload(gl_cuda_prepared *pp, bool realloc_dead, gl_err *err);
/* Device pointer of lowered tensor id given a context arena. */
static inline void *gl_cuda_ptr(const gl_cuda_prepared *pp, int id, void *arena) {
    if (id < 0) return NULL;
    const gl_cuda_tensor *t = &pp->t[id];
    if (t->is_const) return t->dev;
    return (uint8_t *)arena + pp->t[t->storage].offset + t->view_bytes;
}

/* ------------------------------------------------- cuda_lower_ops*.c */
typedef struct gl_cuda_lower gl_cuda_lower;
/* Appends the descriptors of plan step si (or nothing for a view or a folded
 * step); GLINT_ERR_UNSUPPORTED names the node when there is no kernel. */
glint_status gl_cuda_lower_step(gl_cuda_lower *L, int si, gl_err *err);

/* ------------------------------------------------------- cuda_context.c */
const char *gl_cuda_kind_name(gk_kind k); /* "conv", "gemm", ... for messages */
glint_status gl_cuda_context_create(void *state, void **ctx, gl_err *err);
void gl_cuda_context_free(void *ctx);
glint_status gl_cuda_context_bind(void *ctx, const void *prepared, gl_err *err);
glint_status gl_cuda_run(void *ctx, const void *prepared, const void *const *inputs,
                         void *const *outputs, gl_err *err);
/* c->ptr_scratch = the device addresses of descriptor d's arguments: its
 * tensors in c's arena, and for a host I/O kernel the host end of copy
 * (staging when copy is NULL). */
void gl_cuda_desc_ptrs(gl_cuda_ctx *c, const gl_cuda_prepared *pp, const gk_desc *d,
                       const gl_cuda_copy *copy);

/* ------------------------------------------------------- cuda_backend.c */
/* Rebuilds engine-wide device state after a loss (weights, plan constants);
 * bumps the generation. Safe to call from several contexts at once. */
glint_status gl_cuda_engine_recover(gl_cuda_engine *eng, gl_err *err);

#endif
