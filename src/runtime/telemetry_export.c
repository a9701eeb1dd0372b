/* Telemetry exports: the public snapshot call and its JSON and Prometheus
 * renderings. Text is built with a bounded appender that keeps counting past
 * the end of the buffer, which gives the snprintf-style "size needed". */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "runtime/engine.h"
#include "runtime/telemetry.h"


typedef struct textbuf {
    char *buf;
    size_t size, len;
} textbuf;

static void put(textbuf *t, const char *fmt, ...) GL_PRINTF(2, 3);
static void put(textbuf *t, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *dst = t->len < t->size ? t->buf + t->len : NULL;
    size_t room = t->len < t->size ? t->size - t->len : 0;
    int n = vsnprintf(dst, room, fmt, ap);
    va_end(ap);
    if (n > 0) t->len += (size_t)n;
}

static size_t finish(textbuf *t) {
    if (t->size) t->buf[t->len < t->size ? t->len : t->size - 1] = '\0';
    return t->len;
}

glint_status glint_engine_telemetry(const glint_engine *engine, glint_telemetry_snapshot *snapshot) {
    if (!snapshot) return GLINT_ERR_INVALID_ARGUMENT;
    memset(snapshot, 0, sizeof *snapshot);
    if (!engine) return GLINT_ERR_INVALID_ARGUMENT;
    gl_telemetry *tm = gl_engine_telemetry((glint_engine *)engine);
    if (!tm) return GLINT_ERR_UNSUPPORTED;
    gl_telemetry_snapshot(tm, snapshot);
    return GLINT_OK;
}

/* Upper bound of batch-size bin i (the last bin is unbounded). */
static long batch_bin_le(int i) { return 1L << i; }

static void json_latency(textbuf *t, const glint_latency_summary *l) {
    put(t, "{\"count\":%llu,\"mean\":%.3f,\"p50\":%.3f,\"p95\":%.3f,\"p99\":%.3f,\"max\":%.3f}",
        (unsigned long long)l->count, l->mean_us, l->p50_us, l->p95_us, l->p99_us, l->max_us);
}

size_t glint_telemetry_snapshot_json(const glint_telemetry_snapshot *s, char *buf, size_t size) {
    textbuf t = {buf, buf ? size : 0, 0};
    if (!s) return finish(&t);
    put(&t, "{\"runs\":%llu,\"requests\":%llu,\"batches\":%llu,\"cpu_fallbacks\":%llu,"
            "\"rewarmups\":%llu,\"glyph_cache_hits\":%llu,\"glyph_cache_misses\":%llu,"
            "\"style_cache_hits\":%llu,\"style_cache_misses\":%llu,",
        (unsigned long long)s->runs, (unsigned long long)s->requests,
        (unsigned long long)s->batches, (unsigned long long)s->cpu_fallbacks,
        (unsigned long long)s->rewarmups, (unsigned long long)s->glyph_cache_hits,
        (unsigned long long)s->glyph_cache_misses, (unsigned long long)s->style_cache_hits,
        (unsigned long long)s->style_cache_misses);
    put(&t, "\"errors\":{");
    int first = 1;
    for (int i = 1; i < GLINT_STATUS_COUNT_; i++) {
        if (!s->errors[i]) continue;
        put(&t, "%s\"%s\":%llu", first ? "" : ",", glint_status_name((glint_status)i),
            (unsigned long long)s->errors[i]);
        first = 0;
    }
    put(&t, "},\"batch_sizes\":{");
    for (int i = 0; i < GLINT_TELEMETRY_BATCH_BINS; i++) {
        if (i < GLINT_TELEMETRY_BATCH_BINS - 1)
            put(&t, "%s\"le_%ld\":%llu", i ? "," : "", batch_bin_le(i),
                (unsigned long long)s->batch_sizes[i]);
        else
            put(&t, ",\"gt_%ld\":%llu", batch_bin_le(i - 1), (unsigned long long)s->batch_sizes[i]);
    }
    put(&t, "},\"latency_us\":");
    json_latency(&t, &s->latency);
    put(&t, ",\"buckets\":[");
    for (size_t i = 0; i < s->bucket_count && i < GLINT_TELEMETRY_MAX_BUCKETS; i++) {
        const glint_bucket_latency *b = &s->buckets[i];
        put(&t, "%s{\"batch\":%d,\"height\":%d,\"width\":%d,\"latency_us\":", i ? "," : "",
            (int)b->bucket.batch, (int)b->bucket.height, (int)b->bucket.width);
        json_latency(&t, &b->latency);
        put(&t, "}");
    }
    put(&t, "],\"buckets_untracked\":%llu}", (unsigned long long)s->buckets_untracked);
    return finish(&t);
}

static void prom_counter(textbuf *t, const char *name, const char *help, uint64_t v) {
    put(t, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
        (unsigned long long)v);
}

static void prom_summary(textbuf *t, const char *name, const char *labels,
                         const glint_latency_summary *l) {
    const char *sep = labels[0] ? "," : "";
    put(t, "%s{%s%squantile=\"0.5\"} %.3f\n", name, labels, sep, l->p50_us);
    put(t, "%s{%s%squantile=\"0.95\"} %.3f\n", name, labels, sep, l->p95_us);
    put(t, "%s{%s%squantile=\"0.99\"} %.3f\n", name, labels, sep, l->p99_us);
    put(t, "%s{%s%squantile=\"1\"} %.3f\n", name, labels, sep, l->max_us);
    if (labels[0]) {
        put(t, "%s_sum{%s} %.3f\n", name, labels, l->mean_us * (double)l->count);
        put(t, "%s_count{%s} %llu\n", name, labels, (unsigned long long)l->count);
    } else {
        put(t, "%s_sum %.3f\n", name, l->mean_us * (double)l->count);
        put(t, "%s_count %llu\n", name, (unsigned long long)l->count);
    }
}

size_t glint_telemetry_snapshot_prometheus(const glint_telemetry_snapshot *s, char *buf,
                                           size_t size) {
    textbuf t = {buf, buf ? size : 0, 0};
    if (!s) return finish(&t);
    prom_counter(&t, "glint_runs_total", "glint_run calls.", s->runs);
    prom_counter(&t, "glint_requests_total", "Requests submitted to batchers.", s->requests);
    prom_counter(&t, "glint_batches_total", "Batches dispatched by batchers.", s->batches);
    prom_counter(&t, "glint_cpu_fallbacks_total", "Runs served by the CPU instead of the device.",
                 s->cpu_fallbacks);
    prom_counter(&t, "glint_rewarmups_total", "Buckets rebuilt and warmed again.", s->rewarmups);
    prom_counter(&t, "glint_glyph_cache_hits_total", "Glyph cache hits.", s->glyph_cache_hits);
    prom_counter(&t, "glint_glyph_cache_misses_total", "Glyph cache misses.", s->glyph_cache_misses);
    prom_counter(&t, "glint_style_cache_hits_total", "Style cache hits.", s->style_cache_hits);
    prom_counter(&t, "glint_style_cache_misses_total", "Style cache misses.", s->style_cache_misses);
    put(&t, "# HELP glint_errors_total Failed runs and requests by status.\n"
            "# TYPE glint_errors_total counter\n");
    for (int i = 1; i < GLINT_STATUS_COUNT_; i++)
        put(&t, "glint_errors_total{status=\"%s\"} %llu\n", glint_status_name((glint_status)i),
            (unsigned long long)s->errors[i]);
    put(&t, "# HELP glint_batch_size Requests per dispatched batch.\n"
            "# TYPE glint_batch_size histogram\n");
    uint64_t cum = 0;
    for (int i = 0; i < GLINT_TELEMETRY_BATCH_BINS - 1; i++) {
        cum += s->batch_sizes[i];
        put(&t, "glint_batch_size_bucket{le=\"%ld\"} %llu\n", batch_bin_le(i),
            (unsigned long long)cum);
    }
    cum += s->batch_sizes[GLINT_TELEMETRY_BATCH_BINS - 1];
    put(&t, "glint_batch_size_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
    put(&t, "glint_batch_size_count %llu\n", (unsigned long long)cum);
    put(&t, "# HELP glint_run_latency_us Latency of successful runs in microseconds.\n"
            "# TYPE glint_run_latency_us summary\n");
    prom_summary(&t, "glint_run_latency_us", "", &s->latency);
    put(&t, "# HELP glint_bucket_latency_us Run latency per shape bucket in microseconds.\n"
            "# TYPE glint_bucket_latency_us summary\n");
    for (size_t i = 0; i < s->bucket_count && i < GLINT_TELEMETRY_MAX_BUCKETS; i++) {
        char labels[96];
        const glint_bucket *b = &s->buckets[i].bucket;
        snprintf(labels, sizeof labels, "batch=\"%d\",height=\"%d\",width=\"%d\"", (int)b->batch,
                 (int)b->height, (int)b->width);
        prom_summary(&t, "glint_bucket_latency_us", labels, &s->buckets[i].latency);
    }
    prom_counter(&t, "glint_bucket_untracked_runs_total",
                 "Runs of shapes beyond the per-bucket table.", s->buckets_untracked);
    return finish(&t);
}

size_t glint_engine_telemetry_json(const glint_engine *engine, char *buf, size_t size) {
    glint_telemetry_snapshot s;
    glint_engine_telemetry(engine, &s); /* zeros when the engine keeps none */
    return glint_telemetry_snapshot_json(&s, buf, size);
}

size_t glint_engine_telemetry_prometheus(const glint_engine *engine, char *buf, size_t size) {
    glint_telemetry_snapshot s;
    glint_engine_telemetry(engine, &s);
    return glint_telemetry_snapshot_prometheus(&s, buf, size);
}
