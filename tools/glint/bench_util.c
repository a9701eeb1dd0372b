/* Helpers for `glint bench` (see bench_util.h). */
#include "bench_util.h"

#include <dlfcn.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double bn_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec * 1e-3;
}

/* ------------------------------------------------------------- inputs */


static float rand01(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (float)(*s >> 40) / 16777216.0f;
}

static int64_t style_dim(glint_engine *e) {
    const char *s = glint_engine_metadata(e, "glint.style_dim");
    long v = s ? strtol(s, NULL, 10) : 0;
    return v > 0 ? v : 1;
}

/* bytes (at least one) from glint_host_alloc on io->host_engine, or from
 * malloc when that is NULL. */
static void *io_alloc(bn_io *io, size_t bytes) {
    void *p = NULL;
    if (!io->host_engine) return malloc(bytes ? bytes : 1);
    return glint_host_alloc(io->host_engine, bytes, &p) == GLINT_OK ? p : NULL;
}

static void io_release(bn_io *io, void *p) {
    if (io->host_engine) glint_host_free(io->host_engine, p);
    else free(p);
}

const char *bn_host_memory(const glint_engine *e, bool pageable) {
    return !pageable && glint_engine_device(e) == GLINT_DEVICE_CUDA ? "pinned" : "pageable";
}

glint_status bn_io_prepare(glint_engine *e, glint_context *ctx, int batch, int height, int width,
                           bool pageable, bn_io *io, char *err, size_t err_size) {
    memset(io, 0, sizeof *io);
    io->host_engine = pageable ? NULL : e;
    uint64_t rng = 0x9E3779B97F4A7C15ull ^ (uint64_t)(batch * 131 + height * 7 + width);
    size_t n_in = glint_engine_input_count(e), n_out = glint_engine_output_count(e);
    if (n_in > 8 || n_out > 8) {
        snprintf(err, err_size, "the model has %zu inputs and %zu outputs; bench handles 8 each",
                 n_in, n_out);
        return GLINT_ERR_UNSUPPORTED;
    }
    for (size_t i = 0; i < n_in; i++) {
        glint_io_info info;
        glint_engine_input_info(e, i, &info);
        glint_tensor *t = &io->in[i];
        t->name = info.name;
        t->dtype = info.dtype;
        t->rank = info.rank;
        size_t count = 1;
        for (int d = 0; d < info.rank; d++) {
            int64_t v = info.dims[d];
            if (d == 0 && (v < 0 || info.rank >= 2)) v = batch; /* [N,...] gets N */
            else if (v < 0 && info.rank >= 3 && d == info.rank - 2) v = height;
            else if (v < 0 && info.rank >= 3 && d == info.rank - 1) v = width;
            else if (v < 0 && info.rank == 2 && d == 1) v = style_dim(e);
            else if (v < 0) v = 1;
            t->dims[d] = v;
            count *= (size_t)v;
        }
        size_t es = glint_dtype_size(info.dtype);
        if (!es) {
            snprintf(err, err_size, "input '%s' has type %s, which bench cannot fill", info.name,
                     glint_dtype_name(info.dtype));
            bn_io_free(io);
            return GLINT_ERR_UNSUPPORTED;
        }
        t->bytes = count * es;
        t->data = io_alloc(io, t->bytes);
        if (!t->data) { bn_io_free(io); snprintf(err, err_size, "out of memory"); return GLINT_ERR_OUT_OF_MEMORY; }
        memset(t->data, 0, t->bytes); /* integer inputs stay 0 */
        if (info.dtype == GLINT_DTYPE_FLOAT32)
            for (size_t k = 0; k < count; k++) ((float *)t->data)[k] = rand01(&rng);
        io->n_in++;
    }
    /* one run with empty output buffers reports the output shapes */
    static float probe[1];
    for (size_t j = 0; j < n_out; j++)
        io->out[j] = (glint_tensor){NULL, GLINT_DTYPE_UNDEFINED, 0, {0}, probe, 0};
    io->n_out = n_out;
    glint_status st = glint_run(ctx, io->in, io->n_in, io->out, io->n_out);
    for (size_t j = 0; j < n_out && st != GLINT_OK; j++) {
        glint_tensor *t = &io->out[j];
        if (t->rank <= 0 || !glint_dtype_size(t->dtype)) {
            snprintf(err, err_size, "%s", glint_context_last_error(ctx));
            bn_io_free(io);
            return st;
        }
    }
    for (size_t j = 0; j < n_out; j++) {
        glint_tensor *t = &io->out[j];
        size_t count = 1;
        for (int d = 0; d < t->rank; d++) count *= (size_t)t->dims[d];
        t->bytes = count * glint_dtype_size(t->dtype);
        t->data = io_alloc(io, t->bytes);
        if (!t->data) { bn_io_free(io); snprintf(err, err_size, "out of memory"); return GLINT_ERR_OUT_OF_MEMORY; }
    }
    return GLINT_OK;
}

glint_status bn_io_make(glint_engine *e, glint_context *ctx, int batch, int height, int width,
                        bool pageable, bn_io *io, double *first_run_us, char *err,
                        size_t err_size) {
    glint_status st = bn_io_prepare(e, ctx, batch, height, width, pageable, io, err, err_size);
    if (st != GLINT_OK) return st;
    double t0 = bn_now_us();
    st = glint_run(ctx, io->in, io->n_in, io->out, io->n_out);
    if (first_run_us) *first_run_us = bn_now_us() - t0;
    if (st != GLINT_OK) {
        snprintf(err, err_size, "%s", glint_context_last_error(ctx));
        bn_io_free(io);
    }
    return st;
}

void bn_io_free(bn_io *io) {
    for (size_t i = 0; i < 8; i++) {
        io_release(io, io->in[i].data);
        if (io->out[i].bytes) io_release(io, io->out[i].data);
        io->in[i].data = io->out[i].data = NULL;
        io->out[i].bytes = 0;
    }
}

size_t bn_io_sample_out_bytes(const bn_io *io, size_t j) {
    const glint_tensor *t = &io->out[j];
    return t->rank > 0 && t->dims[0] > 0 ? t->bytes / (size_t)t->dims[0] : t->bytes;
}

/* -------------------------------------------------------------- timing */

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void bn_stats_of(double *us, size_t n, bn_stats *s) {
    memset(s, 0, sizeof *s);
    s->n = n;
    if (!n) {
        s->min = s->mean = s->p50 = s->p95 = s->p99 = s->max = NAN;
        return;
    }
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += us[i];
    qsort(us, n, sizeof *us, cmp_d);
    const double ps[3] = {0.50, 0.95, 0.99};
    double *out[3] = {&s->p50, &s->p95, &s->p99};
    for (int k = 0; k < 3; k++) {
        size_t r = (size_t)ceil(ps[k] * (double)n);
        *out[k] = us[(r ? r : 1) - 1];
    }
    s->min = us[0];
    s->max = us[n - 1];
    s->mean = sum / (double)n;
}

glint_status bn_time(glint_context *ctx, bn_io *io, int warmup, int iters, double *lat_us,
                     double *span_us) {
    for (int i = 0; i < warmup; i++) {
        glint_status st = glint_run(ctx, io->in, io->n_in, io->out, io->n_out);
        if (st != GLINT_OK) return st;
    }
    double t0 = bn_now_us();
    for (int i = 0; i < iters; i++) {
        double a = bn_now_us();
        glint_status st = glint_run(ctx, io->in, io->n_in, io->out, io->n_out);
        lat_us[i] = bn_now_us() - a;
        if (st != GLINT_OK) return st;
    }
    if (span_us) *span_us = bn_now_us() - t0;
    return GLINT_OK;
}

/* ---------------------------------------------------------------- JSON */

void bj_open(bn_json *j, FILE *f) {
    memset(j, 0, sizeof *j);
    j->f = f;
    j->first[0] = true;
}

static void key(bn_json *j, const char *k) {
    if (!j->first[j->depth]) fputc(',', j->f);
    j->first[j->depth] = false;
    if (k) {
        fputc('"', j->f);
        for (const char *c = k; *c; c++) {
            if (*c == '"' || *c == '\\') fputc('\\', j->f);
            fputc(*c, j->f);
        }
        fputs("\":", j->f);
    }
}

static void open_(bn_json *j, const char *k, char c) {
    key(j, k);
    fputc(c, j->f);
    if (j->depth < 31) j->depth++;
    j->first[j->depth] = true;
}

void bj_obj(bn_json *j, const char *k) { open_(j, k, '{'); }
void bj_arr(bn_json *j, const char *k) { open_(j, k, '['); }
void bj_end_obj(bn_json *j) { if (j->depth > 0) j->depth--; fputc('}', j->f); }
void bj_end_arr(bn_json *j) { if (j->depth > 0) j->depth--; fputc(']', j->f); }

void bj_num(bn_json *j, const char *k, double v) {
    key(j, k);
    if (isfinite(v)) fprintf(j->f, "%.6g", v);
    else fputs("null", j->f);
}
void bj_int(bn_json *j, const char *k, int64_t v) { key(j, k); fprintf(j->f, "%lld", (long long)v); }
void bj_bool(bn_json *j, const char *k, bool v) { key(j, k); fputs(v ? "true" : "false", j->f); }
void bj_null(bn_json *j, const char *k) { key(j, k); fputs("null", j->f); }

void bj_str(bn_json *j, const char *k, const char *v) {
    key(j, k);
    if (!v) { fputs("null", j->f); return; }
    fputc('"', j->f);
    for (const unsigned char *c = (const unsigned char *)v; *c; c++) {
        if (*c == '"' || *c == '\\') fprintf(j->f, "\\%c", *c);
        else if (*c < 0x20) fprintf(j->f, "\\u%04x", *c);
        else fputc(*c, j->f);
    }
    fputc('"', j->f);
}

void bj_stats(bn_json *j, const char *k, const bn_stats *s) {
    bj_obj(j, k);
    bj_int(j, "n", (int64_t)s->n);
    bj_num(j, "p50_us", s->p50);
    bj_num(j, "p95_us", s->p95);
    bj_num(j, "p99_us", s->p99);
    bj_num(j, "max_us", s->max);
    bj_num(j, "mean_us", s->mean);
    bj_num(j, "min_us", s->min);
    bj_end_obj(j);
}

/* -------------------------------------------------------------- memory */

static uint64_t proc_status_kb(const char *field) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return 0;
    char line[256];
    uint64_t kb = 0;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0) { kb = strtoull(line + n, NULL, 10); break; }
    fclose(f);
    return kb * 1024;
}

uint64_t bn_rss_bytes(void) { return proc_status_kb("VmRSS:"); }
uint64_t bn_peak_rss_bytes(void) { return proc_status_kb("VmHWM:"); }

/* NVML, declared by hand so that no NVIDIA header is needed to build. */
typedef struct nvml_mem { unsigned long long total, free, used; } nvml_mem;
typedef struct nvml_proc1 { unsigned pid; unsigned long long used; } nvml_proc1;
typedef struct nvml_proc2 { unsigned pid; unsigned long long used; unsigned gi, ci; } nvml_proc2;

void bn_gpu_query(int device, bn_gpu *g) {
    memset(g, 0, sizeof *g);
    void *h = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!h) return;
    int (*init)(void) = (int (*)(void))dlsym(h, "nvmlInit_v2");
    int (*shutdown)(void) = (int (*)(void))dlsym(h, "nvmlShutdown");
    int (*handle)(unsigned, void **) = (int (*)(unsigned, void **))dlsym(h, "nvmlDeviceGetHandleByIndex_v2");
    int (*name)(void *, char *, unsigned) = (int (*)(void *, char *, unsigned))dlsym(h, "nvmlDeviceGetName");
    int (*drv)(char *, unsigned) = (int (*)(char *, unsigned))dlsym(h, "nvmlSystemGetDriverVersion");
    int (*mem)(void *, nvml_mem *) = (int (*)(void *, nvml_mem *))dlsym(h, "nvmlDeviceGetMemoryInfo");
    int (*clk)(void *, int, unsigned *) = (int (*)(void *, int, unsigned *))dlsym(h, "nvmlDeviceGetClockInfo");
    int (*maxclk)(void *, int, unsigned *) = (int (*)(void *, int, unsigned *))dlsym(h, "nvmlDeviceGetMaxClockInfo");
    int procs_v = 2;
    void *procs = dlsym(h, "nvmlDeviceGetComputeRunningProcesses_v3");
    if (!procs) procs = dlsym(h, "nvmlDeviceGetComputeRunningProcesses_v2");
    if (!procs) { procs = dlsym(h, "nvmlDeviceGetComputeRunningProcesses"); procs_v = 1; }
    void *dev = NULL;
    if (!init || !handle || init() != 0) { dlclose(h); return; }
    if (handle((unsigned)device, &dev) == 0) {
        g->ok = true;
        if (name) name(dev, g->name, sizeof g->name);
        if (drv) drv(g->driver, sizeof g->driver);
        nvml_mem m;
        if (mem && mem(dev, &m) == 0) { g->total_bytes = m.total; g->used_bytes = m.used; }
        if (clk) { clk(dev, 1, &g->sm_clock_mhz); clk(dev, 2, &g->mem_clock_mhz); }
        if (maxclk) maxclk(dev, 1, &g->max_sm_clock_mhz);
        if (procs) {
            int (*fn)(void *, unsigned *, void *) = (int (*)(void *, unsigned *, void *))procs;
            unsigned count = 64;
            nvml_proc2 buf[64]; /* large enough for either layout */
            if (fn(dev, &count, buf) == 0) {
                unsigned me = (unsigned)getpid();
                for (unsigned i = 0; i < count && i < 64; i++) {
                    unsigned pid = procs_v == 1 ? ((nvml_proc1 *)buf)[i].pid : buf[i].pid;
                    unsigned long long used = procs_v == 1 ? ((nvml_proc1 *)buf)[i].used : buf[i].used;
                    if (pid == me) { g->process_known = true; g->process_bytes = used; }
                }
            }
        }
    }
    if (shutdown) shutdown();
    dlclose(h);
}
