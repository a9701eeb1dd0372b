/* Helpers for `glint bench`: model inputs from the engine's input info,
 * latency statistics, a small streaming JSON writer, and process / GPU
 * memory figures (Linux /proc, NVML loaded at run time when present). */
#ifndef GLINT_BENCH_UTIL_H
#define GLINT_BENCH_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "glint.h"

/* Inputs (random floats in [0,1), integers 0) and output buffers for one
 * batch × height × width configuration of an engine. The buffers come from
 * glint_host_alloc (page-locked on CUDA, as the PyTorch anchor's pinned host
 * memory), or from malloc when pageable (--pageable). */
typedef struct bn_io {
    glint_tensor in[8], out[8];
    size_t n_in, n_out;
    glint_engine *host_engine;  /* the engine the buffers came from; NULL: malloc */
} bn_io;

/* Builds inputs from the engine's input info, sizes the outputs by one
 * discovery call on ctx (which fails on the output capacity before running),
 * then runs once; that first real run's latency goes to *first_run_us when
 * not NULL. Message in err on failure. e must outlive io. */
glint_status bn_io_make(glint_engine *e, glint_context *ctx, int batch, int height, int width,
                        bool pageable, bn_io *io, double *first_run_us, char *err,
                        size_t err_size);
/* bn_io_make without the real run: inputs made, outputs sized and
 * allocated, the backend not yet called (the device-loss section times
 * that first run itself). */
glint_status bn_io_prepare(glint_engine *e, glint_context *ctx, int batch, int height, int width,
                           bool pageable, bn_io *io, char *err, size_t err_size);
void bn_io_free(bn_io *io);
/* The JSON's "host_memory": "pinned" when runs on e copy bench's buffers
 * by DMA (glint_host_alloc on a CUDA engine), else "pageable" (pageable, or
 * a CPU engine, where glint_host_alloc gives ordinary memory). */
const char *bn_host_memory(const glint_engine *e, bool pageable);
/* Bytes of one sample of output j (its bytes over its batch dim). */
size_t bn_io_sample_out_bytes(const bn_io *io, size_t j);

typedef struct bn_stats {
    size_t n;
    double min, mean, p50, p95, p99, max;
} bn_stats;
/* Exact order statistics (sorts us in place); the rank rule is ceil(p·n). */
void bn_stats_of(double *us, size_t n, bn_stats *s);

/* Times iters runs after warmup runs; per-run host wall-clock latency goes
 * to lat_us (iters entries), the whole timed span to *span_us. */
glint_status bn_time(glint_context *ctx, bn_io *io, int warmup, int iters, double *lat_us,
                     double *span_us);

double bn_now_us(void);

/* Streaming JSON: keys are NULL inside arrays. Non-finite numbers are null. */
typedef struct bn_json {
    FILE *f;
    int depth;
    bool first[32];
} bn_json;
void bj_open(bn_json *j, FILE *f);
void bj_obj(bn_json *j, const char *key);
void bj_arr(bn_json *j, const char *key);
void bj_end_obj(bn_json *j);
void bj_end_arr(bn_json *j);
void bj_num(bn_json *j, const char *key, double v);
void bj_int(bn_json *j, const char *key, int64_t v);
void bj_str(bn_json *j, const char *key, const char *v);
void bj_bool(bn_json *j, const char *key, bool v);
void bj_null(bn_json *j, const char *key);
void bj_stats(bn_json *j, const char *key, const bn_stats *s);

/* Resident set size now and at its peak, from /proc/self/status; 0 when
 * unknown. */
uint64_t bn_rss_bytes(void);
uint64_t bn_peak_rss_bytes(void);

/* GPU facts through NVML (dlopen'ed, optional): ok is false when NVML or
 * the device is unavailable, and every figure is then absent. */
typedef struct bn_gpu {
    bool ok;
    char name[96], driver[81];
    unsigned sm_clock_mhz, mem_clock_mhz, max_sm_clock_mhz;
    uint64_t total_bytes, used_bytes;
    bool process_known;
    uint64_t process_bytes;      /* this process's device memory */
} bn_gpu;
void bn_gpu_query(int device, bn_gpu *g);

#endif
