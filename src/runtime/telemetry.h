/* Engine telemetry: latency histograms (overall and per shape bucket) and
 * counters, recorded lock-free from any thread with relaxed atomics.
 *
 * Histogram layout (log-linear, 8 sub-buckets per power of two): a latency
 * of v whole microseconds goes to bin v when v < 8, else, with e = floor(log2
 * v), to bin 8 + 8·(e-3) + the three bits of v below its leading one. So
 * every bin is at most 1/8 of its lower bound wide, and a percentile placed
 * inside its bin is within 1/8 of the truth. GL_TM_BINS bins reach 2^40
 * µs (12 days); larger values land in the last bin.
 *
 * Cost: gl_telemetry_record_run is a few relaxed atomic adds and one probe of
 * a 16-slot table (measured in tests/unit/test_telemetry.c: tens of ns). */
#ifndef GL_TELEMETRY_H
#define GL_TELEMETRY_H

#include <stdint.h>

#include "common/common.h"

#define GL_TM_BINS (8 + 8 * 37)

typedef enum gl_counter {
    GL_COUNTER_REQUESTS = 0,   /* requests submitted to a batcher */
    GL_COUNTER_BATCHES,        /* batches dispatched (prefer gl_telemetry_record_batch) */
    GL_COUNTER_CPU_FALLBACKS,  /* runs served by the CPU instead of the device */
    GL_COUNTER_REWARMUPS,      /* buckets rebuilt and warmed again */
    GL_COUNTER_GLYPH_CACHE_HITS,
    GL_COUNTER_GLYPH_CACHE_MISSES,
    GL_COUNTER_STYLE_CACHE_HITS,
    GL_COUNTER_STYLE_CACHE_MISSES,
    GL_COUNTER_COUNT_
} gl_counter;

typedef struct gl_telemetry gl_telemetry;

/* NULL when out of memory. The allocator must outlive the telemetry. */
gl_telemetry *gl_telemetry_new(const glint_allocator *a);
void gl_telemetry_free(gl_telemetry *tm);
/* Zeroes everything. Not safe concurrently with recording (tests, tools). */
void gl_telemetry_reset(gl_telemetry *tm);

/* One glint_run of a batch×height×width bucket. Successful runs feed the
 * latency histograms; failed ones count in errors[status]. tm may be NULL
 * (no-op). Lock-free; safe from any thread. */
void gl_telemetry_record_run(gl_telemetry *tm, int batch, int height, int width,
                             double latency_us, glint_status status);
/* Adds n to a counter. tm may be NULL. Lock-free. */
void gl_telemetry_count(gl_telemetry *tm, gl_counter counter, uint64_t n);
/* A batch of `size` requests was dispatched: counts a batch and its size. */
void gl_telemetry_record_batch(gl_telemetry *tm, int size);
/* A request (not a run) failed with status, e.g. a batcher timeout. */
void gl_telemetry_record_error(gl_telemetry *tm, glint_status status);

/* Copies the current figures. Safe while others record. */
void gl_telemetry_snapshot(const gl_telemetry *tm, glint_telemetry_snapshot *out);

/* Histogram helpers, exposed for tests. */
int gl_tm_bin(uint64_t latency_us);
/* [lower, lower + width) of a bin, in µs. */
void gl_tm_bin_range(int bin, double *lower, double *width);

#endif
