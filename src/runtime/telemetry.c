/* Telemetry recording and snapshots. Everything a recorder touches is a
 * relaxed atomic: counts need no ordering among themselves, and a snapshot
 * is allowed to be a few runs out of step between its fields. */
#include "runtime/telemetry.h"

#include <math.h>
#include <stdatomic.h>
#include <string.h>

typedef struct gl_tm_hist {
    _Atomic uint64_t bins[GL_TM_BINS];
    _Atomic uint64_t count;
    _Atomic uint64_t sum_ns;
    _Atomic uint64_t max_ns;
} gl_tm_hist;

struct gl_telemetry {
    const glint_allocator *alloc;
    _Atomic uint64_t counters[GL_COUNTER_COUNT_];
    _Atomic uint64_t runs;
    _Atomic uint64_t errors[GLINT_STATUS_COUNT_];
    _Atomic uint64_t batch_sizes[GLINT_TELEMETRY_BATCH_BINS];
    _Atomic uint64_t untracked;
    gl_tm_hist overall;
    /* Open-addressed table of shape buckets: a slot's key is claimed once by
     * compare-and-swap from 0 and never changes afterwards. */
    _Atomic uint64_t keys[GLINT_TELEMETRY_MAX_BUCKETS];
    gl_tm_hist buckets[GLINT_TELEMETRY_MAX_BUCKETS];
};

#define RLX memory_order_relaxed

gl_telemetry *gl_telemetry_new(const glint_allocator *a) {
    if (!a) a = gl_default_allocator();
    gl_telemetry *tm = gl_calloc(a, 1, sizeof *tm);
    if (!tm) return NULL;
    tm->alloc = a;
    gl_telemetry_reset(tm);
    return tm;
}

void gl_telemetry_free(gl_telemetry *tm) {
    if (tm) gl_free(tm->alloc, tm);
}

static void hist_reset(gl_tm_hist *h) {
    for (int i = 0; i < GL_TM_BINS; i++) atomic_init(&h->bins[i], 0);
    atomic_init(&h->count, 0);
    atomic_init(&h->sum_ns, 0);
    atomic_init(&h->max_ns, 0);
}

void gl_telemetry_reset(gl_telemetry *tm) {
    for (int i = 0; i < GL_COUNTER_COUNT_; i++) atomic_init(&tm->counters[i], 0);
    for (int i = 0; i < GLINT_STATUS_COUNT_; i++) atomic_init(&tm->errors[i], 0);
    for (int i = 0; i < GLINT_TELEMETRY_BATCH_BINS; i++) atomic_init(&tm->batch_sizes[i], 0);
    atomic_init(&tm->runs, 0);
    atomic_init(&tm->untracked, 0);
    hist_reset(&tm->overall);
    for (int i = 0; i < GLINT_TELEMETRY_MAX_BUCKETS; i++) {
        atomic_init(&tm->keys[i], 0);
        hist_reset(&tm->buckets[i]);
    }
}

int gl_tm_bin(uint64_t v) {
    if (v < 8) return (int)v;
    int e = 63 - __builtin_clzll(v); /* e >= 3 */
    int sub = (int)((v >> (e - 3)) & 7);
    int bin = 8 + 8 * (e - 3) + sub;
    return bin < GL_TM_BINS ? bin : GL_TM_BINS - 1;
}

void gl_tm_bin_range(int bin, double *lower, double *width) {
    if (bin < 8) {
        *lower = bin;
        *width = 1;
        return;
    }
    int e = (bin - 8) / 8 + 3, sub = (bin - 8) % 8;
    *width = ldexp(1.0, e - 3);
    *lower = (8 + sub) * *width;
}

static void hist_add(gl_tm_hist *h, uint64_t us, uint64_t ns) {
    atomic_fetch_add_explicit(&h->bins[gl_tm_bin(us)], 1, RLX);
    atomic_fetch_add_explicit(&h->count, 1, RLX);
    atomic_fetch_add_explicit(&h->sum_ns, ns, RLX);
    uint64_t cur = atomic_load_explicit(&h->max_ns, RLX);
    while (ns > cur && !atomic_compare_exchange_weak_explicit(&h->max_ns, &cur, ns, RLX, RLX)) {
    }
}

/* The slot of a shape, claiming a free one on first sight; -1 when the
 * table is full or the shape does not fit the 16-bit key fields. */
static int bucket_slot(gl_telemetry *tm, int batch, int height, int width) {
    if (batch < 0 || height < 0 || width < 0 || batch > 0xFFFF || height > 0xFFFF || width > 0xFFFF)
        return -1;
    uint64_t key = (1ull << 63) | ((uint64_t)batch << 32) | ((uint64_t)height << 16) | (uint64_t)width;
    unsigned start = (unsigned)((key * 0x9E3779B97F4A7C15ull) >> 60) % GLINT_TELEMETRY_MAX_BUCKETS;
    for (unsigned k = 0; k < GLINT_TELEMETRY_MAX_BUCKETS; k++) {
        unsigned i = (start + k) % GLINT_TELEMETRY_MAX_BUCKETS;
        uint64_t cur = atomic_load_explicit(&tm->keys[i], memory_order_acquire);
        if (cur == key) return (int)i;
        if (cur == 0) {
            if (atomic_compare_exchange_strong_explicit(&tm->keys[i], &cur, key,
                                                        memory_order_acq_rel,
                                                        memory_order_acquire))
                return (int)i;
            if (cur == key) return (int)i;
        }
    }
    return -1;
}

void gl_telemetry_record_run(gl_telemetry *tm, int batch, int height, int width,
                             double latency_us, glint_status status) {
    if (!tm) return;
    atomic_fetch_add_explicit(&tm->runs, 1, RLX);
    if (status != GLINT_OK) {
        gl_telemetry_record_error(tm, status);
        return;
    }
    if (!(latency_us >= 0)) latency_us = 0; /* also catches NaN */
    if (latency_us > 1e15) latency_us = 1e15;
    uint64_t us = (uint64_t)latency_us;
    uint64_t ns = (uint64_t)(latency_us * 1000.0 + 0.5);
    hist_add(&tm->overall, us, ns);
    int slot = bucket_slot(tm, batch, height, width);
    if (slot >= 0) hist_add(&tm->buckets[slot], us, ns);
    else atomic_fetch_add_explicit(&tm->untracked, 1, RLX);
}

void gl_telemetry_count(gl_telemetry *tm, gl_counter counter, uint64_t n) {
    if (!tm || (int)counter < 0 || counter >= GL_COUNTER_COUNT_) return;
    atomic_fetch_add_explicit(&tm->counters[counter], n, RLX);
}

void gl_telemetry_record_batch(gl_telemetry *tm, int size) {
    if (!tm || size < 1) return;
    atomic_fetch_add_explicit(&tm->counters[GL_COUNTER_BATCHES], 1, RLX);
    int bin = 0;
    while (bin < GLINT_TELEMETRY_BATCH_BINS - 1 && (1 << bin) < size) bin++;
    atomic_fetch_add_explicit(&tm->batch_sizes[bin], 1, RLX);
}

void gl_telemetry_record_error(gl_telemetry *tm, glint_status status) {
    if (!tm) return;
    int s = (int)status;
    if (s <= 0 || s >= GLINT_STATUS_COUNT_) s = GLINT_ERR_INTERNAL;
    atomic_fetch_add_explicit(&tm->errors[s], 1, RLX);
}

/* Percentile from a copied bin array: the value at rank ceil(p·total),
 * placed inside its bin by linear interpolation over the bin's samples. */
static double hist_percentile(const uint64_t *bins, uint64_t total, double p, double max_us) {
    if (total == 0) return 0;
    double target = ceil(p * (double)total);
    if (target < 1) target = 1;
    uint64_t cum = 0;
    for (int b = 0; b < GL_TM_BINS; b++) {
        if (!bins[b]) continue;
        if ((double)(cum + bins[b]) >= target) {
            double lower, width;
            gl_tm_bin_range(b, &lower, &width);
            /* the top occupied bin is only filled up to the exact maximum */
            double upper = lower + width < max_us ? lower + width : max_us;
            if (upper < lower) upper = lower;
            return lower + (upper - lower) * ((target - (double)cum - 0.5) / (double)bins[b]);
        }
        cum += bins[b];
    }
    return max_us;
}

static void hist_summary(const gl_tm_hist *h, glint_latency_summary *s) {
    uint64_t bins[GL_TM_BINS], total = 0;
    for (int b = 0; b < GL_TM_BINS; b++) {
        bins[b] = atomic_load_explicit(&h->bins[b], RLX);
        total += bins[b];
    }
    memset(s, 0, sizeof *s);
    s->count = total;
    if (!total) return;
    s->max_us = (double)atomic_load_explicit(&h->max_ns, RLX) / 1000.0;
    uint64_t n = atomic_load_explicit(&h->count, RLX);
    s->mean_us = n ? (double)atomic_load_explicit(&h->sum_ns, RLX) / 1000.0 / (double)n : 0;
    s->p50_us = hist_percentile(bins, total, 0.50, s->max_us);
    s->p95_us = hist_percentile(bins, total, 0.95, s->max_us);
    s->p99_us = hist_percentile(bins, total, 0.99, s->max_us);
}

static bool bucket_less(const glint_bucket *a, const glint_bucket *b) {
    if (a->batch != b->batch) return a->batch < b->batch;
    if (a->height != b->height) return a->height < b->height;
    return a->width < b->width;
}

void gl_telemetry_snapshot(const gl_telemetry *tm_const, glint_telemetry_snapshot *out) {
    /* atomic loads need a non-const object in C11; the data is not modified */
    gl_telemetry *tm = (gl_telemetry *)tm_const;
    memset(out, 0, sizeof *out);
    if (!tm) return;
    out->runs = atomic_load_explicit(&tm->runs, RLX);
    out->requests = atomic_load_explicit(&tm->counters[GL_COUNTER_REQUESTS], RLX);
    out->batches = atomic_load_explicit(&tm->counters[GL_COUNTER_BATCHES], RLX);
    out->cpu_fallbacks = atomic_load_explicit(&tm->counters[GL_COUNTER_CPU_FALLBACKS], RLX);
    out->rewarmups = atomic_load_explicit(&tm->counters[GL_COUNTER_REWARMUPS], RLX);
    out->glyph_cache_hits = atomic_load_explicit(&tm->counters[GL_COUNTER_GLYPH_CACHE_HITS], RLX);
    out->glyph_cache_misses = atomic_load_explicit(&tm->counters[GL_COUNTER_GLYPH_CACHE_MISSES], RLX);
    out->style_cache_hits = atomic_load_explicit(&tm->counters[GL_COUNTER_STYLE_CACHE_HITS], RLX);
    out->style_cache_misses = atomic_load_explicit(&tm->counters[GL_COUNTER_STYLE_CACHE_MISSES], RLX);
    for (int i = 0; i < GLINT_STATUS_COUNT_; i++)
        out->errors[i] = atomic_load_explicit(&tm->errors[i], RLX);
    for (int i = 0; i < GLINT_TELEMETRY_BATCH_BINS; i++)
        out->batch_sizes[i] = atomic_load_explicit(&tm->batch_sizes[i], RLX);
    out->buckets_untracked = atomic_load_explicit(&tm->untracked, RLX);
    hist_summary(&tm->overall, &out->latency);
    for (int i = 0; i < GLINT_TELEMETRY_MAX_BUCKETS; i++) {
        uint64_t key = atomic_load_explicit(&tm->keys[i], memory_order_acquire);
        if (!key) continue;
        glint_bucket_latency *bl = &out->buckets[out->bucket_count++];
        bl->bucket.batch = (int32_t)((key >> 32) & 0xFFFF);
        bl->bucket.height = (int32_t)((key >> 16) & 0xFFFF);
        bl->bucket.width = (int32_t)(key & 0xFFFF);
        hist_summary(&tm->buckets[i], &bl->latency);
    }
    /* slots are in hash order; report buckets sorted by batch, height, width */
    for (size_t i = 1; i < out->bucket_count; i++) {
        glint_bucket_latency t = out->buckets[i];
        size_t j = i;
        while (j > 0 && bucket_less(&t.bucket, &out->buckets[j - 1].bucket)) {
            out->buckets[j] = out->buckets[j - 1];
            j--;
        }
        out->buckets[j] = t;
    }
}
