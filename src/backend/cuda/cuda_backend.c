/* The CUDA backend's vtable: device discovery, engine state (weights
 * uploaded once and shared by every context), memory reporting, page-locked
 * host buffers for callers (glint_host_alloc) and the engine half of
 * device-loss recovery. */
#include <stdio.h>
#include <string.h>

#include "backend/cuda/cuda_internal.h"

static bool cuda_available(const gl_backend_config *cfg, gl_err *err) {
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        (void)cudaGetLastError();
        gl_fail(err, GLINT_ERR_NO_DEVICE, "CUDA: no usable driver or GPU: %s",
                cudaGetErrorString(e));
        return false;
    }
    int dev = cfg ? cfg->cuda_device : 0;
    if (n <= 0 || dev < 0 || dev >= n) {
        gl_fail(err, GLINT_ERR_NO_DEVICE, "CUDA: device %d requested but %d GPU(s) visible", dev,
                n);
        return false;
    }
    return true;
}

/* BF16 storage needs compute capability 8.0 (Ampere): bfloat16 tensor-core
 * instructions and conversions start there. An older device fails engine
 * creation, naming itself; nothing falls back to another precision. */
static bool bf16_capable(int dev, gl_err *err) {
    int major = 0, minor = 0;
    cudaError_t e = cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev);
    if (e == cudaSuccess)
        e = cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev);
    if (e != cudaSuccess) {
        (void)cudaGetLastError();
        gl_fail(err, GLINT_ERR_DEVICE, "CUDA: device %d: compute capability unknown: %s", dev,
                cudaGetErrorString(e));
        return false;
    }
    if (major >= 8) return true;
    char name[256] = "?";
    struct cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, dev) == cudaSuccess) snprintf(name, sizeof name, "%s", prop.name);
    else (void)cudaGetLastError();
    gl_fail(err, GLINT_ERR_UNSUPPORTED,
            "CUDA backend: precision bf16 needs compute capability 8.0 or newer; device %d "
            "'%s' has %d.%d (use fp16 or fp32)",
            dev, name, major, minor);
    return false;
}

static bool is_float_const(const gl_value *v) {
    return v->constant && v->constant->dtype == GLINT_DTYPE_FLOAT32 &&
           gl_shape_numel(&v->constant->shape) > 0;
}

/* The weight value of conv node nd when the tiled kernel can run it (a
 * float constant, 4-D, square 1x1 or 3x3): such weights get a second copy
 * in its layout. Else -1. */
static int tile_weight_of(const gl_graph *g, const gl_node *nd) {
    bool conv = (!strcmp(nd->op_type, "Conv") && !nd->domain[0]) ||
                (!strcmp(nd->op_type, "FusedConv") && !strcmp(nd->domain, "glint"));
    int v = conv && nd->n_inputs > 1 ? nd->inputs[1] : -1;
    if (v < 0 || !is_float_const(&g->values[v])) return -1;
    const gl_shape *s = &g->values[v].constant->shape;
    return s->rank == 4 && s->d[2] == s->d[3] && (s->d[2] == 1 || s->d[2] == 3) ? v : -1;
}

/* The tiled conv's weight layout: w[m][c][tap] -> t[(c * kk + tap) * mp + m],
 * output channels padded with zeros to mp (a multiple of 16), so a block
 * copies contiguous rows of its channels (cuda_conv_tile_kernel.cuh). */
static glint_status upload_tile_weight(gl_cuda_engine *eng, int v, bool alloc, gl_err *err) {
    const gl_const *k = eng->graph->values[v].constant;
    const int64_t m = k->shape.d[0], c = k->shape.d[1], kk = k->shape.d[2] * k->shape.d[3];
    const int64_t mp = GK_TILE_MP(m), n = c * kk * mp;
    float *t = gl_calloc(eng->alloc, (size_t)n, sizeof *t);
    if (!t) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "CUDA: tiled weight layout");
    const float *w = k->data;
    for (int64_t mi = 0; mi < m; mi++)
        for (int64_t r = 0; r < c * kk; r++) t[r * mp + mi] = w[mi * c * kk + r];
    glint_status st = GLINT_OK;
    const gl_dtype dt = gl_cuda_store_dtype(eng->store);
    size_t bytes = (size_t)n * glint_dtype_size(dt);
    if (alloc) {
        char what[160];
        snprintf(what, sizeof what, "tiled weights '%s'", eng->graph->values[v].name);
        st = gl_cuda_malloc(eng, GL_CUDA_MEM_WEIGHTS, bytes, what, &eng->tile_w[v], err);
        if (!st) eng->tile_w_bytes[v] = bytes;
    }
    if (!st) st = gl_cuda_upload(eng, eng->tile_w[v], t, GLINT_DTYPE_FLOAT32, dt, n, err);
    gl_free(eng->alloc, t);
    return st;
}

/* Allocates (alloc = true) or refreshes in place the device copies of the
 * graph's float constants. */
static glint_status upload_weights(gl_cuda_engine *eng, bool alloc, gl_err *err) {
    const gl_graph *g = eng->graph;
    const gl_dtype dt = gl_cuda_store_dtype(eng->store);
    const size_t es = glint_dtype_size(dt);
    for (int i = 0; i < g->n_values; i++) {
        const gl_value *v = &g->values[i];
        if (!is_float_const(v)) continue;
        int64_t n = gl_shape_numel(&v->constant->shape);
        if (alloc) {
            char what[160];
            snprintf(what, sizeof what, "weights '%s'", v->name);
            glint_status st = gl_cuda_malloc(eng, GL_CUDA_MEM_WEIGHTS, (size_t)n * es, what,
                                             &eng->weights[i], err);
            if (st) return st;
            eng->weight_bytes[i] = (size_t)n * es;
        }
        glint_status st = gl_cuda_upload(eng, eng->weights[i], v->constant->data,
                                         GLINT_DTYPE_FLOAT32, dt, n, err);
        if (st) return gl_err_prefix(err, "uploading '%s'", v->name);
    }
    /* The tiled layout's copies: at creation one per conv weight (however
     * many convs share it), when refreshing those that exist. */
    for (int i = 0; !alloc && i < g->n_values; i++) {
        glint_status st = eng->tile_w[i] ? upload_tile_weight(eng, i, false, err) : GLINT_OK;
        if (st) return gl_err_prefix(err, "uploading '%s'", g->values[i].name);
    }
    for (int n = 0; alloc && n < g->n_nodes; n++) {
        int v = tile_weight_of(g, &g->nodes[n]);
        glint_status st = v >= 0 && !eng->tile_w[v] ? upload_tile_weight(eng, v, true, err) : GLINT_OK;
        if (st) return gl_err_prefix(err, "uploading '%s'", g->values[v].name);
    }
    return GLINT_OK;
}

static void free_weights(gl_cuda_engine *eng, int epoch) {
    if (!eng->weights) return;
    for (int i = 0; i < eng->graph->n_values; i++) {
        if (!eng->weights[i]) continue;
        gl_cuda_free(eng, GL_CUDA_MEM_WEIGHTS, eng->weights[i], eng->weight_bytes[i], epoch);
        eng->weights[i] = NULL;
        eng->weight_bytes[i] = 0;
        if (!eng->tile_w || !eng->tile_w[i]) continue;
        gl_cuda_free(eng, GL_CUDA_MEM_WEIGHTS, eng->tile_w[i], eng->tile_w_bytes[i], epoch);
        eng->tile_w[i] = NULL;
        eng->tile_w_bytes[i] = 0;
    }
}

/* Per-thread stack glint asks for: the largest stack frame of its kernels
 * is 160 bytes (nvcc --resource-usage, sm_86 and sm_90: the direct convs;
 * everything else 0-128), rounded up with headroom. The driver grows the
 * stack at launch for a kernel whose frame needs more, so this is a floor,
 * not a cap (bench/NOTES.md, "CUDA memory"). */
#define GL_CUDA_STACK_BYTES 256
/* glint's kernels call neither printf nor malloc. */
#define GL_CUDA_PRINTF_FIFO_BYTES (64u << 10)
#define GL_CUDA_MALLOC_HEAP_BYTES (1u << 20)

/* The CUDA context's own reservations dominate a small model's device
 * memory: the stack alone is stack size x resident threads (1 KiB x 132 SMs
 * x 2048 threads = 277 MB on an H200), plus a 1 MiB printf FIFO and an
 * 8 MiB device heap. Each limit is lowered only while it still has the CUDA
 * default (a value the application chose is left alone), before glint
 * launches anything; GLINT_CUDA_KEEP_LIMITS=1 leaves all three as they are.
 * The limits are per device and process, like the context itself; they are
 * set again after a device reset (which restores the defaults). Failures
 * are logged, not fatal: the limits only cost memory. */
static void lower_limits(gl_cuda_engine *eng) {
    if (gl_cuda_env_flag("GLINT_CUDA_KEEP_LIMITS")) return;
    static const struct {
        enum cudaLimit limit;
        const char *name;
        size_t cuda_default, want;
    } lim[] = {
        {cudaLimitStackSize, "per-thread stack", 1024, GL_CUDA_STACK_BYTES},
        {cudaLimitPrintfFifoSize, "printf FIFO", 1u << 20, GL_CUDA_PRINTF_FIFO_BYTES},
        {cudaLimitMallocHeapSize, "device malloc heap", 8u << 20, GL_CUDA_MALLOC_HEAP_BYTES},
    };
    for (size_t i = 0; i < GL_ARRAY_LEN(lim); i++) {
        size_t cur = 0, now = 0;
        if (cudaDeviceGetLimit(&cur, lim[i].limit) != cudaSuccess) {
            (void)cudaGetLastError();
            continue;
        }
        if (cur != lim[i].cuda_default || cur <= lim[i].want) {
            gl_cuda_log(eng, GLINT_LOG_DEBUG, "CUDA: limit %s: %zu bytes (left as is)",
                        lim[i].name, cur);
            continue;
        }
        cudaError_t e = cudaDeviceSetLimit(lim[i].limit, lim[i].want);
        if (e == cudaSuccess) e = cudaDeviceGetLimit(&now, lim[i].limit);
        if (e != cudaSuccess) {
            (void)cudaGetLastError();
            gl_cuda_log(eng, GLINT_LOG_WARN, "CUDA: could not lower the %s from %zu bytes: %s",
                        lim[i].name, cur, cudaGetErrorString(e));
            continue;
        }
        gl_cuda_log(eng, GLINT_LOG_INFO, "CUDA: limit %s: %zu -> %zu bytes", lim[i].name, cur,
                    now);
    }
}

static void cuda_engine_free(void *state) {
    gl_cuda_engine *eng = state;
    if (!eng) return;
    (void)cudaSetDevice(eng->device);
    free_weights(eng, eng->reset_epoch);
    gl_free(eng->alloc, eng->weights);
    gl_free(eng->alloc, eng->weight_bytes);
    gl_free(eng->alloc, eng->tile_w);
    gl_free(eng->alloc, eng->tile_w_bytes);
    gl_free(eng->alloc, eng->prepared);
    pthread_mutex_destroy(&eng->mu);
    pthread_mutex_destroy(&eng->rec_mu);
    gl_free(eng->alloc, eng);
}

static glint_status cuda_engine_init(const gl_backend_config *cfg, const gl_graph *g,
                                     void **state, gl_err *err) {
    *state = NULL;
    if (!cuda_available(cfg, err)) return err ? err->status : GLINT_ERR_NO_DEVICE;
    if (cfg->precision == GLINT_PRECISION_BF16 && !bf16_capable(cfg->cuda_device, err))
        return err ? err->status : GLINT_ERR_UNSUPPORTED;
    gl_cuda_engine *eng = gl_calloc(cfg->alloc, 1, sizeof *eng);
    if (!eng) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "CUDA: engine state");
    eng->alloc = cfg->alloc;
    eng->graph = g;
    eng->device = cfg->cuda_device;
    /* INT8 engines keep float tensors (between the int8 convolutions, and
     * the layers left in float) in half precision */
    eng->store = cfg->precision == GLINT_PRECISION_FP16 || cfg->precision == GLINT_PRECISION_INT8
                     ? GK_STORE_F16
                 : cfg->precision == GLINT_PRECISION_BF16 ? GK_STORE_BF16
                                                          : GK_STORE_F32;
    eng->flags = cfg->flags;
    eng->limit_bytes = cfg->device_memory_limit_bytes;
    eng->log = cfg->log;
    eng->log_user = cfg->log_user;
    eng->log_level = cfg->log_level;
    atomic_init(&eng->lost, 0);
    atomic_init(&eng->lost_genuine, 0);
    atomic_init(&eng->generation, 0);
    atomic_init(&eng->inject_pending, (cfg->flags & GLINT_FLAG_INJECT_DEVICE_LOSS) ? 1 : 0);
    if (pthread_mutex_init(&eng->mu, NULL) != 0) {
        gl_free(cfg->alloc, eng);
        return gl_fail(err, GLINT_ERR_INTERNAL, "CUDA: mutex init failed");
    }
    if (pthread_mutex_init(&eng->rec_mu, NULL) != 0) {
        pthread_mutex_destroy(&eng->mu);
        gl_free(cfg->alloc, eng);
        return gl_fail(err, GLINT_ERR_INTERNAL, "CUDA: mutex init failed");
    }
    glint_status st = gl_cuda_check(eng, cudaSetDevice(eng->device), err, "cudaSetDevice");
    if (!st) lower_limits(eng);
    if (!st) {
        eng->weights = gl_calloc(eng->alloc, (size_t)GL_MAX(g->n_values, 1), sizeof(void *));
        eng->weight_bytes = gl_calloc(eng->alloc, (size_t)GL_MAX(g->n_values, 1), sizeof(size_t));
        eng->tile_w = gl_calloc(eng->alloc, (size_t)GL_MAX(g->n_values, 1), sizeof(void *));
        eng->tile_w_bytes = gl_calloc(eng->alloc, (size_t)GL_MAX(g->n_values, 1), sizeof(size_t));
        if (!eng->weights || !eng->weight_bytes || !eng->tile_w || !eng->tile_w_bytes)
            st = gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "CUDA: weight table");
    }
    if (!st && cudaDeviceGetAttribute(&eng->sm_count, cudaDevAttrMultiProcessorCount,
                                      eng->device) != cudaSuccess) {
        (void)cudaGetLastError();
        eng->sm_count = 0; /* the lowering assumes a large GPU */
    }
    if (!st) st = upload_weights(eng, true, err);
    if (st) {
        cuda_engine_free(eng);
        return st;
    }
    struct cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, eng->device) == cudaSuccess)
        gl_cuda_log(eng, GLINT_LOG_INFO, "CUDA: %s (sm_%d%d), %s, %zu weight bytes", prop.name,
                    prop.major, prop.minor, glint_precision_name(cfg->precision),
                    eng->used[GL_CUDA_MEM_WEIGHTS]);
    else
        (void)cudaGetLastError();
    *state = eng;
    return GLINT_OK;
}

glint_status gl_cuda_engine_recover(gl_cuda_engine *eng, gl_err *err) {
    pthread_mutex_lock(&eng->rec_mu);
    if (!atomic_load(&eng->lost)) { /* another context rebuilt it already */
        pthread_mutex_unlock(&eng->rec_mu);
        return GLINT_OK;
    }
    bool genuine = atomic_load(&eng->lost_genuine) != 0;
    pthread_mutex_lock(&eng->mu);
    int old_epoch = eng->reset_epoch;
    if (genuine) {
        /* A sticky error poisons the whole CUDA context of this process; the
         * only way back is a device reset, which also ends every other user
         * of the device in this process. If the reset itself fails, a new
         * process is needed. */
        cudaError_t e = cudaDeviceReset();
        eng->reset_epoch++;
        if (e == cudaSuccess) e = cudaSetDevice(eng->device);
        if (e == cudaSuccess) lower_limits(eng); /* the reset restored the defaults */
        if (e != cudaSuccess) {
            pthread_mutex_unlock(&eng->mu);
            pthread_mutex_unlock(&eng->rec_mu);
            return gl_fail(err, GLINT_ERR_DEVICE,
                           "CUDA: device %d could not be reset after a sticky error (%s); "
                           "a new process is needed",
                           eng->device, cudaGetErrorString(e));
        }
    }
    pthread_mutex_unlock(&eng->mu);

    glint_status st = GLINT_OK;
    if (genuine) free_weights(eng, old_epoch); /* uncounts; pointers are dead */
    st = upload_weights(eng, genuine, err);
    for (int i = 0; !st && i < eng->n_prepared; i++)
        st = gl_cuda_prepared_upload(eng->prepared[i], genuine, err);
    if (st) {
        pthread_mutex_unlock(&eng->rec_mu);
        return gl_err_prefix(err, "CUDA: rebuilding device state");
    }
    atomic_store(&eng->lost_genuine, 0);
    atomic_fetch_add(&eng->generation, 1);
    atomic_store(&eng->lost, 0);
    pthread_mutex_unlock(&eng->rec_mu);
    gl_cuda_log(eng, GLINT_LOG_WARN, "CUDA: device state rebuilt after a %s device loss",
                genuine ? "real" : "injected");
    return GLINT_OK;
}

static void cuda_memory(void *state, glint_memory_info *info) {
    gl_cuda_engine *eng = state;
    memset(info, 0, sizeof *info);
    if (!eng) return;
    pthread_mutex_lock(&eng->mu);
    info->weights_bytes = eng->used[GL_CUDA_MEM_WEIGHTS];
    info->arena_bytes = eng->used[GL_CUDA_MEM_ARENA];
    info->workspace_bytes = eng->used[GL_CUDA_MEM_WORKSPACE];
    info->staging_bytes = eng->used[GL_CUDA_MEM_STAGING];
    info->device_total_bytes = info->weights_bytes + info->arena_bytes + info->workspace_bytes;
    pthread_mutex_unlock(&eng->mu);
}

/* Pages of glint_host_alloc: whole ones, so that no other allocation shares
 * a page this one registers (4096 bytes, the x86-64 page; gl_aligned_alloc
 * aligns to at most that). */
#define GL_CUDA_HOST_PAGE 4096

/* glint_host_alloc on CUDA: whole pages from the engine's allocator,
 * page-locked and mapped with cudaHostRegister, so that runs read and
 * write them straight from the GPU (gk_host_io). Registered rather than
 * taken from cudaHostAlloc: the device reset that recovers from a real device loss (gl_cuda_engine_recover) frees
 * every cudaHostAlloc block of the process, which would leave the caller
 * holding dead pointers; registered memory stays valid and merely stops
 * being page-locked (runs then copy it through staging). */
static glint_status cuda_host_alloc(void *state, size_t bytes, void **ptr, gl_err *err) {
    gl_cuda_engine *eng = state;
    *ptr = NULL;
    size_t size = gl_align_up(bytes, GL_CUDA_HOST_PAGE);
    void *p = size >= bytes ? gl_aligned_alloc(eng->alloc, size, GL_CUDA_HOST_PAGE) : NULL;
    if (!p) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of host memory");
    glint_status st = gl_cuda_check(eng, cudaSetDevice(eng->device), err, "cudaSetDevice");
    if (!st) st = gl_cuda_check(
                 eng, cudaHostRegister(p, size, cudaHostRegisterPortable | cudaHostRegisterMapped),
                 err, "cudaHostRegister"); /* out of memory when it cannot page-lock */
    if (st) gl_aligned_free(eng->alloc, p);
    else *ptr = p;
    return st;
}

static void cuda_host_free(void *state, void *ptr) {
    gl_cuda_engine *eng = state;
    /* Fails when a device reset has dropped the registration already. */
    if (cudaSetDevice(eng->device) != cudaSuccess || cudaHostUnregister(ptr) != cudaSuccess)
        (void)cudaGetLastError();
    gl_aligned_free(eng->alloc, ptr);
}

static const gl_backend g_cuda_backend = {
    .name = "cuda",
    .device = GLINT_DEVICE_CUDA,
    .int8_requantize = false, /* QConvs quantise their float input as they load it */
    .available = cuda_available,
    .engine_init = cuda_engine_init,
    .engine_free = cuda_engine_free,
    .plan_prepare = gl_cuda_plan_prepare,
    .plan_release = gl_cuda_plan_release,
    .context_create = gl_cuda_context_create,
    .context_free = gl_cuda_context_free,
    .context_bind = gl_cuda_context_bind,
    .run = gl_cuda_run,
    .memory = cuda_memory,
    .host_alloc = cuda_host_alloc,
    .host_free = cuda_host_free,
};

const gl_backend *gl_backend_cuda(void) { return &g_cuda_backend; }
