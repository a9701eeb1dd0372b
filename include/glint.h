/*
 * glint — a small, fast, embeddable inference engine for neural glyph models.
 *
 * Usage (error handling shortened):
 *
 *     glint_engine_options opt;
 *     glint_engine_options_init(&opt);          // defaults: device auto, fp32
 *     glint_engine *engine = NULL;
 *     char err[256];
 *     if (glint_engine_create_from_file("models/glyph_generator.onnx", &opt,
 *                                       &engine, err, sizeof err) != GLINT_OK) {
 *         fprintf(stderr, "%s\n", err);
 *         return 1;
 *     }
 *     glint_context *ctx = NULL;                 // one per thread
 *     glint_context_create(engine, &ctx, err, sizeof err);
 *
 *     float content[64 * 64], style[64], glyph[64 * 64];
 *     glint_tensor in[2] = {
 *         {"content", GLINT_DTYPE_FLOAT32, 4, {1, 1, 64, 64}, content, sizeof content},
 *         {"style",   GLINT_DTYPE_FLOAT32, 2, {1, 64},        style,   sizeof style},
 *     };
 *     glint_tensor out[1] = {{"glyph", GLINT_DTYPE_FLOAT32, 0, {0}, glyph, sizeof glyph}};
 *     if (glint_run(ctx, in, 2, out, 1) != GLINT_OK)
 *         fprintf(stderr, "%s\n", glint_context_last_error(ctx));
 *
 *     glint_context_free(ctx);
 *     glint_engine_free(engine);
 *
 * Objects and ownership
 *   glint_engine   A loaded model with its weights and per-bucket plans.
 *                  Immutable once created; share it freely between threads.
 *                  Freed by glint_engine_free after every context is freed.
 *   glint_context  Execution state for one caller at a time: scratch arena,
 *                  and on CUDA a stream, pinned staging buffers and captured
 *                  graphs. Create one per thread. Freed by glint_context_free.
 *
 * Threading: every function is safe to call from any thread on distinct
 * objects. An engine may be used by many threads at once. A context must not
 * be used by two threads at the same time. Functions that say otherwise say so.
 *
 * Errors: every fallible function returns a glint_status. The message of the
 * last failure is kept on the handle (glint_context_last_error); creation
 * functions, which have no handle yet, write it to a caller buffer. The
 * library never aborts or exits and keeps no global mutable state.
 */
#ifndef GLINT_H
#define GLINT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define GLINT_API
#else
#define GLINT_API __attribute__((visibility("default")))
#endif

#define GLINT_VERSION_MAJOR 0
#define GLINT_VERSION_MINOR 1
#define GLINT_VERSION_PATCH 0

/* "0.1.0". Thread-safe. */
GLINT_API const char *glint_version(void);

/* ---------------------------------------------------------------- status */

/* X(name, code, message): the one table of status codes. */
#define GLINT_STATUS_TABLE(X)                                                        \
    X(OK, 0, "success")                                                              \
    X(ERR_INVALID_ARGUMENT, 1, "invalid argument")                                   \
    X(ERR_INVALID_MODEL, 2, "invalid model")                                         \
    X(ERR_UNSUPPORTED, 3, "unsupported operator, attribute or type")                 \
    X(ERR_OUT_OF_MEMORY, 4, "out of memory")                                         \
    X(ERR_NO_DEVICE, 5, "no usable device")                                          \
    X(ERR_DEVICE, 6, "device error")                                                 \
    X(ERR_IO, 7, "input/output error")                                               \
    X(ERR_TIMEOUT, 8, "deadline exceeded")                                           \
    X(ERR_SHUTDOWN, 9, "shut down")                                                  \
    X(ERR_NOT_FOUND, 10, "not found")                                                \
    X(ERR_INTERNAL, 11, "internal error")

typedef enum glint_status {
#define GLINT_STATUS_ENUM_(name, code, msg) GLINT_##name = code,
    GLINT_STATUS_TABLE(GLINT_STATUS_ENUM_)
#undef GLINT_STATUS_ENUM_
    GLINT_STATUS_COUNT_
} glint_status;

/* Static description of a status ("out of memory"). Thread-safe. */
GLINT_API const char *glint_status_str(glint_status status);
/* Its symbolic name ("GLINT_ERR_OUT_OF_MEMORY"). Thread-safe. */
GLINT_API const char *glint_status_name(glint_status status);

/* ------------------------------------------------------------ enumerations */

/* Element types; the numbers are ONNX TensorProto.DataType's. */
typedef enum glint_dtype {
    GLINT_DTYPE_UNDEFINED = 0,
    GLINT_DTYPE_FLOAT32 = 1,
    GLINT_DTYPE_UINT8 = 2,
    GLINT_DTYPE_INT8 = 3,
    GLINT_DTYPE_UINT16 = 4,
    GLINT_DTYPE_INT16 = 5,
    GLINT_DTYPE_INT32 = 6,
    GLINT_DTYPE_INT64 = 7,
    GLINT_DTYPE_STRING = 8,
    GLINT_DTYPE_BOOL = 9,
    GLINT_DTYPE_FLOAT16 = 10,
    GLINT_DTYPE_FLOAT64 = 11,
    GLINT_DTYPE_UINT32 = 12,
    GLINT_DTYPE_UINT64 = 13,
    GLINT_DTYPE_BFLOAT16 = 16
} glint_dtype;

/* "float32", "int64", ...; "undefined" for unknown values. Thread-safe. */
GLINT_API const char *glint_dtype_name(glint_dtype dtype);
/* Bytes per element, 0 for strings and unknown values. Thread-safe. */
GLINT_API size_t glint_dtype_size(glint_dtype dtype);

typedef enum glint_device {
    GLINT_DEVICE_AUTO = 0, /* CUDA when a usable GPU is present, else CPU */
    GLINT_DEVICE_CPU = 1,
    GLINT_DEVICE_CUDA = 2
} glint_device;

/* "auto", "cpu", "cuda". Thread-safe. */
GLINT_API const char *glint_device_name(glint_device device);

/* Compute precision of an engine. Inputs and outputs stay float32. */
typedef enum glint_precision {
    GLINT_PRECISION_FP32 = 0,
    GLINT_PRECISION_FP16 = 1,
    GLINT_PRECISION_BF16 = 2,
    GLINT_PRECISION_INT8 = 3
} glint_precision;

/* "fp32", "fp16", "bf16", "int8". Thread-safe. */
GLINT_API const char *glint_precision_name(glint_precision precision);
/* Parses those names; GLINT_ERR_INVALID_ARGUMENT for anything else. */
GLINT_API glint_status glint_precision_parse(const char *name, glint_precision *out);
GLINT_API glint_status glint_device_parse(const char *name, glint_device *out);

/* ------------------------------------------------------------------ options */

/* Memory hooks for every host allocation the library makes. All three must
 * be set, or the whole struct left NULL for libc. They may be called from any
 * thread. realloc(user, NULL, n) must behave like malloc. */
typedef struct glint_allocator {
    void *(*malloc)(void *user, size_t size);
    void *(*realloc)(void *user, void *ptr, size_t size);
    void (*free)(void *user, void *ptr);
    void *user;
} glint_allocator;

/* A shape class planned ahead: batch × height × width of the image inputs.
 * Requests are served by the smallest bucket that holds them exactly; a new
 * shape is planned once on first use and then cached (that first call pays
 * the planning cost, which glint_engine_info reports). A model whose plan
 * depends on the values of some inputs (a Reshape's shape, a Resize's
 * scales given as graph inputs) is planned per value instead, at the first
 * run with it, and only on the CPU backend. */
typedef struct glint_bucket {
    int32_t batch;
    int32_t height;
    int32_t width;
} glint_bucket;

typedef enum glint_log_level {
    GLINT_LOG_ERROR = 0,
    GLINT_LOG_WARN = 1,
    GLINT_LOG_INFO = 2,
    GLINT_LOG_DEBUG = 3
} glint_log_level;

/* Called with one line (no trailing newline). May be called from any thread
 * the library runs on, so it must be thread-safe. */
typedef void (*glint_log_fn)(void *user, glint_log_level level, const char *message);

/* Test hooks. Not for production use. */
enum {
    /* Test hook of the CUDA backend's recovery path (elsewhere it does
     * nothing). The first run after creation fails with GLINT_ERR_DEVICE, as
     * a run that meets a real device loss (a sticky CUDA error) does; the
     * engine marks its device state lost, and the next run on any of its
     * contexts rebuilds and re-warms it (weights, plan constants, the
     * context's arena, staging and CUDA graphs), then succeeds. A caller
     * handles a real loss the same way: retry the failed run once. */
    GLINT_FLAG_INJECT_DEVICE_LOSS = 1u << 0,
    /* Skip warm-up runs at creation (to measure the first inference). */
    GLINT_FLAG_NO_WARMUP = 1u << 1
};

typedef struct glint_engine_options {
    glint_device device;          /* default GLINT_DEVICE_AUTO */
    glint_precision precision;    /* default GLINT_PRECISION_FP32 */
    int threads;                  /* CPU worker threads per context; 0 = all cores */
    const glint_bucket *buckets;  /* planned at creation; NULL = none (plan on use) */
    size_t bucket_count;
    size_t device_memory_limit_bytes; /* cap on glint's device memory; 0 = none */
    int cuda_device;              /* CUDA device ordinal, default 0 */
    const glint_allocator *allocator; /* NULL = libc; copied at creation */
    glint_log_fn log;             /* NULL = silent */
    void *log_user;
    glint_log_level log_level;    /* default GLINT_LOG_WARN */
    uint32_t flags;               /* GLINT_FLAG_* test hooks, default 0 */
    /* int8 only: the file `glint calibrate` wrote for this model. NULL: the
     * calibration beside the model file (MODEL.calib for MODEL.onnx) when
     * the engine is created from a file and that exists; otherwise the
     * model must carry its own scales (QuantizeLinear/DequantizeLinear). */
    const char *calibration_path;
} glint_engine_options;

/* Fills defaults. Thread-safe. */
GLINT_API void glint_engine_options_init(glint_engine_options *options);

/* ------------------------------------------------------------------ engine */

typedef struct glint_engine glint_engine;
typedef struct glint_context glint_context;

/* Loads an ONNX model and plans its buckets. On success *engine owns
 * everything it needs (the file or buffer may be freed at once). On failure
 * *engine is NULL and a one-line message is written to error (when not NULL,
 * truncated to error_size). options may be NULL for defaults. Thread-safe. */
GLINT_API glint_status glint_engine_create_from_file(const char *path,
                                                     const glint_engine_options *options,
                                                     glint_engine **engine, char *error,
                                                     size_t error_size);
GLINT_API glint_status glint_engine_create_from_memory(const void *data, size_t size,
                                                       const glint_engine_options *options,
                                                       glint_engine **engine, char *error,
                                                       size_t error_size);

/* Frees an engine. Every context of it must already be freed. NULL is a
 * no-op. Not thread-safe with other uses of the same engine. */
GLINT_API void glint_engine_free(glint_engine *engine);

/* The device the engine runs on (never AUTO) and its precision. */
GLINT_API glint_device glint_engine_device(const glint_engine *engine);
GLINT_API glint_precision glint_engine_precision(const glint_engine *engine);

/* Graph inputs and outputs. Dims of -1 are dynamic. Strings are owned by the
 * engine and live as long as it. */
typedef struct glint_io_info {
    const char *name;
    glint_dtype dtype;
    int32_t rank;
    int64_t dims[8];
    /* Inputs only: the plan depends on this input's value (a shape or axes
     * given as an input), so each value gets its own plan, made at the first
     * run with it. Set as planning finds it: an engine of a model without
     * dynamic dims knows the first such input at creation, others after a
     * run. */
    int value_selects_plan;       /* 1 or 0 */
} glint_io_info;

GLINT_API size_t glint_engine_input_count(const glint_engine *engine);
GLINT_API size_t glint_engine_output_count(const glint_engine *engine);
/* GLINT_ERR_INVALID_ARGUMENT when index is out of range. */
GLINT_API glint_status glint_engine_input_info(const glint_engine *engine, size_t index,
                                               glint_io_info *info);
GLINT_API glint_status glint_engine_output_info(const glint_engine *engine, size_t index,
                                                glint_io_info *info);

/* The model's metadata_props value for key, or NULL. Owned by the engine. */
GLINT_API const char *glint_engine_metadata(const glint_engine *engine, const char *key);

/* Model facts for tools such as `glint info`. Strings owned by the engine. */
typedef struct glint_model_info {
    int64_t opset;
    int64_t ir_version;
    const char *producer;
    int64_t parameter_count;     /* elements of all initializers */
    size_t node_count;           /* after graph passes */
    size_t operator_type_count;  /* distinct op types in the loaded graph */
} glint_model_info;
GLINT_API void glint_engine_model_info(const glint_engine *engine, glint_model_info *info);
/* i-th distinct operator type of the original graph and how many nodes use it. */
GLINT_API glint_status glint_engine_operator(const glint_engine *engine, size_t index,
                                             const char **op_type, size_t *count);

/* Plan facts of one bucket, planning it if needed (which may allocate).
 * Thread-safe. */
typedef struct glint_plan_info {
    glint_bucket bucket;
    size_t arena_bytes;          /* scratch memory of one context */
    int64_t flops;               /* multiply-adds × 2 of the planned graph */
    size_t step_count;           /* kernels per run */
    double plan_ms;              /* time it took to plan */
} glint_plan_info;
GLINT_API glint_status glint_engine_plan_info(glint_engine *engine, glint_bucket bucket,
                                              glint_plan_info *info, char *error,
                                              size_t error_size);

/* Device memory owned by the engine and its contexts, in bytes (0 on CPU).
 * Thread-safe. */
typedef struct glint_memory_info {
    size_t weights_bytes;
    size_t arena_bytes;          /* all contexts' scratch arenas */
    size_t workspace_bytes;
    size_t staging_bytes;        /* pinned host staging (host memory) */
    size_t device_total_bytes;   /* weights + arenas + workspaces on the device */
} glint_memory_info;
GLINT_API void glint_engine_memory_info(const glint_engine *engine, glint_memory_info *info);

/* ----------------------------------------------------------------- context */

/* Creates execution state for one thread and builds (and, on CUDA, warms)
 * every planned bucket on it. The engine must outlive the context.
 * Thread-safe. On failure *context is NULL and a one-line message is written
 * to error (when not NULL). */
GLINT_API glint_status glint_context_create(glint_engine *engine, glint_context **context,
                                            char *error, size_t error_size);
/* NULL is a no-op. */
GLINT_API void glint_context_free(glint_context *context);

/* Message of the last failed call on this context ("" if none). Valid until
 * the next call on it. */
GLINT_API const char *glint_context_last_error(const glint_context *context);

/* A tensor passed to or returned from glint_run. For inputs every field is
 * read. For outputs the caller sets name (or NULL to take outputs in graph
 * order), data and bytes (capacity); glint writes dtype, rank and dims. When
 * the capacity is too small glint still writes dtype, rank and dims, writes
 * no data, and returns GLINT_ERR_INVALID_ARGUMENT. */
typedef struct glint_tensor {
    const char *name;
    glint_dtype dtype;
    int32_t rank;
    int64_t dims[8];
    void *data;
    size_t bytes;
} glint_tensor;

/* Runs the model synchronously. Inputs are matched by name, outputs by name
 * (or position when name is NULL). The run path allocates nothing once the
 * bucket is built. On CUDA, buffers from glint_host_alloc (below) are copied
 * to and from the device directly, without staging. Not thread-safe for one
 * context. */
GLINT_API glint_status glint_run(glint_context *context, const glint_tensor *inputs,
                                 size_t input_count, glint_tensor *outputs,
                                 size_t output_count);

/* Host memory for the inputs and outputs of glint_run. On a CUDA engine it
 * is page-locked and mapped, so the GPU reads and writes it directly, skipping
 * the host copies into and out of the context's staging buffers; memory
 * the caller page-locked itself (cudaHostAlloc, or cudaHostRegister while
 * the engine's device was current) takes the same path. On a CPU engine it
 * is ordinary 64-byte-aligned memory from the engine's allocator. Every
 * glint_run takes any host memory; this one only makes CUDA runs faster.
 *
 * *ptr receives at least bytes bytes (a valid block also for 0), or NULL on
 * failure. GLINT_ERR_INVALID_ARGUMENT when engine or ptr is NULL;
 * GLINT_ERR_OUT_OF_MEMORY when the memory cannot be allocated or
 * page-locked (another CUDA failure gives its status, as glint_run would).
 * The engine has no last error: the one-line message naming the size goes
 * to options.log at GLINT_LOG_ERROR. A real device loss (see
 * GLINT_FLAG_INJECT_DEVICE_LOSS) resets the device; the memory stays valid
 * but is no longer page-locked, so later runs copy it through staging.
 *
 * Free the memory with glint_host_free on the same engine, before
 * glint_engine_free, and not while a run uses it. A NULL ptr (or engine) is
 * a no-op. Both are thread-safe. */
GLINT_API glint_status glint_host_alloc(glint_engine *engine, size_t bytes, void **ptr);
GLINT_API void glint_host_free(glint_engine *engine, void *ptr);

/* ---------------------------------------------------------------- telemetry */
/* (telemetry block: latency histograms and counters; src/runtime/telemetry.c)
 *
 * Every engine keeps latency histograms of glint_run (overall and per shape
 * bucket) and counters. Recording is lock-free and costs well under 1 µs per
 * run (measured by tests/unit/test_telemetry.c). Latencies are kept in
 * log-linear buckets, 8 per power of two at microsecond resolution, so a
 * percentile is within 1/8 of its value (within 1 µs below 8 µs) and the
 * range reaches past 100 s. A snapshot is a consistent-enough copy taken
 * without stopping writers (counters may move while it is read). */

/* Batch sizes are counted in power-of-two bins: bin 0 holds size 1, bin i
 * (1 ≤ i < GLINT_TELEMETRY_BATCH_BINS-1) sizes 2^(i-1)+1 .. 2^i, and the last
 * bin everything larger than 2^(GLINT_TELEMETRY_BATCH_BINS-2). */
#define GLINT_TELEMETRY_BATCH_BINS 10
/* Distinct shape buckets with their own latency summary; runs of further
 * shapes count only in the overall figures (and in buckets_untracked). */
#define GLINT_TELEMETRY_MAX_BUCKETS 16

typedef struct glint_latency_summary {
    uint64_t count;
    double mean_us;
    double p50_us;
    double p95_us;
    double p99_us;
    double max_us;
} glint_latency_summary;

typedef struct glint_bucket_latency {
    glint_bucket bucket;
    glint_latency_summary latency;
} glint_bucket_latency;

typedef struct glint_telemetry_snapshot {
    uint64_t runs;               /* glint_run calls (successful or not) */
    uint64_t requests;           /* requests submitted to batchers */
    uint64_t batches;            /* batches dispatched by batchers */
    uint64_t cpu_fallbacks;      /* runs served by the CPU instead of the device */
    uint64_t rewarmups;          /* buckets rebuilt and warmed again (e.g. device loss) */
    uint64_t glyph_cache_hits, glyph_cache_misses;
    uint64_t style_cache_hits, style_cache_misses;
    uint64_t errors[GLINT_STATUS_COUNT_]; /* failed runs and requests, by status */
    uint64_t batch_sizes[GLINT_TELEMETRY_BATCH_BINS];
    glint_latency_summary latency;        /* successful runs, all shapes */
    size_t bucket_count;
    glint_bucket_latency buckets[GLINT_TELEMETRY_MAX_BUCKETS];
    uint64_t buckets_untracked;  /* runs of shapes beyond the table */
} glint_telemetry_snapshot;

/* Copies the engine's telemetry. GLINT_ERR_UNSUPPORTED when the engine keeps
 * none. Thread-safe, also while other threads run. */
GLINT_API glint_status glint_engine_telemetry(const glint_engine *engine,
                                              glint_telemetry_snapshot *snapshot);
/* The engine's telemetry as one JSON object, or as Prometheus text
 * exposition (format 0.0.4). Like snprintf: writes at most size bytes
 * including the terminating NUL and returns the length of the whole text, so
 * a return value ≥ size means it was truncated. Thread-safe. */
GLINT_API size_t glint_engine_telemetry_json(const glint_engine *engine, char *buf, size_t size);
GLINT_API size_t glint_engine_telemetry_prometheus(const glint_engine *engine, char *buf,
                                                   size_t size);
/* The same for a snapshot the caller holds. Thread-safe. */
GLINT_API size_t glint_telemetry_snapshot_json(const glint_telemetry_snapshot *snapshot,
                                               char *buf, size_t size);
GLINT_API size_t glint_telemetry_snapshot_prometheus(const glint_telemetry_snapshot *snapshot,
                                                     char *buf, size_t size);
/* end of telemetry block */

/* ---------------------------------------------------------------- batcher */
/* (batcher block: asynchronous batching queue; src/runtime/batcher.c)
 *
 * A batcher serves single-sample requests from any number of threads. It
 * owns `contexts` execution contexts, each driven by its own worker thread,
 * stacks queued requests whose inputs have the same shapes into one batch
 * (up to max_batch samples along dim 0), runs it, and copies each sample's
 * slice of the outputs back to the request that asked. Completion order is
 * free; results always go to their own request. Batches are stacked in
 * memory from glint_host_alloc (page-locked on CUDA), so the GPU reads and
 * writes a batch in place.
 *
 *     glint_batcher_options bo;
 *     glint_batcher_options_init(&bo);
 *     bo.contexts = 2;
 *     glint_batcher *b = NULL;
 *     glint_batcher_create(engine, &bo, &b, err, sizeof err);
 *     glint_request rq = {in, 2, out, 1, 0};       // inputs with dims[0] == 1
 *     glint_ticket *t = NULL;
 *     glint_batcher_submit(b, &rq, NULL, NULL, &t);
 *     glint_status s = glint_ticket_wait(t, -1);  // or a callback
 *     glint_ticket_free(t);
 *     glint_batcher_free(b);                       // before glint_engine_free
 *
 * Dispatch: when a worker is free it takes the oldest queued request and
 * every other queued request with the same input shapes, up to max_batch, in
 * submission order. With max_queue_delay_us > 0 a worker holding a batch
 * smaller than max_batch waits until the oldest request has been queued that
 * long (or the batch is full) before running it. With one context, requests
 * of one shape start in submission order.
 *
 * Timeout contract. Each request has a deadline: submit time + its
 * timeout_us (or the batcher's default_timeout_us when 0; none when both are
 * 0 or the value is negative). A request completes with GLINT_ERR_TIMEOUT,
 * and its outputs are left unwritten, when
 *   - its deadline has passed before a worker takes it, or
 *   - its batch finishes after its deadline.
 * A request never receives a late result. Before running, a worker predicts
 * the batch's run time from the run times it has measured for that batch
 * size; when the prediction overruns the earliest deadline in the batch:
 *   GLINT_TIMEOUT_FAIL_FAST: every request the prediction says will be late
 *       completes at once with GLINT_ERR_TIMEOUT; the rest run.
 *   GLINT_TIMEOUT_RETRY_SMALLER: the batch is halved (the later half goes
 *       back to the front of the queue, keeping its order) until the
 *       prediction fits or one request is left, which runs anyway. Also, a
 *       batch of more than one request that fails with GLINT_ERR_OUT_OF_MEMORY
 *       or GLINT_ERR_DEVICE is retried as two halves once per level.
 * A request that takes longer than latency_budget_us from submit to
 * completion logs a warning through options.log, at most once per second.
 *
 * glint_batcher_free stops accepting requests, completes every queued
 * request with GLINT_ERR_SHUTDOWN, waits for running batches, and joins the
 * workers. Callbacks run on worker threads and must not call
 * glint_batcher_free. */

typedef struct glint_batcher glint_batcher;
typedef struct glint_ticket glint_ticket;

typedef enum glint_timeout_policy {
    GLINT_TIMEOUT_FAIL_FAST = 0,
    GLINT_TIMEOUT_RETRY_SMALLER = 1
} glint_timeout_policy;

typedef struct glint_batcher_options {
    int contexts;                 /* execution contexts and worker threads, default 1 */
    int max_batch;                /* default 32 */
    int64_t max_queue_delay_us;   /* default 0: dispatch as soon as a context is free */
    int64_t default_timeout_us;   /* for requests with timeout_us 0; default 0 = none */
    int64_t latency_budget_us;    /* warn beyond this, default 5000 */
    glint_timeout_policy timeout_policy; /* default GLINT_TIMEOUT_FAIL_FAST */
    glint_log_fn log;             /* warnings; NULL = silent */
    void *log_user;
} glint_batcher_options;

/* One sample. Every input has dims[0] == 1 (the batcher stacks along dim 0).
 * Outputs are caller buffers (name or NULL for graph order, data, bytes), as
 * for glint_run; glint writes dtype, rank and dims (dims[0] == 1). The
 * request struct is copied at submit, but the tensor arrays and the memory
 * they point to must stay valid until the request completes. */
typedef struct glint_request {
    const glint_tensor *inputs;
    size_t input_count;
    glint_tensor *outputs;
    size_t output_count;
    int64_t timeout_us;           /* 0 = the batcher's default; < 0 = none */
} glint_request;

/* Called once per request on a worker thread when it completes. */
typedef void (*glint_request_callback)(void *user, glint_status status,
                                       const glint_request *request);

GLINT_API void glint_batcher_options_init(glint_batcher_options *options);

/* Creates the contexts and starts the workers. The engine must outlive the
 * batcher. options may be NULL for defaults. Thread-safe. */
GLINT_API glint_status glint_batcher_create(glint_engine *engine,
                                            const glint_batcher_options *options,
                                            glint_batcher **batcher, char *error,
                                            size_t error_size);
/* See the contract above. NULL is a no-op. */
GLINT_API void glint_batcher_free(glint_batcher *batcher);

/* Queues a request. Safe from any thread. callback may be NULL. When ticket
 * is not NULL, *ticket receives a handle to wait on, which the caller must
 * free with glint_ticket_free; when it is NULL the callback is the only
 * notice. Returns GLINT_ERR_INVALID_ARGUMENT for a malformed request,
 * GLINT_ERR_SHUTDOWN once the batcher is being freed, GLINT_ERR_OUT_OF_MEMORY
 * when the ticket cannot be allocated; the request is then not queued and the
 * callback is not called. */
GLINT_API glint_status glint_batcher_submit(glint_batcher *batcher, const glint_request *request,
                                            glint_request_callback callback, void *user,
                                            glint_ticket **ticket);

/* Waits until the request completes or timeout_us passes (< 0: forever) and
 * returns the request's status. If the wait itself times out it returns
 * GLINT_ERR_TIMEOUT and glint_ticket_done is still 0. The callback, if any,
 * has returned before a wait sees the completion. Safe from any thread. */
GLINT_API glint_status glint_ticket_wait(glint_ticket *ticket, int64_t timeout_us);
/* 1 when the request has completed, else 0. Never blocks. */
GLINT_API int glint_ticket_done(const glint_ticket *ticket);
/* One-line message of a failed request ("" while pending or on success).
 * Valid until the ticket is freed. */
GLINT_API const char *glint_ticket_error(const glint_ticket *ticket);
/* Frees a ticket, first waiting for its request if it is still pending.
 * NULL is a no-op. */
GLINT_API void glint_ticket_free(glint_ticket *ticket);
/* end of batcher block */

/* ---------------------------------------------------------------- glyph */
/* (glyph block: fonts in, glyph images out; src/glyph/, library glint_glyph,
 * built when FreeType and libpng are found)
 *
 * Two objects:
 *   glint_font            One face of a font file, rasterised by the models'
 *                         placement rule (docs/raster.md). Thread-safe: calls
 *                         on one font are serialised by a lock inside it.
 *   glint_glyph_renderer  The generator and style-encoder engines, a style
 *                         cache (one style vector per font file and face) and
 *                         a glyph cache (LRU, bounded in bytes). Thread-safe:
 *                         any number of threads may restyle at once.
 *
 * Images are float32, row-major, size × size, ink = 1 and paper = 0. Sizes
 * are 16 to 256 pixels (GLINT_GLYPH_MIN_SIZE..GLINT_GLYPH_MAX_SIZE).
 *
 *     glint_glyph_options o;
 *     glint_glyph_options_init(&o);
 *     glint_glyph_renderer *r = NULL;
 *     char err[256];
 *     if (glint_glyph_renderer_create("models/glyph_generator.onnx",
 *             "models/style_encoder.onnx", &o, &r, err, sizeof err) != GLINT_OK)
 *         fprintf(stderr, "%s\n", err);
 *     uint32_t cps[2] = {0x0150, 0x0151};       // Ő ő
 *     float out[2 * 64 * 64];
 *     glint_glyph_restyle(r, "MyFont.ttf", 0, NULL, cps, 2, 64, out, NULL,
 *                         err, sizeof err);
 *     glint_glyph_renderer_free(r);
 */
#define GLINT_GLYPH_MIN_SIZE 16
#define GLINT_GLYPH_MAX_SIZE 256

typedef struct glint_font glint_font;

/* Opens face face_index of a font file. Errors (one line in error):
 * GLINT_ERR_IO for a missing or unreadable file, GLINT_ERR_INVALID_ARGUMENT
 * for a file that is not a font and for a face index out of range. */
GLINT_API glint_status glint_font_open(const char *path, int face_index, glint_font **font,
                                       char *error, size_t error_size);
/* NULL is a no-op. */
GLINT_API void glint_font_close(glint_font *font);
/* Faces in the file, and the family and style names of this face (owned by
 * the font). */
GLINT_API int glint_font_face_count(const glint_font *font);
GLINT_API const char *glint_font_family(const glint_font *font);
GLINT_API const char *glint_font_style(const glint_font *font);
/* 1 when the font maps codepoint to a glyph of its own, else 0. */
GLINT_API int glint_font_has_char(glint_font *font, uint32_t codepoint);
/* Rasterises the font's own glyph into out (size × size floats) by the rule
 * of docs/raster.md (glint-raster-1 ppem=0.75 baseline=0.725).
 * GLINT_ERR_NOT_FOUND when the font lacks the character (never .notdef),
 * GLINT_ERR_INVALID_ARGUMENT for a size outside 16..256. */
GLINT_API glint_status glint_font_raster(glint_font *font, uint32_t codepoint, int size,
                                         float *out);
/* Horizontal layout at a box size (em = round(0.75 × size) pixels, as in
 * the rule): the advance in whole pixels and the kerning between two
 * characters in whole pixels (0 when the font has no kerning table). */
GLINT_API glint_status glint_font_advance(glint_font *font, uint32_t codepoint, int size,
                                          int *advance_px);
GLINT_API int glint_font_kerning(glint_font *font, uint32_t left, uint32_t right, int size);
/* Message of the last failed call on this font ("" if none). */
GLINT_API const char *glint_font_last_error(const glint_font *font);

/* The fallback (content) font when none is given: DejaVu Sans through
 * fontconfig, else the usual Debian paths. Writes the path into buf;
 * GLINT_ERR_NOT_FOUND when there is none. Thread-safe. */
GLINT_API glint_status glint_glyph_default_font(char *buf, size_t size);

typedef struct glint_glyph_options {
    glint_device device;         /* default GLINT_DEVICE_AUTO */
    /* default GLINT_PRECISION_FP32. INT8: the generator's calibration is
     * the .calib file beside it; the style encoder stays FP32. */
    glint_precision precision;
    int threads;                 /* CPU threads per context; 0 = all cores */
    size_t glyph_cache_bytes;    /* glyph cache budget; default 64 MiB; 0 = no cache */
    const char *fallback_font;   /* content font; NULL = glint_glyph_default_font */
    int fallback_face;           /* default 0 */
    glint_log_fn log;            /* NULL = silent; gets the style-cache choices */
    void *log_user;
    glint_log_level log_level;   /* default GLINT_LOG_WARN */
} glint_glyph_options;

/* Fills defaults. Thread-safe. */
GLINT_API void glint_glyph_options_init(glint_glyph_options *options);

typedef struct glint_glyph_renderer glint_glyph_renderer;

/* Loads the two models (metadata glint.role must be generator and
 * style_encoder), opens the fallback font and sizes the caches. On failure
 * *renderer is NULL and a one-line message is written to error. */
GLINT_API glint_status glint_glyph_renderer_create(const char *generator_path,
                                                   const char *style_encoder_path,
                                                   const glint_glyph_options *options,
                                                   glint_glyph_renderer **renderer,
                                                   char *error, size_t error_size);
/* NULL is a no-op. No call on the renderer may be in flight. */
GLINT_API void glint_glyph_renderer_free(glint_glyph_renderer *renderer);

/* The generator engine (for telemetry and info); owned by the renderer. */
GLINT_API glint_engine *glint_glyph_renderer_engine(glint_glyph_renderer *renderer);
/* Style vector length S of the models. */
GLINT_API size_t glint_glyph_style_dim(const glint_glyph_renderer *renderer);

/* The style vector of a font (S floats), computed once per (file, face) from
 * the model's glint.ref_chars and then served from the style cache. A font
 * lacking some reference characters still works: the fallback font's glyph
 * stands in for each missing one, and an INFO log line names them. */
GLINT_API glint_status glint_glyph_style(glint_glyph_renderer *renderer,
                                         const char *style_font, int style_face,
                                         float *style, char *error, size_t error_size);

/* Restyles count code points in the style of style_font at size × size,
 * into out (count × size × size floats, in order). The content glyphs come
 * from content_font (NULL = the renderer's fallback font). Glyphs are served
 * from the glyph cache when they can be. A code point the content font lacks
 * gets an empty (all-zero) image, GLINT_ERR_NOT_FOUND in status[i] (when
 * status is not NULL) and makes the call return GLINT_ERR_NOT_FOUND after
 * every other glyph was written. Thread-safe. */
GLINT_API glint_status glint_glyph_restyle(glint_glyph_renderer *renderer,
                                           const char *style_font, int style_face,
                                           const char *content_font,
                                           const uint32_t *codepoints, size_t count,
                                           int size, float *out, glint_status *status,
                                           char *error, size_t error_size);

typedef struct glint_glyph_cache_stats {
    uint64_t hits;
    uint64_t misses;
    uint64_t evictions;
    size_t entries;
    size_t bytes;            /* bytes held now (images and keys) */
    size_t capacity_bytes;   /* the budget */
    uint64_t style_hits;     /* style cache */
    uint64_t style_misses;
} glint_glyph_cache_stats;
GLINT_API void glint_glyph_cache_stats_get(glint_glyph_renderer *renderer,
                                           glint_glyph_cache_stats *stats);
/* end of glyph block */

#ifdef __cplusplus
}
#endif

#endif /* GLINT_H */
