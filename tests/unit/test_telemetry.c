/* Telemetry: histogram bins, percentiles against known distributions,
 * per-bucket figures, counters, concurrent recording, exports, and the cost
 * of one record (the ≤ 1 µs budget; the figure is printed). */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/telemetry.h"
#include "testlib.h"

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Empirical percentile with the same rank rule as the histogram. */
static double exact_pct(const double *sorted, size_t n, double p) {
    size_t rank = (size_t)ceil(p * (double)n);
    if (rank < 1) rank = 1;
    return sorted[rank - 1];
}

static void test_bins(void) {
    int prev = -1, ok_mono = 1, ok_range = 1, ok_width = 1;
    for (uint64_t v = 0; v < 200000; v += (v < 5000 ? 1 : 97)) {
        int b = gl_tm_bin(v);
        if (b < prev) ok_mono = 0;
        prev = b;
        double lo, w;
        gl_tm_bin_range(b, &lo, &w);
        if (!((double)v >= lo && (double)v < lo + w)) ok_range = 0;
        if (v >= 8 && w > lo / 8.0 + 1e-9) ok_width = 0;
    }
    CHECK(ok_mono);
    CHECK(ok_range);
    CHECK(ok_width);
    /* 100 s must still be resolved, not clamped into the last bin */
    CHECK(gl_tm_bin(100000000ull) < GL_TM_BINS - 1);
    CHECK(gl_tm_bin(UINT64_MAX) == GL_TM_BINS - 1);
}

static void check_distribution(const char *name, double (*draw)(void), size_t n) {
    gl_telemetry *tm = gl_telemetry_new(NULL);
    CHECK(tm != NULL);
    if (!tm) return;
    double *v = malloc(n * sizeof *v);
    double sum = 0, max = 0;
    for (size_t i = 0; i < n; i++) {
        v[i] = draw();
        sum += v[i];
        if (v[i] > max) max = v[i];
        gl_telemetry_record_run(tm, 1, 64, 64, v[i], GLINT_OK);
    }
    qsort(v, n, sizeof *v, cmp_double);
    glint_telemetry_snapshot s;
    gl_telemetry_snapshot(tm, &s);
    CHECK(s.latency.count == n);
    CHECK_MSG(fabs(s.latency.mean_us - sum / (double)n) < 1e-3 * (sum / (double)n) + 1e-3,
              "%s mean %g want %g", name, s.latency.mean_us, sum / (double)n);
    CHECK_MSG(fabs(s.latency.max_us - max) < 1e-3 + 1e-9 * max, "%s max %g want %g", name,
              s.latency.max_us, max);
    const double ps[3] = {0.50, 0.95, 0.99};
    const double got[3] = {s.latency.p50_us, s.latency.p95_us, s.latency.p99_us};
    for (int k = 0; k < 3; k++) {
        double want = exact_pct(v, n, ps[k]);
        /* a bin is 1/8 of its lower bound wide (1 µs below 8 µs) */
        double tol = want / 8.0 + 1.0;
        CHECK_MSG(fabs(got[k] - want) <= tol, "%s p%g: got %.2f want %.2f", name, ps[k] * 100,
                  got[k], want);
    }
    printf("%s: p50 %.1f p95 %.1f p99 %.1f max %.1f mean %.1f (n=%zu)\n", name, got[0], got[1],
           got[2], s.latency.max_us, s.latency.mean_us, n);
    free(v);
    gl_telemetry_free(tm);
}

static double draw_uniform(void) { return tl_rand_uniform(0.0f, 10000.0f); }
static double draw_exponential(void) {
    double u = tl_rand_uniform(1e-7f, 1.0f);
    return -200.0 * log(u);
}
/* bimodal: 90% around 50 µs, 10% around 5 ms (a slow path) */
static double draw_bimodal(void) {
    return (tl_rand_u64() % 10) ? tl_rand_uniform(45.0f, 55.0f) : tl_rand_uniform(4500.0f, 5500.0f);
}

static void test_small_exact(void) {
    gl_telemetry *tm = gl_telemetry_new(NULL);
    /* 1..7 µs fall into unit-wide bins: percentiles are exact to the bin */
    for (int rep = 0; rep < 10; rep++)
        for (int v = 1; v <= 7; v++) gl_telemetry_record_run(tm, 1, 8, 8, v + 0.25, GLINT_OK);
    glint_telemetry_snapshot s;
    gl_telemetry_snapshot(tm, &s);
    CHECK(s.latency.count == 70);
    CHECK(s.latency.p50_us >= 4.0 && s.latency.p50_us < 5.0);
    CHECK(s.latency.p99_us >= 7.0 && s.latency.p99_us <= 7.25);
    CHECK(fabs(s.latency.max_us - 7.25) < 1e-6);
    CHECK(fabs(s.latency.mean_us - 4.25) < 1e-6);
    gl_telemetry_free(tm);
}

static void test_buckets_counters(void) {
    gl_telemetry *tm = gl_telemetry_new(NULL);
    for (int i = 0; i < 100; i++) {
        gl_telemetry_record_run(tm, 8, 64, 64, 400 + i, GLINT_OK);
        gl_telemetry_record_run(tm, 1, 32, 32, 10, GLINT_OK);
    }
    gl_telemetry_record_run(tm, 1, 32, 32, 5, GLINT_ERR_DEVICE);
    gl_telemetry_record_run(tm, 1, 32, 32, 5, GLINT_ERR_DEVICE);
    gl_telemetry_record_error(tm, GLINT_ERR_TIMEOUT);
    gl_telemetry_count(tm, GL_COUNTER_REQUESTS, 7);
    gl_telemetry_count(tm, GL_COUNTER_CPU_FALLBACKS, 2);
    gl_telemetry_count(tm, GL_COUNTER_REWARMUPS, 1);
    gl_telemetry_count(tm, GL_COUNTER_GLYPH_CACHE_HITS, 3);
    gl_telemetry_count(tm, GL_COUNTER_GLYPH_CACHE_MISSES, 4);
    gl_telemetry_count(tm, GL_COUNTER_STYLE_CACHE_HITS, 5);
    gl_telemetry_count(tm, GL_COUNTER_STYLE_CACHE_MISSES, 6);
    const int sizes[] = {1, 2, 3, 4, 5, 32, 33, 1000};
    for (size_t i = 0; i < GL_ARRAY_LEN(sizes); i++) gl_telemetry_record_batch(tm, sizes[i]);
    glint_telemetry_snapshot s;
    gl_telemetry_snapshot(tm, &s);
    CHECK(s.runs == 202);
    CHECK(s.latency.count == 200);
    CHECK(s.errors[GLINT_ERR_DEVICE] == 2);
    CHECK(s.errors[GLINT_ERR_TIMEOUT] == 1);
    CHECK(s.requests == 7 && s.cpu_fallbacks == 2 && s.rewarmups == 1);
    CHECK(s.glyph_cache_hits == 3 && s.glyph_cache_misses == 4);
    CHECK(s.style_cache_hits == 5 && s.style_cache_misses == 6);
    CHECK(s.batches == 8);
    /* bins: 1 | 2 | 3-4 | 5-8 | ... | 17-32 | 33-64 | ... | >256 */
    CHECK(s.batch_sizes[0] == 1 && s.batch_sizes[1] == 1 && s.batch_sizes[2] == 2);
    CHECK(s.batch_sizes[3] == 1 && s.batch_sizes[5] == 1 && s.batch_sizes[6] == 1);
    CHECK(s.batch_sizes[GLINT_TELEMETRY_BATCH_BINS - 1] == 1);
    CHECK(s.bucket_count == 2);
    CHECK(s.buckets[0].bucket.batch == 1 && s.buckets[0].bucket.height == 32);
    CHECK(s.buckets[0].latency.count == 100);
    CHECK(fabs(s.buckets[0].latency.p50_us - 10.0) < 1.01);
    CHECK(s.buckets[1].bucket.batch == 8 && s.buckets[1].latency.count == 100);
    CHECK(fabs(s.buckets[1].latency.p50_us - 449.5) < 449.5 / 16 + 1);
    /* beyond the table: counted overall and as untracked */
    for (int b = 0; b < GLINT_TELEMETRY_MAX_BUCKETS + 4; b++)
        gl_telemetry_record_run(tm, b + 100, 16, 16, 3, GLINT_OK);
    gl_telemetry_snapshot(tm, &s);
    CHECK(s.bucket_count == GLINT_TELEMETRY_MAX_BUCKETS);
    CHECK(s.buckets_untracked == 6);
    CHECK(s.latency.count == 220);
    gl_telemetry_reset(tm);
    gl_telemetry_snapshot(tm, &s);
    CHECK(s.runs == 0 && s.bucket_count == 0 && s.latency.count == 0);
    gl_telemetry_free(tm);
}

enum { THREADS = 4, PER_THREAD = 50000 };
typedef struct { gl_telemetry *tm; int id; } worker_arg;

static void *worker(void *p) {
    worker_arg *w = p;
    for (int i = 0; i < PER_THREAD; i++) {
        gl_telemetry_record_run(w->tm, 1 + (i % 3), 64, 64, 100 + (i % 50), GLINT_OK);
        gl_telemetry_count(w->tm, GL_COUNTER_REQUESTS, 1);
        if (i % 1000 == 0) gl_telemetry_record_batch(w->tm, 4);
    }
    return NULL;
}

static void test_concurrent(void) {
    gl_telemetry *tm = gl_telemetry_new(NULL);
    pthread_t th[THREADS];
    worker_arg args[THREADS];
    for (int t = 0; t < THREADS; t++) {
        args[t] = (worker_arg){tm, t};
        pthread_create(&th[t], NULL, worker, &args[t]);
    }
    /* snapshots while writers run must be safe and never exceed the total */
    glint_telemetry_snapshot s;
    for (int k = 0; k < 20; k++) {
        gl_telemetry_snapshot(tm, &s);
        CHECK(s.latency.count <= (uint64_t)THREADS * PER_THREAD);
    }
    for (int t = 0; t < THREADS; t++) pthread_join(th[t], NULL);
    gl_telemetry_snapshot(tm, &s);
    CHECK(s.runs == (uint64_t)THREADS * PER_THREAD);
    CHECK(s.requests == (uint64_t)THREADS * PER_THREAD);
    CHECK(s.latency.count == (uint64_t)THREADS * PER_THREAD);
    CHECK(s.bucket_count == 3);
    uint64_t per = 0;
    for (size_t i = 0; i < s.bucket_count; i++) per += s.buckets[i].latency.count;
    CHECK(per == (uint64_t)THREADS * PER_THREAD);
    CHECK(s.batches == (uint64_t)THREADS * (PER_THREAD / 1000));
    CHECK(fabs(s.latency.max_us - 149.0) < 1e-6);
    gl_telemetry_free(tm);
}

static void test_overhead(void) {
    gl_telemetry *tm = gl_telemetry_new(NULL);
    const int n = SANITIZED ? 200000 : 2000000;
    double t0 = gl_now_us();
    for (int i = 0; i < n; i++)
        gl_telemetry_record_run(tm, 1 + (i & 7), 64, 64, (double)(i & 1023), GLINT_OK);
    double per_ns = (gl_now_us() - t0) * 1000.0 / n;
    printf("gl_telemetry_record_run: %.1f ns per call (budget 1000 ns)%s\n", per_ns,
           SANITIZED ? " [sanitizer build: not checked]" : "");
    if (!SANITIZED) CHECK_MSG(per_ns <= 1000.0, "%.1f ns per record", per_ns);
    gl_telemetry_free(tm);
}

static void test_exports(void) {
    gl_telemetry *tm = gl_telemetry_new(NULL);
    for (int i = 0; i < 1000; i++) gl_telemetry_record_run(tm, 2, 48, 48, 20 + i % 100, GLINT_OK);
    gl_telemetry_record_run(tm, 2, 48, 48, 1, GLINT_ERR_OUT_OF_MEMORY);
    gl_telemetry_record_batch(tm, 2);
    glint_telemetry_snapshot s;
    gl_telemetry_snapshot(tm, &s);

    size_t need = glint_telemetry_snapshot_json(&s, NULL, 0);
    CHECK(need > 50);
    char *buf = malloc(need + 1);
    memset(buf, 'x', need + 1);
    CHECK(glint_telemetry_snapshot_json(&s, buf, need + 1) == need);
    CHECK(strlen(buf) == need);
    CHECK(strstr(buf, "\"p99\":") != NULL);
    CHECK(strstr(buf, "\"GLINT_ERR_OUT_OF_MEMORY\":1") != NULL);
    CHECK(strstr(buf, "\"batch\":2,\"height\":48,\"width\":48") != NULL);
    int depth = 0, bad = 0;
    for (char *c = buf; *c; c++) {
        depth += (*c == '{' || *c == '[') - (*c == '}' || *c == ']');
        if (depth < 0) bad = 1;
    }
    CHECK(depth == 0 && !bad);
    /* truncation: NUL-terminated, same length returned */
    char small[16];
    CHECK(glint_telemetry_snapshot_json(&s, small, sizeof small) == need);
    CHECK(strlen(small) == sizeof small - 1);
    free(buf);

    need = glint_telemetry_snapshot_prometheus(&s, NULL, 0);
    buf = malloc(need + 1);
    CHECK(glint_telemetry_snapshot_prometheus(&s, buf, need + 1) == need);
    CHECK(strstr(buf, "glint_runs_total 1001\n") != NULL);
    CHECK(strstr(buf, "glint_errors_total{status=\"GLINT_ERR_OUT_OF_MEMORY\"} 1\n") != NULL);
    CHECK(strstr(buf, "glint_run_latency_us_count 1000\n") != NULL);
    CHECK(strstr(buf, "glint_batch_size_bucket{le=\"+Inf\"} 1\n") != NULL);
    CHECK(strstr(buf, "glint_bucket_latency_us{batch=\"2\",height=\"48\",width=\"48\",quantile=\"0.99\"}") != NULL);
    /* every non-comment line is "name{labels} value" or "name value" */
    int lines_ok = 1;
    for (char *line = buf; *line;) {
        char *nl = strchr(line, '\n');
        if (!nl) { lines_ok = 0; break; }
        if (line[0] != '#') {
            char *sp = memchr(line, ' ', (size_t)(nl - line));
            if (!sp || sp == line) lines_ok = 0;
        }
        line = nl + 1;
    }
    CHECK(lines_ok);
    free(buf);
    /* an engine-less call reports unsupported and exports zeros */
    CHECK(glint_engine_telemetry(NULL, &s) == GLINT_ERR_INVALID_ARGUMENT);
    gl_telemetry_free(tm);
}

int main(void) {
    tl_seed_from_env();
    test_bins();
    check_distribution("uniform[0,10000)", draw_uniform, 100000);
    check_distribution("exponential(200)", draw_exponential, 100000);
    check_distribution("bimodal(50|5000)", draw_bimodal, 100000);
    test_small_exact();
    test_buckets_counters();
    test_concurrent();
    test_overhead();
    test_exports();
    return TEST_END();
}
