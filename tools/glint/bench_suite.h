/* Shared between cmd_bench.c (one configuration) and bench_suite.c (the
 * issue-6 suite). */
#ifndef GLINT_BENCH_SUITE_H
#define GLINT_BENCH_SUITE_H

#include "bench_util.h"

typedef struct bench_args {
    const char *model;
    glint_engine_options eo;
    int batch, height, width;
    int iters, warmup;
    int clients;          /* concurrent threads, each with its own context */
    bool batcher;         /* clients go through a glint_batcher instead */
    int contexts;         /* batcher contexts */
    bool json, suite;
    bool pageable;        /* malloc'd buffers instead of glint_host_alloc's */
    const char *out;      /* suite: output file */
    int drift_iters, throughput_iters;
    double idle_s;        /* suite: idle time before the "after idle" run */
} bench_args;

typedef struct bench_result {
    glint_status status;
    char err[256];
    bn_stats lat;         /* per call (per request through the batcher) */
    double glyphs_per_s;
    double span_us;
} bench_result;

/* Times one configuration on an existing engine: `clients` threads, each
 * with its own context (or all through one batcher of `contexts` contexts,
 * single-sample requests, up to `batch` per batch), warmup + iters calls
 * each, on buffers from glint_host_alloc (malloc when pageable). Failures
 * are recorded in r, never fatal. */
void bench_measure(glint_engine *e, int batch, int height, int width, int clients,
                   bool use_batcher, int contexts, int warmup, int iters, bool pageable,
                   bench_result *r);

int bench_suite(const bench_args *a);

#endif
