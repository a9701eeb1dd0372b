/* The environment before the kernels: driver and runtime versions, the
 * device, one trivial kernel of the backend (through gk_launch), pageable and
 * pinned copies, and a CUDA graph capture (H2D copy, kernel, D2H copy) like
 * the contexts make, and the device limits a CUDA engine lowers at creation.
 * A failure here is a machine or toolkit problem, not a
 * kernel bug; gpu_check.sh runs this binary first. One line per step. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime_api.h>

#include "backend/cuda/cuda_kernels.h"
#include "gpu_util.h"

static bool step(const char *what, cudaError_t e) {
    if (e == cudaSuccess) return true;
    printf("FAIL %s: %s (%s)\n", what, cudaGetErrorName(e), cudaGetErrorString(e));
    tl_failed++;
    return false;
}

static void report(bool ok, const char *what, double us) {
    printf("%s %s (%.0f us)\n", ok ? "PASS" : "FAIL", what, us);
    if (ok) tl_passed++;
    else tl_failed++;
}

/* y = -x on the device through the backend's own launcher. */
static cudaError_t launch_neg(const float *x, float *y, int64_t n, cudaStream_t s) {
    gk_desc d;
    memset(&d, 0, sizeof d);
    d.kind = GK_UNARY;
    d.node = -1;
    d.n_args = 2;
    d.u.unary.op = GKU_NEG;
    d.u.unary.count = n;
    void *ptrs[GK_MAX_ARGS] = {(void *)x, y};
    return (cudaError_t)gk_launch(&d, ptrs, false, s);
}

static bool check_neg(const float *x, const float *y, int64_t n, const char *what) {
    for (int64_t i = 0; i < n; i++)
        if (y[i] != -x[i]) {
            printf("     %s: element %lld is %g, want %g\n", what, (long long)i, (double)y[i],
                   (double)-x[i]);
            return false;
        }
    return true;
}

/* The CUDA context's reservations (bench/NOTES.md, "CUDA memory"): creating
 * a CUDA engine lowers the per-thread stack, printf FIFO and device malloc
 * heap limits while they still have the CUDA defaults (1 KiB, 1 MiB, 8 MiB),
 * unless GLINT_CUDA_KEEP_LIMITS=1. The free-memory change shows what the
 * context gave back (the engine's own bytes are a few KiB here). */
static void check_limits(void) {
    enum cudaLimit lim[3] = {cudaLimitStackSize, cudaLimitPrintfFifoSize, cudaLimitMallocHeapSize};
    const size_t dflt[3] = {1024, 1u << 20, 8u << 20};
    size_t before[3] = {0}, after[3] = {0}, free0 = 0, free1 = 0, total = 0;
    for (int i = 0; i < 3; i++) (void)cudaDeviceGetLimit(&before[i], lim[i]);
    (void)cudaMemGetInfo(&free0, &total);
    gu_graph b;
    gu_begin(&b, 17);
    gu_input(&b, "x", 2, (int64_t[]){1, 4});
    const char *in[] = {"x"}, *out[] = {"y"};
    gu_node(&b, "Relu", in, 1, out, 1);
    gu_output(&b, "y");
    gl_err err;
    gl_err_clear(&err);
    glint_status st = b.bad ? GLINT_ERR_INTERNAL : gl_graph_finalize(b.g, &err);
    const gl_backend *be = gl_backend_cuda();
    gl_backend_config cfg = {.alloc = gl_default_allocator(), .precision = GLINT_PRECISION_FP32,
                             .threads = 1};
    void *eng = NULL;
    if (!st) st = be->engine_init(&cfg, b.g, &eng, &err);
    for (int i = 0; i < 3; i++) (void)cudaDeviceGetLimit(&after[i], lim[i]);
    (void)cudaMemGetInfo(&free1, &total);
    printf("     limits: stack %zu -> %zu B, printf FIFO %zu -> %zu B, malloc heap %zu -> %zu B; "
           "device free memory %+.1f MiB\n",
           before[0], after[0], before[1], after[1], before[2], after[2],
           ((double)free1 - (double)free0) / (1 << 20));
    bool keep = getenv("GLINT_CUDA_KEEP_LIMITS") && strcmp(getenv("GLINT_CUDA_KEEP_LIMITS"), "0");
    bool ok = st == GLINT_OK;
    for (int i = 0; ok && i < 3; i++)
        ok = (keep || before[i] != dflt[i]) ? after[i] == before[i] : after[i] < before[i];
    if (st) printf("     engine: %s\n", err.msg);
    report(ok, "CUDA engine creation lowers the context's default stack / FIFO / heap limits", 0);
    if (eng) be->engine_free(eng);
    if (b.g) gl_graph_free(b.g);
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    int rt = 0, drv = 0, n_dev = 0;
    (void)cudaRuntimeGetVersion(&rt);
    (void)cudaDriverGetVersion(&drv);
    cudaError_t ce = cudaGetDeviceCount(&n_dev);
    printf("     CUDA runtime %d, driver supports %d, %d device(s)%s%s\n", rt, drv, n_dev,
           ce ? ": " : "", ce ? cudaGetErrorString(ce) : "");
    gu_require_gpu();
    tl_seed_from_env();
    struct cudaDeviceProp prop;
    if (!step("cudaGetDeviceProperties", cudaGetDeviceProperties(&prop, 0))) return TEST_END();
    size_t free_b = 0, total_b = 0;
    (void)cudaMemGetInfo(&free_b, &total_b);
    printf("     device 0: %s, sm_%d%d, %d SMs, %.1f GiB (%.1f GiB free), %zu KiB shared/block\n",
           prop.name, prop.major, prop.minor, prop.multiProcessorCount,
           (double)total_b / (1 << 30), (double)free_b / (1 << 30), prop.sharedMemPerBlock / 1024);
    report(prop.major >= 7, "tensor cores present (sm_70 or newer, needed by the WMMA conv)", 0);

    enum { N = 1 << 20 };
    float *hx = malloc(N * sizeof(float)), *hy = malloc(N * sizeof(float));
    float *px = NULL, *py = NULL, *dx = NULL, *dy = NULL;
    cudaStream_t s = NULL;
    cudaGraph_t graph = NULL;
    cudaGraphExec_t exec = NULL;
    tl_fill_uniform(hx, N, -1.0f, 1.0f);
    double t0 = gl_now_us();
    bool ok = step("cudaMalloc", cudaMalloc((void **)&dx, N * sizeof(float))) &&
              step("cudaMalloc", cudaMalloc((void **)&dy, N * sizeof(float)));
    if (ok) report(true, "cudaMalloc 2 x 4 MiB (first call creates the context)", gl_now_us() - t0);
    if (!ok) goto done;

    /* Pageable copies and a kernel on the legacy stream. */
    t0 = gl_now_us();
    tl_poison(hy, N);
    ok = step("cudaMemcpy H2D", cudaMemcpy(dx, hx, N * sizeof(float), cudaMemcpyHostToDevice)) &&
         step("neg kernel launch", launch_neg(dx, dy, N, NULL)) &&
         step("cudaDeviceSynchronize", cudaDeviceSynchronize()) &&
         step("cudaMemcpy D2H", cudaMemcpy(hy, dy, N * sizeof(float), cudaMemcpyDeviceToHost));
    report(ok && check_neg(hx, hy, N, "kernel"), "trivial kernel (gk_launch neg, 1M floats) and pageable copies",
           gl_now_us() - t0);

    /* Pinned staging and async copies on a non-blocking stream, as contexts do. */
    t0 = gl_now_us();
    ok = step("cudaHostAlloc", cudaHostAlloc((void **)&px, N * sizeof(float), cudaHostAllocPortable)) &&
         step("cudaHostAlloc", cudaHostAlloc((void **)&py, N * sizeof(float), cudaHostAllocPortable)) &&
         step("cudaStreamCreateWithFlags", cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    if (!ok) goto done;
    memcpy(px, hx, N * sizeof(float));
    tl_poison(py, N);
    ok = step("cudaMemcpyAsync H2D", cudaMemcpyAsync(dx, px, N * sizeof(float), cudaMemcpyHostToDevice, s)) &&
         step("neg kernel launch", launch_neg(dx, dy, N, s)) &&
         step("cudaMemcpyAsync D2H", cudaMemcpyAsync(py, dy, N * sizeof(float), cudaMemcpyDeviceToHost, s)) &&
         step("cudaStreamSynchronize", cudaStreamSynchronize(s));
    report(ok && check_neg(hx, py, N, "pinned"), "pinned async copies + kernel on a non-blocking stream",
           gl_now_us() - t0);

    /* Graph capture (thread-local mode, as the contexts use), instantiate, replay x3. */
    t0 = gl_now_us();
    ok = step("cudaStreamBeginCapture", cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
    if (ok) {
        bool enq = step("capture H2D", cudaMemcpyAsync(dx, px, N * sizeof(float), cudaMemcpyHostToDevice, s)) &&
                   step("capture kernel", launch_neg(dx, dy, N, s)) &&
                   step("capture D2H", cudaMemcpyAsync(py, dy, N * sizeof(float), cudaMemcpyDeviceToHost, s));
        cudaError_t e = cudaStreamEndCapture(s, &graph);
        ok = enq && step("cudaStreamEndCapture", e) &&
             step("cudaGraphInstantiate", cudaGraphInstantiate(&exec, graph, 0));
    }
    for (int rep = 0; ok && rep < 3; rep++) {
        tl_fill_uniform(px, N, -1.0f, 1.0f);
        tl_poison(py, N);
        ok = step("cudaGraphLaunch", cudaGraphLaunch(exec, s)) &&
             step("cudaStreamSynchronize", cudaStreamSynchronize(s)) && check_neg(px, py, N, "graph");
    }
    report(ok, "graph capture (H2D, kernel, D2H), instantiate, 3 replays on fresh inputs",
           gl_now_us() - t0);
    if (ok) { /* replay latency of this minimal graph, for scale */
        enum { R = 200 };
        t0 = gl_now_us();
        for (int rep = 0; ok && rep < R; rep++)
            ok = step("cudaGraphLaunch", cudaGraphLaunch(exec, s)) &&
                 step("cudaStreamSynchronize", cudaStreamSynchronize(s));
        printf("     graph replay + sync with 2 x 4 MiB copies: %.1f us each\n",
               (gl_now_us() - t0) / R);
    }
    check_limits();
    report(cudaGetLastError() == cudaSuccess, "no pending CUDA error", 0);
done:
    if (exec) (void)cudaGraphExecDestroy(exec);
    if (graph) (void)cudaGraphDestroy(graph);
    if (s) (void)cudaStreamDestroy(s);
    (void)cudaFree(dx);
    (void)cudaFree(dy);
    (void)cudaFreeHost(px);
    (void)cudaFreeHost(py);
    free(hx);
    free(hy);
    return TEST_END();
}
