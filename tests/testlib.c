#include "testlib.h"

#include "model/graph.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int tl_passed, tl_failed;
static uint64_t g_state = 0x9e3779b97f4a7c15ull;

int tl_end(const char *file) {
    const char *base = strrchr(file, '/');
    printf("%s: %d passed, %d failed\n", base ? base + 1 : file, tl_passed, tl_failed);
    return tl_failed ? 1 : 0;
}

void tl_skip(const char *reason) {
    printf("SKIP: %s\n", reason);
    exit(77);
}

void tl_seed_from_env(void) {
    const char *s = getenv("GLINT_TEST_SEED");
    uint64_t seed;
    if (s) {
        seed = strtoull(s, NULL, 0);
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20);
    }
    g_state = seed ? seed : 1;
    fprintf(stderr, "test seed: GLINT_TEST_SEED=%llu\n", (unsigned long long)seed);
}

uint64_t tl_rand_u64(void) {
    uint64_t x = g_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    g_state = x;
    return x * 0x2545f4914f6cdd1dull;
}

float tl_rand_uniform(float lo, float hi) {
    double u = (double)(tl_rand_u64() >> 11) / 9007199254740992.0;
    return (float)(lo + (hi - lo) * u);
}

void tl_fill_uniform(float *x, size_t n, float lo, float hi) {
    for (size_t i = 0; i < n; i++) x[i] = tl_rand_uniform(lo, hi);
}

void tl_poison(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = NAN;
}

bool tl_close(const float *got, const float *want, size_t n, float rtol, float atol,
              const char *what) {
    double ss = 0;
    for (size_t i = 0; i < n; i++) ss += (double)want[i] * want[i];
    double rms = n ? sqrt(ss / (double)n) : 0;
    size_t worst = 0;
    double worst_ratio = 0;
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        double tol = atol + rtol * (fabs((double)want[i]) + rms);
        double d = fabs((double)got[i] - (double)want[i]);
        if (!(d <= tol)) { /* catches NaN */
            ok = false;
            if (!(d <= worst_ratio * tol) || isnan(d)) {
                worst_ratio = isnan(d) ? INFINITY : d / tol;
                worst = i;
            }
        }
    }
    if (!ok)
        fprintf(stderr, "%s: mismatch, worst at %zu: got %g want %g (of %zu)\n", what, worst,
                (double)got[worst], (double)want[worst], n);
    return ok;
}

void *tl_read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf && n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf && size) *size = (size_t)(n > 0 ? n : 0);
    return buf;
}

gl_tensor tl_tensor(gl_dtype dtype, void *data, int rank, const int64_t *dims) {
    gl_tensor t = {.dtype = dtype, .data = data};
    t.shape.rank = rank;
    for (int i = 0; i < rank; i++) t.shape.d[i] = dims[i];
    return t;
}

struct gl_graph *tl_load_graph(const char *relpath, bool *missing) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", GLINT_SOURCE_DIR, relpath);
    size_t size;
    void *buf = tl_read_file(path, &size);
    *missing = buf == NULL;
    if (!buf) return NULL;
    gl_err err = {0};
    gl_graph *g = NULL;
    CHECK_OK(gl_onnx_load(buf, size, NULL, &g, &err));
    free(buf);
    if (g) CHECK_OK(gl_graph_optimize(g, &err));
    if (err.status != GLINT_OK) {
        fprintf(stderr, "%s: %s\n", relpath, err.msg);
        gl_graph_free(g);
        return NULL;
    }
    return g;
}
