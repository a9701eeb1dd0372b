/* `glint bench --suite MODEL --out FILE.json`: every glint figure of the
 * performance specification (bench/README.md) in one JSON file. Each
 * section records its own failure ("error") and the suite goes on: the GPU
 * run happens once and must not be lost to one broken figure. The file is
 * written to FILE.json.tmp and renamed when complete. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench_suite.h"
#include "cli.h"

#define CMD "bench --suite"

static const int k_batches[] = {1, 2, 4, 8, 16, 32};
static const int k_sizes[] = {32, 40, 48, 64, 72, 96, 128};
static const int k_clients[] = {1, 2, 4, 8, 16};
static const glint_precision k_precisions[] = {GLINT_PRECISION_FP32, GLINT_PRECISION_FP16,
                                               GLINT_PRECISION_BF16, GLINT_PRECISION_INT8};

typedef struct suite {
    const bench_args *a;
    bn_json j;
    int device_ordinal;
    bool cuda;
} suite;

static glint_status make_engine(suite *s, glint_precision p, uint32_t flags, glint_engine **e,
                                char *err, size_t n) {
    glint_engine_options o = s->a->eo;
    o.precision = p;
    o.flags |= flags;
    return glint_engine_create_from_file(s->a->model, &o, e, err, n);
}

static void put_error(suite *s, glint_status st, const char *msg) {
    bj_str(&s->j, "error", msg && msg[0] ? msg : glint_status_str(st));
    bj_str(&s->j, "status", glint_status_name(st));
}

/* The JSON goes out as it is measured, so that a run killed by its time
 * limit still leaves every finished figure on disk (bench/summarize.py
 * closes a truncated file). */
static void flush(suite *s) { fflush(s->j.f); }

static void put_result(suite *s, const bench_result *r, int batch) {
    flush(s);
    if (r->status != GLINT_OK) {
        put_error(s, r->status, r->err);
        return;
    }
    bj_stats(&s->j, "latency", &r->lat);
    bj_num(&s->j, "p50_us", r->lat.p50);
    bj_num(&s->j, "p99_us", r->lat.p99);
    bj_num(&s->j, "mean_us", r->lat.mean);
    bj_num(&s->j, "per_glyph_us", r->lat.mean / batch);
    bj_num(&s->j, "glyphs_per_s", r->glyphs_per_s);
}

static void put_gpu(suite *s, const char *key) {
    bn_gpu g;
    bn_gpu_query(s->device_ordinal, &g);
    bj_obj(&s->j, key);
    bj_bool(&s->j, "nvml", g.ok);
    if (g.ok) {
        bj_str(&s->j, "name", g.name);
        bj_str(&s->j, "driver", g.driver);
        bj_int(&s->j, "sm_clock_mhz", g.sm_clock_mhz);
        bj_int(&s->j, "max_sm_clock_mhz", g.max_sm_clock_mhz);
        bj_int(&s->j, "mem_clock_mhz", g.mem_clock_mhz);
        bj_int(&s->j, "total_bytes", (int64_t)g.total_bytes);
        bj_int(&s->j, "used_bytes", (int64_t)g.used_bytes);
        if (g.process_known) bj_int(&s->j, "process_bytes", (int64_t)g.process_bytes);
    }
    bj_int(&s->j, "host_rss_bytes", (int64_t)bn_rss_bytes());
    bj_end_obj(&s->j);
}

static void section_host(suite *s) {
    bn_json *j = &s->j;
    char date[32];
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    bj_str(j, "glint_version", glint_version());
    bj_str(j, "model", s->a->model);
    bj_str(j, "date", date);
    struct utsname u;
    if (uname(&u) == 0) {
        bj_str(j, "host", u.nodename);
        bj_str(j, "kernel", u.release);
    }
    char cpu[128] = "";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[256];
        while (fgets(line, sizeof line, f))
            if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
                snprintf(cpu, sizeof cpu, "%s", strchr(line, ':') + 2);
                cpu[strcspn(cpu, "\n")] = '\0';
                break;
            }
        fclose(f);
    }
    bj_str(j, "cpu", cpu);
    bj_int(j, "cpu_cores", sysconf(_SC_NPROCESSORS_ONLN));
    bj_int(j, "engine_threads", s->a->eo.threads);
    bj_int(j, "height", s->a->height);
    bj_int(j, "width", s->a->width);
    bj_obj(j, "iterations");
    bj_int(j, "iters", s->a->iters);
    bj_int(j, "warmup", s->a->warmup);
    bj_int(j, "throughput_iters", s->a->throughput_iters);
    bj_int(j, "drift_iters", s->a->drift_iters);
    bj_num(j, "idle_s", s->a->idle_s);
    bj_end_obj(j);
    put_gpu(s, "gpu_before");
}

/* Creates an engine of the suite's model with options o, then one context,
 * timing the two steps (ms). */
static glint_status create_timed(suite *s, const glint_engine_options *o, glint_engine **e,
                                 glint_context **ctx, double *load_ms, double *context_ms,
                                 char *err, size_t n) {
    double t0 = bn_now_us();
    glint_status st = glint_engine_create_from_file(s->a->model, o, e, err, n);
    double t1 = bn_now_us();
    if (st == GLINT_OK) st = glint_context_create(*e, ctx, err, n);
    *load_ms = (t1 - t0) / 1000.0;
    *context_ms = (bn_now_us() - t1) / 1000.0;
    return st;
}

/* Issue 3's start-up figure: the standard buckets (batch 1..32 x 32, 64,
 * 128 px) planned at engine creation, then one context (which builds and
 * warms each of them): engine creation to ready. */
static void section_ready_standard(suite *s) {
    static const int sizes[] = {32, 64, 128};
    glint_bucket b[sizeof k_batches / sizeof k_batches[0] * 3];
    size_t n = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        for (size_t k = 0; k < sizeof k_batches / sizeof k_batches[0]; k++)
            b[n++] = (glint_bucket){k_batches[k], sizes[i], sizes[i]};
    bn_json *j = &s->j;
    bj_obj(j, "standard_buckets");
    bj_int(j, "buckets", (int64_t)n);
    char err[512] = "";
    glint_engine_options o = s->a->eo;
    o.buckets = b;
    o.bucket_count = n;
    glint_engine *e = NULL;
    glint_context *ctx = NULL;
    double load_ms, context_ms;
    glint_status st = create_timed(s, &o, &e, &ctx, &load_ms, &context_ms, err, sizeof err);
    if (st == GLINT_OK) {
        bj_num(j, "load_ms", load_ms);
        bj_num(j, "context_ms", context_ms);
        bj_num(j, "ready_ms", load_ms + context_ms);
    } else {
        put_error(s, st, err);
    }
    glint_context_free(ctx);
    glint_engine_free(e);
    bj_end_obj(j);
}

/* Time to ready and the first inference, with and without warm-up. */
static void section_ready(suite *s) {
    bn_json *j = &s->j;
    bj_obj(j, "ready");
    for (int nw = 0; nw < 2; nw++) {
        bj_obj(j, nw ? "without_warmup" : "with_warmup");
        char err[512] = "";
        glint_engine_options o = s->a->eo;
        glint_bucket b = {1, s->a->height, s->a->width};
        o.buckets = &b;
        o.bucket_count = 1;
        if (nw) o.flags |= GLINT_FLAG_NO_WARMUP;
        glint_engine *e = NULL;
        glint_context *ctx = NULL;
        bn_io io;
        double load_ms, context_ms, first = NAN;
        glint_status st = create_timed(s, &o, &e, &ctx, &load_ms, &context_ms, err, sizeof err);
        double t_io = bn_now_us();
        if (st == GLINT_OK)
            st = bn_io_make(e, ctx, 1, s->a->height, s->a->width, s->a->pageable, &io, &first, err,
                            sizeof err);
        double io_ms = (bn_now_us() - t_io) / 1000.0;
        if (st == GLINT_OK) {
            double second[3];
            bj_num(j, "load_ms", load_ms);
            bj_num(j, "context_ms", context_ms);
            bj_num(j, "ready_ms", load_ms + context_ms + io_ms);
            bj_num(j, "first_run_us", first);
            if (bn_time(ctx, &io, 0, 3, second, NULL) == GLINT_OK) {
                bn_stats st3;
                bn_stats_of(second, 3, &st3);
                bj_num(j, "steady_run_us", st3.p50);
            }
            bn_io_free(&io);
        } else {
            put_error(s, st, err);
        }
        glint_context_free(ctx);
        glint_engine_free(e);
        bj_end_obj(j);
    }
    section_ready_standard(s);
    bj_end_obj(j);
}

/* Engine and process memory per batch bucket, each on a fresh engine so
 * that the figures are of that bucket alone. */
static void section_memory(suite *s) {
    bn_json *j = &s->j;
    bj_arr(j, "memory");
    const int batches[] = {1, 8, 32};
    for (size_t k = 0; k < sizeof batches / sizeof batches[0]; k++) {
        bj_obj(j, NULL);
        bj_int(j, "batch", batches[k]);
        char err[512] = "";
        bn_gpu before;
        bn_gpu_query(s->device_ordinal, &before);
        glint_engine *e = NULL;
        glint_context *ctx = NULL;
        bn_io io;
        glint_status st = make_engine(s, s->a->eo.precision, 0, &e, err, sizeof err);
        if (st == GLINT_OK) st = glint_context_create(e, &ctx, err, sizeof err);
        if (st == GLINT_OK)
            st = bn_io_make(e, ctx, batches[k], s->a->height, s->a->width, s->a->pageable, &io, NULL,
                            err, sizeof err);
        if (st == GLINT_OK) {
            glint_memory_info mi;
            glint_engine_memory_info(e, &mi);
            bj_int(j, "device_total_bytes", (int64_t)mi.device_total_bytes);
            bj_int(j, "weights_bytes", (int64_t)mi.weights_bytes);
            bj_int(j, "arena_bytes", (int64_t)mi.arena_bytes);
            bj_int(j, "workspace_bytes", (int64_t)mi.workspace_bytes);
            bj_int(j, "staging_bytes", (int64_t)mi.staging_bytes);
            glint_plan_info pi;
            glint_bucket b = {batches[k], s->a->height, s->a->width};
            if (glint_engine_plan_info(e, b, &pi, NULL, 0) == GLINT_OK) {
                bj_int(j, "plan_arena_bytes", (int64_t)pi.arena_bytes);
                bj_int(j, "flops", pi.flops);
            }
            bn_gpu after;
            bn_gpu_query(s->device_ordinal, &after);
            if (after.process_known) bj_int(j, "process_device_bytes", (int64_t)after.process_bytes);
            if (before.ok && after.ok)
                /* includes the CUDA context when this is the first engine */
                bj_int(j, "device_used_delta_bytes", (int64_t)after.used_bytes - (int64_t)before.used_bytes);
            if (after.process_known && s->cuda)
                bj_int(j, "cuda_context_bytes_est",
                       (int64_t)after.process_bytes - (int64_t)mi.device_total_bytes);
            bj_int(j, "host_rss_bytes", (int64_t)bn_rss_bytes());
            bn_io_free(&io);
        } else {
            put_error(s, st, err);
        }
        glint_context_free(ctx);
        glint_engine_free(e);
        bj_end_obj(j);
    }
    bj_end_arr(j);
}

static void section_sweeps(suite *s, glint_engine *e) {
    bn_json *j = &s->j;
    const bench_args *a = s->a;
    bench_result r;
    double b1_per = NAN;
    bj_arr(j, "batch_sweep");
    for (size_t k = 0; k < sizeof k_batches / sizeof k_batches[0]; k++) {
        int b = k_batches[k];
        bench_measure(e, b, a->height, a->width, 1, false, 1, a->warmup, a->iters, a->pageable, &r);
        bj_obj(j, NULL);
        bj_int(j, "batch", b);
        put_result(s, &r, b);
        if (r.status == GLINT_OK) {
            if (b == 1) b1_per = r.lat.mean;
            bj_num(j, "per_glyph_ratio_to_b1", r.lat.mean / b / b1_per);
        }
        bj_end_obj(j);
    }
    bj_end_arr(j);
    bj_arr(j, "resolutions");
    for (size_t k = 0; k < sizeof k_sizes / sizeof k_sizes[0]; k++) {
        bench_measure(e, 1, k_sizes[k], k_sizes[k], 1, false, 1, a->warmup, a->iters, a->pageable,
                      &r);
        bj_obj(j, NULL);
        bj_int(j, "size", k_sizes[k]);
        put_result(s, &r, 1);
        bj_end_obj(j);
    }
    bj_end_arr(j);
    bj_arr(j, "throughput");
    const int tb[] = {1, 8, 32};
    for (size_t k = 0; k < 3; k++) {
        int runs = a->throughput_iters / tb[k] > 10 ? a->throughput_iters / tb[k] : 10;
        bench_measure(e, tb[k], a->height, a->width, 1, false, 1, a->warmup, runs, a->pageable, &r);
        bj_obj(j, NULL);
        bj_int(j, "batch", tb[k]);
        bj_int(j, "runs", runs);
        put_result(s, &r, tb[k]);
        bj_end_obj(j);
    }
    bj_end_arr(j);
    for (int via = 0; via < 2; via++) {
        bj_arr(j, via ? "concurrency_batcher" : "concurrency_contexts");
        for (size_t k = 0; k < sizeof k_clients / sizeof k_clients[0]; k++) {
            int c = k_clients[k], per = a->iters / c > 20 ? a->iters / c : 20;
            bench_measure(e, via ? 32 : 1, a->height, a->width, c, via, a->contexts, a->warmup / c + 2,
                          per, a->pageable, &r);
            bj_obj(j, NULL);
            bj_int(j, "clients", c);
            if (via) bj_int(j, "contexts", a->contexts);
            bj_int(j, "calls_per_client", per);
            put_result(s, &r, 1);
            bj_end_obj(j);
        }
        bj_end_arr(j);
    }
}

/* Drift over many sequential runs, then one run after an idle period. */
static void section_drift_idle(suite *s, glint_engine *e) {
    bn_json *j = &s->j;
    const bench_args *a = s->a;
    char err[512] = "";
    glint_context *ctx = NULL;
    bn_io io;
    int n = a->drift_iters;
    double *lat = malloc(sizeof(double) * (size_t)n);
    glint_status st = lat ? glint_context_create(e, &ctx, err, sizeof err) : GLINT_ERR_OUT_OF_MEMORY;
    if (st == GLINT_OK)
        st = bn_io_make(e, ctx, 1, a->height, a->width, a->pageable, &io, NULL, err, sizeof err);
    bool have_io = st == GLINT_OK;
    bj_obj(j, "drift");
    bj_int(j, "runs", n);
    if (st == GLINT_OK) {
        st = bn_time(ctx, &io, a->warmup, n, lat, NULL);
        if (st != GLINT_OK) snprintf(err, sizeof err, "%s", glint_context_last_error(ctx));
    }
    if (st == GLINT_OK) {
        int w = n / 2 < 1000 ? n / 2 : 1000;
        double *tmp = malloc(sizeof(double) * (size_t)n);
        bn_stats first, last, all;
        memcpy(tmp, lat, sizeof(double) * (size_t)w);
        bn_stats_of(tmp, (size_t)w, &first);
        memcpy(tmp, lat + n - w, sizeof(double) * (size_t)w);
        bn_stats_of(tmp, (size_t)w, &last);
        /* p50 per consecutive window, for the report's drift plot */
        bj_arr(j, "window_p50_us");
        for (int k = 0; k + w <= n; k += w) {
            memcpy(tmp, lat + k, sizeof(double) * (size_t)w);
            bn_stats ws;
            bn_stats_of(tmp, (size_t)w, &ws);
            bj_num(j, NULL, ws.p50);
        }
        bj_end_arr(j);
        bn_stats_of(lat, (size_t)n, &all);
        bj_int(j, "window", w);
        bj_num(j, "first_p50_us", first.p50);
        bj_num(j, "last_p50_us", last.p50);
        bj_num(j, "drift_pct", (last.p50 - first.p50) / first.p50 * 100.0);
        bj_stats(j, "latency", &all);
        /* the CDF plot needs the distribution: 100 quantiles */
        bj_arr(j, "quantiles_us");
        for (int q = 1; q <= 100; q++) bj_num(j, NULL, all.n ? lat[(size_t)((double)(all.n - 1) * q / 100.0)] : NAN);
        bj_end_arr(j);
        free(tmp);
    } else {
        put_error(s, st, err);
    }
    bj_end_obj(j);
    bj_obj(j, "idle");
    bj_num(j, "idle_s", a->idle_s);
    if (st == GLINT_OK) {
        double steady[5], after;
        bn_time(ctx, &io, 0, 5, steady, NULL);
        bn_stats ss;
        bn_stats_of(steady, 5, &ss);
        struct timespec ts = {(time_t)a->idle_s, (long)((a->idle_s - floor(a->idle_s)) * 1e9)};
        nanosleep(&ts, NULL);
        st = bn_time(ctx, &io, 0, 1, &after, NULL);
        bj_num(j, "steady_p50_us", ss.p50);
        if (st == GLINT_OK) {
            bj_num(j, "after_idle_us", after);
            bj_num(j, "ratio", after / ss.p50);
        } else {
            put_error(s, st, glint_context_last_error(ctx));
        }
    }
    bj_end_obj(j);
    if (have_io) bn_io_free(&io);
    glint_context_free(ctx);
    free(lat);
}

static void section_precisions(suite *s) {
    bn_json *j = &s->j;
    bj_arr(j, "precisions");
    for (size_t k = 0; k < sizeof k_precisions / sizeof k_precisions[0]; k++) {
        bj_obj(j, NULL);
        bj_str(j, "precision", glint_precision_name(k_precisions[k]));
        char err[512] = "";
        glint_engine *e = NULL;
        glint_status st = make_engine(s, k_precisions[k], 0, &e, err, sizeof err);
        if (st == GLINT_OK) {
            const int bs[] = {1, 8, 32};
            for (int b = 0; b < 3; b++) {
                char key[8];
                snprintf(key, sizeof key, "b%d", bs[b]);
                bench_result r;
                bench_measure(e, bs[b], s->a->height, s->a->width, 1, false, 1, s->a->warmup,
                              s->a->iters / 2 + 1, s->a->pageable, &r);
                bj_obj(j, key);
                put_result(s, &r, bs[b]);
                bj_end_obj(j);
            }
        } else {
            put_error(s, st, err);
        }
        glint_engine_free(e);
        bj_end_obj(j);
    }
    bj_end_arr(j);
}

/* Which CUDA kernels ran: the kernel count and tensor-core (WMMA) conv
 * count of the batch-1 plan in each precision, read from the backend's
 * debug line, and the environment switches that change the path. */
typedef struct path_probe {
    int kernels, tensor_core;
    bool seen;
    long long stack_bytes;  /* the device limits glint found or set; -1 unknown */
    long long printf_fifo_bytes, malloc_heap_bytes;
} path_probe;

/* "CUDA: limit per-thread stack: 1024 -> 256 bytes" or
 * "CUDA: limit per-thread stack: 256 bytes (left as is)". */
static bool probe_limit(path_probe *p, const char *message) {
    char name[64];
    long long a = 0, b = 0;
    int n = sscanf(message, "CUDA: limit %63[^:]: %lld -> %lld bytes", name, &a, &b);
    if (n == 2) b = a; /* the "left as is" form */
    if (n < 2) return false;
    if (!strcmp(name, "per-thread stack")) p->stack_bytes = b;
    else if (!strcmp(name, "printf FIFO")) p->printf_fifo_bytes = b;
    else if (!strcmp(name, "device malloc heap")) p->malloc_heap_bytes = b;
    return true;
}

static void probe_log(void *user, glint_log_level level, const char *message) {
    path_probe *p = user;
    int k, w;
    if (sscanf(message, "CUDA: plan prepared: %d kernels (%d on tensor cores)", &k, &w) == 2) {
        p->kernels = k;
        p->tensor_core = w;
        p->seen = true;
    } else if (!probe_limit(p, message) && level <= GLINT_LOG_WARN) {
        cli_log(NULL, level, message);
    }
}

static void section_cuda_path(suite *s) {
    bn_json *j = &s->j;
    bj_obj(j, "cuda_path");
    const char *env[] = {"GLINT_CUDA_SIMPLE", "GLINT_CUDA_NO_GRAPH"};
    for (size_t k = 0; k < sizeof env / sizeof env[0]; k++) {
        const char *v = getenv(env[k]);
        bj_str(j, env[k], v ? v : "");
    }
    const glint_precision ps[] = {GLINT_PRECISION_FP32, GLINT_PRECISION_FP16, GLINT_PRECISION_BF16,
                                  GLINT_PRECISION_INT8};
    for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
        bj_obj(j, glint_precision_name(ps[k]));
        path_probe p = {0, 0, false, -1, -1, -1};
        glint_engine_options o = s->a->eo;
        glint_bucket b = {1, s->a->height, s->a->width};
        o.precision = ps[k];
        o.buckets = &b;
        o.bucket_count = 1;
        o.log = probe_log;
        o.log_user = &p;
        o.log_level = GLINT_LOG_DEBUG;
        char err[512] = "";
        glint_engine *e = NULL;
        glint_status st = glint_engine_create_from_file(s->a->model, &o, &e, err, sizeof err);
        if (st != GLINT_OK) put_error(s, st, err);
        else if (p.seen) {
            bj_int(j, "kernels_b1", p.kernels);
            bj_int(j, "tensor_core_convs_b1", p.tensor_core);
        }
        /* The CUDA context's size depends on these (bench/NOTES.md). */
        if (p.stack_bytes >= 0) bj_int(j, "stack_limit_bytes", p.stack_bytes);
        if (p.printf_fifo_bytes >= 0) bj_int(j, "printf_fifo_bytes", p.printf_fifo_bytes);
        if (p.malloc_heap_bytes >= 0) bj_int(j, "malloc_heap_bytes", p.malloc_heap_bytes);
        glint_engine_free(e);
        bj_end_obj(j);
    }
    bj_end_obj(j);
}

/* The recovery path, under the contract of include/glint.h
 * (GLINT_FLAG_INJECT_DEVICE_LOSS): the run that meets a device loss fails
 * with GLINT_ERR_DEVICE, as a real sticky CUDA error would; the next run
 * rebuilds and re-warms the device state (weights, plan constants, the
 * context's arena, staging and CUDA graphs) and succeeds. The section makes
 * both runs, times the recovering one against the steady state after it
 * (rebuild_us: what the rebuild added), and checks that the recovered
 * engine's outputs equal, bit for bit, those of an engine that never lost
 * its device (same inputs; the kernels are deterministic, no atomics). */
static void section_device_loss(suite *s) {
    bn_json *j = &s->j;
    bj_obj(j, "device_loss");
    bj_bool(j, "applies", s->cuda);
    bj_str(j, "contract", "the run that meets the loss returns GLINT_ERR_DEVICE; the next run "
                          "rebuilds and re-warms the device state, then succeeds");
    char err[512] = "";
    glint_engine *e = NULL, *e_ref = NULL;
    glint_context *ctx = NULL, *ctx_ref = NULL;
    bn_io io, io_ref;
    bool have_io = false, have_ref = false, recovered = false;
    glint_status st = make_engine(s, s->a->eo.precision, GLINT_FLAG_INJECT_DEVICE_LOSS, &e, err, sizeof err);
    if (st == GLINT_OK) st = glint_context_create(e, &ctx, err, sizeof err);
    if (st == GLINT_OK)
        st = bn_io_prepare(e, ctx, 1, s->a->height, s->a->width, s->a->pageable, &io, err, sizeof err);
    have_io = st == GLINT_OK;
    if (st == GLINT_OK) {
        double t0 = bn_now_us();
        glint_status lost = glint_run(ctx, io.in, io.n_in, io.out, io.n_out);
        double t1 = bn_now_us();
        bj_str(j, "loss_run_status", glint_status_name(lost));
        bj_num(j, "loss_run_us", t1 - t0);
        if (lost != GLINT_OK) bj_str(j, "loss_run_error", glint_context_last_error(ctx));
        /* Off CUDA the flag does nothing: the first run simply succeeds. */
        bool loss_as_specified = s->cuda ? lost == GLINT_ERR_DEVICE : lost == GLINT_OK;
        st = glint_run(ctx, io.in, io.n_in, io.out, io.n_out);
        double t2 = bn_now_us();
        bj_str(j, "recovery_run_status", glint_status_name(st));
        bj_num(j, "recovery_run_us", t2 - t1);
        if (st != GLINT_OK) {
            snprintf(err, sizeof err, "%s", glint_context_last_error(ctx));
        } else {
            double next[20];
            if (bn_time(ctx, &io, 0, 20, next, NULL) == GLINT_OK) {
                bn_stats ns;
                bn_stats_of(next, 20, &ns);
                bj_num(j, "next_p50_us", ns.p50);
                bj_num(j, "rebuild_us", (t2 - t1) - ns.p50);
            }
            glint_telemetry_snapshot snap;
            if (glint_engine_telemetry(e, &snap) == GLINT_OK)
                bj_int(j, "rewarmups", (int64_t)snap.rewarmups);
        }
        /* The same inputs through an engine that never lost its device. */
        bool same = false;
        if (st == GLINT_OK &&
            make_engine(s, s->a->eo.precision, 0, &e_ref, err, sizeof err) == GLINT_OK &&
            glint_context_create(e_ref, &ctx_ref, err, sizeof err) == GLINT_OK &&
            bn_io_make(e_ref, ctx_ref, 1, s->a->height, s->a->width, s->a->pageable, &io_ref, NULL,
                       err, sizeof err) == GLINT_OK) {
            have_ref = true;
            same = io_ref.n_out == io.n_out;
            for (size_t k = 0; same && k < io.n_out; k++)
                same = io.out[k].bytes == io_ref.out[k].bytes &&
                       memcmp(io.out[k].data, io_ref.out[k].data, io.out[k].bytes) == 0;
            bj_bool(j, "outputs_match_unharmed_engine", same);
        }
        recovered = loss_as_specified && st == GLINT_OK && same;
    }
    bj_bool(j, "recovered", recovered);
    if (st != GLINT_OK) put_error(s, st, err);
    if (have_io) bn_io_free(&io);
    if (have_ref) bn_io_free(&io_ref);
    glint_context_free(ctx_ref);
    glint_engine_free(e_ref);
    glint_context_free(ctx);
    glint_engine_free(e);
    bj_end_obj(j);
}

int bench_suite(const bench_args *a) {
    suite s = {.a = a, .device_ordinal = a->eo.cuda_device};
    size_t n = strlen(a->out) + 8;
    char *tmp = malloc(n);
    if (!tmp) return cli_error(CMD, "out of memory");
    snprintf(tmp, n, "%s.tmp", a->out);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        free(tmp);
        return cli_error(CMD, "cannot write '%s'", a->out);
    }
    char err[512] = "";
    glint_engine *e = NULL;
    glint_status st = make_engine(&s, a->eo.precision, 0, &e, err, sizeof err);
    bj_open(&s.j, f);
    bj_obj(&s.j, NULL);
    s.cuda = st == GLINT_OK && glint_engine_device(e) == GLINT_DEVICE_CUDA;
    bj_str(&s.j, "device", st == GLINT_OK ? glint_device_name(glint_engine_device(e)) : glint_device_name(a->eo.device));
    bj_str(&s.j, "precision", glint_precision_name(a->eo.precision));
    /* every section's buffers: glint_host_alloc's unless --pageable */
    bj_str(&s.j, "host_memory", st == GLINT_OK ? bn_host_memory(e, a->pageable) : "pageable");
    section_host(&s);
    flush(&s);
    if (st != GLINT_OK) {
        put_error(&s, st, err);
        fprintf(stderr, "glint bench --suite: %s\n", err);
    } else {
        double t0 = bn_now_us();
        fprintf(stderr, "suite: ready...\n");
        if (s.cuda) section_cuda_path(&s);
        flush(&s);
        section_ready(&s);
        flush(&s);
        fprintf(stderr, "suite: memory...\n");
        section_memory(&s);
        flush(&s);
        fprintf(stderr, "suite: batch sweep, resolutions, throughput, concurrency...\n");
        section_sweeps(&s, e);
        flush(&s);
        fprintf(stderr, "suite: drift and idle...\n");
        section_drift_idle(&s, e);
        flush(&s);
        fprintf(stderr, "suite: precisions...\n");
        section_precisions(&s);
        flush(&s);
        fprintf(stderr, "suite: device loss...\n");
        section_device_loss(&s);
        flush(&s);
        glint_telemetry_snapshot snap;
        if (glint_engine_telemetry(e, &snap) == GLINT_OK) {
            bj_obj(&s.j, "telemetry");
            bj_int(&s.j, "runs", (int64_t)snap.runs);
            bj_int(&s.j, "cpu_fallbacks", (int64_t)snap.cpu_fallbacks);
            bj_num(&s.j, "p50_us", snap.latency.p50_us);
            bj_num(&s.j, "p99_us", snap.latency.p99_us);
            bj_end_obj(&s.j);
        }
        put_gpu(&s, "gpu_after");
        bj_num(&s.j, "suite_s", (bn_now_us() - t0) / 1e6);
    }
    bj_end_obj(&s.j);
    fputc('\n', f);
    glint_engine_free(e);
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, a->out) != 0) {
        remove(tmp);
        free(tmp);
        return cli_error(CMD, "cannot write '%s'", a->out);
    }
    free(tmp);
    fprintf(stderr, "suite: wrote %s\n", a->out);
    return st == GLINT_OK ? 0 : 1;
}
