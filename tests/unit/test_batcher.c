/* The batcher core with a scripted runner (y = 2x + 1 per sample, with
 * controllable run times and failures): ordering, shape grouping, both
 * timeout policies, retry on failure, shutdown, the latency-budget warning,
 * queue delay, bad requests, and 16 threads × 1,000 requests each receiving
 * its own result. The engine-backed batcher is tested in
 * test_batcher_engine.c. Runs under TSan via scripts/tsan.sh. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/batcher.h"
#include "testlib.h"

#define LOG_MAX 4096
#define GATE -1.0f /* x[1] == GATE: the runner holds this batch gate_us longer */

typedef struct fake {
    pthread_mutex_t mu;
    int per_batch_us, per_sample_us, gate_us;
    int fail_above;             /* batches larger than this fail with OOM (0: never) */
    float ids[LOG_MAX];         /* x[0] of each sample, in run order */
    int n_ids, batches, max_seen;
    atomic_int opened, closed;
    atomic_int runs_started;    /* lets a test wait until a batch is running */
    /* the runner's own batch buffers (test_batch_buffers): live ones, and
     * whether a run read or wrote anything else */
    void *bufs[LOG_MAX];
    int n_bufs, allocs, frees;
    bool foreign_buf;
} fake;

static void sleep_us(long us) {
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* Waits (up to 10 s) until the runner has started n batches: a test that
 * needs "the gate is running" must not rely on a sleep, which a loaded
 * machine can outlast. */
static void wait_runs(fake *f, int n) {
    for (int i = 0; i < 50000 && atomic_load(&f->runs_started) < n; i++) sleep_us(200);
}

static glint_status f_open(void *user, void **state, gl_err *err) {
    fake *f = user;
    *state = (void *)(intptr_t)(atomic_fetch_add(&f->opened, 1) + 1);
    return GLINT_OK;
}
static void f_close(void *user, void *state) { atomic_fetch_add(&((fake *)user)->closed, 1); }

static glint_status f_run(void *user, void *state, const glint_tensor *in, size_t n_in,
                          glint_tensor *out, size_t n_out, gl_err *err) {
    fake *f = user;
    int n = (int)in[0].dims[0];
    int64_t k = in[0].dims[1];
    const float *x = in[0].data;
    int gated = 0;
    atomic_fetch_add(&f->runs_started, 1);
    pthread_mutex_lock(&f->mu);
    if (f->n_bufs) {
        bool in_ok = false, out_ok = false;
        for (int i = 0; i < f->n_bufs; i++) {
            in_ok |= f->bufs[i] == in[0].data;
            out_ok |= f->bufs[i] == out[0].data;
        }
        f->foreign_buf |= !in_ok || !out_ok;
    }
    f->batches++;
    if (n > f->max_seen) f->max_seen = n;
    for (int i = 0; i < n; i++) {
        if (f->n_ids < LOG_MAX) f->ids[f->n_ids++] = x[i * k];
        if (k > 1 && x[i * k + 1] == GATE) gated = 1;
    }
    pthread_mutex_unlock(&f->mu);
    sleep_us(f->per_batch_us + (long)f->per_sample_us * n + (gated ? f->gate_us : 0));
    if (f->fail_above && n > f->fail_above)
        return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "fake: batch %d too large", n);
    out[0].dtype = GLINT_DTYPE_FLOAT32;
    out[0].rank = 2;
    out[0].dims[0] = n;
    out[0].dims[1] = k;
    if (out[0].bytes < (size_t)(n * k) * sizeof(float))
        return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "fake: output too small");
    float *y = out[0].data;
    for (int64_t i = 0; i < n * k; i++) y[i] = 2.0f * x[i] + 1.0f;
    return GLINT_OK;
}

static void *f_buf_alloc(void *user, size_t bytes) {
    fake *f = user;
    void *p = malloc(bytes);
    pthread_mutex_lock(&f->mu);
    if (p && f->n_bufs < LOG_MAX) f->bufs[f->n_bufs++] = p;
    f->allocs++;
    pthread_mutex_unlock(&f->mu);
    return p;
}

static void f_buf_free(void *user, void *ptr) {
    fake *f = user;
    pthread_mutex_lock(&f->mu);
    for (int i = 0; i < f->n_bufs; i++)
        if (f->bufs[i] == ptr) f->bufs[i] = f->bufs[--f->n_bufs];
    f->frees++;
    pthread_mutex_unlock(&f->mu);
    free(ptr);
}

static fake *fake_new(void) {
    fake *f = calloc(1, sizeof *f);
    pthread_mutex_init(&f->mu, NULL);
    return f;
}

static glint_batcher *make(fake *f, int contexts, int max_batch, glint_timeout_policy pol) {
    glint_batcher_options o;
    glint_batcher_options_init(&o);
    o.contexts = contexts;
    o.max_batch = max_batch;
    o.timeout_policy = pol;
    o.latency_budget_us = 0;
    gl_batch_runner r = {.open = f_open, .close = f_close, .run = f_run, .user = f};
    glint_batcher *b = NULL;
    gl_err err;
    CHECK_OK(gl_batcher_create_with_runner(&r, &o, NULL, NULL, &b, &err));
    return b;
}

/* One request's storage: input [1,K], output [1,K] poisoned. */
typedef struct req {
    float x[8], y[8];
    glint_tensor in, out;
    glint_request r;
    glint_ticket *t;
} req;

/* Fresh values in [0,1) from the shared test generator, or from a
 * thread's own state when rng is given (the shared one is not thread-safe). */
static float rand01(uint64_t *rng) {
    if (!rng) return tl_rand_uniform(0.0f, 1.0f);
    *rng ^= *rng << 13;
    *rng ^= *rng >> 7;
    *rng ^= *rng << 17;
    return (float)(*rng >> 40) / 16777216.0f;
}

static void req_init_rng(req *q, float id, int k, int64_t timeout_us, uint64_t *rng) {
    memset(q, 0, sizeof *q);
    q->x[0] = id;
    for (int i = 1; i < k; i++) q->x[i] = rand01(rng);
    tl_poison(q->y, 8);
    q->in = (glint_tensor){"x", GLINT_DTYPE_FLOAT32, 2, {1, k}, q->x, sizeof(float) * (size_t)k};
    q->out = (glint_tensor){NULL, GLINT_DTYPE_UNDEFINED, 0, {0}, q->y, sizeof q->y};
    q->r = (glint_request){&q->in, 1, &q->out, 1, timeout_us};
}

static void req_init(req *q, float id, int k, int64_t timeout_us) {
    req_init_rng(q, id, k, timeout_us, NULL);
}

static bool req_correct(const req *q) {
    int k = (int)q->in.dims[1];
    if (q->out.rank != 2 || q->out.dims[0] != 1 || q->out.dims[1] != k) return false;
    for (int i = 0; i < k; i++)
        if (q->y[i] != 2.0f * q->x[i] + 1.0f) return false;
    for (int i = k; i < 8; i++)
        if (!isnan(q->y[i])) return false; /* nothing written past the sample */
    return true;
}

static bool req_untouched(const req *q) {
    for (int i = 0; i < 8; i++)
        if (!isnan(q->y[i])) return false;
    return true;
}

static void test_ordering_and_grouping(void) {
    fake *f = fake_new();
    f->per_batch_us = 2000;
    glint_batcher *b = make(f, 1, 4, GLINT_TIMEOUT_FAIL_FAST);
    enum { N = 40 };
    req *q = calloc(N, sizeof *q);
    for (int i = 0; i < N; i++) {
        req_init(&q[i], (float)i, (i % 3 == 0) ? 6 : 4, 0); /* two shapes, interleaved */
        CHECK_OK(glint_batcher_submit(b, &q[i].r, NULL, NULL, &q[i].t));
    }
    int ok = 0;
    for (int i = 0; i < N; i++) {
        CHECK_OK(glint_ticket_wait(q[i].t, -1));
        CHECK(glint_ticket_done(q[i].t));
        CHECK(strcmp(glint_ticket_error(q[i].t), "") == 0);
        ok += req_correct(&q[i]);
        glint_ticket_free(q[i].t);
    }
    CHECK(ok == N);
    /* one context: samples of one shape start in submission order */
    int in_order = 1;
    float last4 = -1, last6 = -1;
    for (int i = 0; i < f->n_ids; i++) {
        int id = (int)f->ids[i];
        float *last = (id % 3 == 0) ? &last6 : &last4;
        if (f->ids[i] <= *last) in_order = 0;
        *last = f->ids[i];
    }
    CHECK(f->n_ids == N);
    CHECK(in_order);
    CHECK(f->max_seen <= 4 && f->max_seen > 1); /* the queue filled while busy */
    glint_batcher_free(b);
    CHECK(atomic_load(&f->opened) == 1 && atomic_load(&f->closed) == 1);
    free(q);
    free(f);
}

static void test_deadlines_fail_fast(void) {
    fake *f = fake_new();
    f->per_batch_us = 30000;
    glint_batcher *b = make(f, 1, 8, GLINT_TIMEOUT_FAIL_FAST);
    req a, late, fine;
    req_init(&a, 1, 4, 0);
    req_init(&late, 2, 4, 5000);    /* queued behind a 30 ms run: expires in the queue */
    req_init(&fine, 3, 4, 2000000);
    CHECK_OK(glint_batcher_submit(b, &a.r, NULL, NULL, &a.t));
    wait_runs(f, 1);                /* a is running */
    CHECK_OK(glint_batcher_submit(b, &late.r, NULL, NULL, &late.t));
    CHECK_OK(glint_batcher_submit(b, &fine.r, NULL, NULL, &fine.t));
    CHECK_OK(glint_ticket_wait(a.t, -1));
    CHECK(glint_ticket_wait(late.t, -1) == GLINT_ERR_TIMEOUT);
    CHECK(strstr(glint_ticket_error(late.t), "deadline") != NULL);
    CHECK_OK(glint_ticket_wait(fine.t, -1));
    CHECK(req_correct(&a) && req_correct(&fine));
    CHECK(req_untouched(&late));
    for (int i = 0; i < f->n_ids; i++) CHECK(f->ids[i] != 2.0f); /* never ran */
    /* now 30 ms per batch is known: a 10 ms request fails at once, unrun */
    req quick;
    req_init(&quick, 4, 4, 10000);
    double t0 = gl_now_us();
    CHECK_OK(glint_batcher_submit(b, &quick.r, NULL, NULL, &quick.t));
    CHECK(glint_ticket_wait(quick.t, -1) == GLINT_ERR_TIMEOUT);
    CHECK_MSG(gl_now_us() - t0 < 25000, "fail-fast took %.0f us", gl_now_us() - t0);
    CHECK(req_untouched(&quick));
    /* a wait that times out reports TIMEOUT with the ticket still pending */
    req slow;
    req_init(&slow, 5, 4, 0);
    CHECK_OK(glint_batcher_submit(b, &slow.r, NULL, NULL, &slow.t));
    CHECK(glint_ticket_wait(slow.t, 1000) == GLINT_ERR_TIMEOUT);
    CHECK(!glint_ticket_done(slow.t));
    CHECK_OK(glint_ticket_wait(slow.t, -1));
    CHECK(req_correct(&slow));
    glint_ticket *ts[] = {a.t, late.t, fine.t, quick.t, slow.t};
    for (size_t i = 0; i < GL_ARRAY_LEN(ts); i++) glint_ticket_free(ts[i]);
    glint_batcher_free(b);
    free(f);

    /* no estimate yet: the request runs, finishes late, gets TIMEOUT */
    f = fake_new();
    f->per_batch_us = 30000;
    b = make(f, 1, 8, GLINT_TIMEOUT_FAIL_FAST);
    req first;
    req_init(&first, 6, 4, 10000);
    CHECK_OK(glint_batcher_submit(b, &first.r, NULL, NULL, &first.t));
    CHECK(glint_ticket_wait(first.t, -1) == GLINT_ERR_TIMEOUT);
    CHECK(f->n_ids == 1);           /* it ran */
    CHECK(req_untouched(&first));   /* but no late result was delivered */
    glint_ticket_free(first.t);
    glint_batcher_free(b);
    free(f);
}

/* A gate request holds the only context 50 ms; 8 requests with a 100 ms
 * timeout wait behind it; each sample then costs 10 ms. */
static void gated_burst(glint_timeout_policy pol, int *n_ok, int *n_timeout, int *max_seen,
                        int *all_consistent) {
    fake *f = fake_new();
    f->per_sample_us = 10000;
    f->gate_us = 40000;
    glint_batcher *b = make(f, 1, 8, pol);
    req prime, gate, q[8];
    req_init(&prime, 100, 4, 0);
    CHECK_OK(glint_batcher_submit(b, &prime.r, NULL, NULL, &prime.t));
    CHECK_OK(glint_ticket_wait(prime.t, -1)); /* teaches the batcher ~10 ms per sample */
    req_init(&gate, 101, 4, 0);
    gate.x[1] = GATE;
    CHECK_OK(glint_batcher_submit(b, &gate.r, NULL, NULL, &gate.t));
    wait_runs(f, 2); /* prime, then the gate */
    pthread_mutex_lock(&f->mu);
    f->max_seen = 0;
    pthread_mutex_unlock(&f->mu);
    for (int i = 0; i < 8; i++) {
        req_init(&q[i], (float)i, 4, 100000);
        CHECK_OK(glint_batcher_submit(b, &q[i].r, NULL, NULL, &q[i].t));
    }
    *n_ok = *n_timeout = 0;
    *all_consistent = 1;
    for (int i = 0; i < 8; i++) {
        glint_status s = glint_ticket_wait(q[i].t, -1);
        if (s == GLINT_OK) { (*n_ok)++; if (!req_correct(&q[i])) *all_consistent = 0; }
        else if (s == GLINT_ERR_TIMEOUT) { (*n_timeout)++; if (!req_untouched(&q[i])) *all_consistent = 0; }
        else *all_consistent = 0;
        glint_ticket_free(q[i].t);
    }
    CHECK_OK(glint_ticket_wait(gate.t, -1));
    glint_ticket_free(gate.t);
    glint_ticket_free(prime.t);
    *max_seen = f->max_seen;
    glint_batcher_free(b);
    free(f);
}

static void test_deadline_policies(void) {
    int ok, to, max_seen, consistent;
    gated_burst(GLINT_TIMEOUT_FAIL_FAST, &ok, &to, &max_seen, &consistent);
    printf("fail fast: %d ok, %d timed out, largest batch %d\n", ok, to, max_seen);
    CHECK(consistent);
    CHECK(ok + to == 8);
    CHECK(to == 8);          /* 8 × 10 ms cannot fit the 50 ms left: all fail, unrun */
    CHECK(max_seen <= 1);    /* only the gate ran */
    gated_burst(GLINT_TIMEOUT_RETRY_SMALLER, &ok, &to, &max_seen, &consistent);
    printf("retry smaller: %d ok, %d timed out, largest batch %d\n", ok, to, max_seen);
    CHECK(consistent);
    CHECK(ok + to == 8);
    CHECK(ok >= 1);          /* halving lets part of the burst meet its deadline */
    CHECK(max_seen < 8);
}

static void test_retry_on_failure(void) {
    for (int pol = 0; pol < 2; pol++) {
        fake *f = fake_new();
        f->fail_above = 2;
        f->gate_us = 20000;
        glint_batcher *b = make(f, 1, 8, (glint_timeout_policy)pol);
        req gate, q[8];
        req_init(&gate, 50, 4, 0);
        gate.x[1] = GATE;
        CHECK_OK(glint_batcher_submit(b, &gate.r, NULL, NULL, &gate.t));
        wait_runs(f, 1);
        for (int i = 0; i < 8; i++) {
            req_init(&q[i], (float)i, 4, 0);
            CHECK_OK(glint_batcher_submit(b, &q[i].r, NULL, NULL, &q[i].t));
        }
        int ok = 0, oom = 0;
        for (int i = 0; i < 8; i++) {
            glint_status s = glint_ticket_wait(q[i].t, -1);
            ok += s == GLINT_OK && req_correct(&q[i]);
            oom += s == GLINT_ERR_OUT_OF_MEMORY && strstr(glint_ticket_error(q[i].t), "too large");
            glint_ticket_free(q[i].t);
        }
        CHECK_OK(glint_ticket_wait(gate.t, -1));
        glint_ticket_free(gate.t);
        if (pol == GLINT_TIMEOUT_RETRY_SMALLER) CHECK_MSG(ok == 8, "retry: %d ok", ok);
        else CHECK_MSG(oom == 8, "fail fast: %d out of memory", oom);
        glint_batcher_free(b);
        free(f);
    }
}

static void test_shutdown_and_bad_requests(void) {
    fake *f = fake_new();
    f->gate_us = 30000;
    glint_batcher *b = make(f, 1, 2, GLINT_TIMEOUT_FAIL_FAST);
    req gate, q[6];
    req_init(&gate, 1, 4, 0);
    gate.x[1] = GATE;
    CHECK_OK(glint_batcher_submit(b, &gate.r, NULL, NULL, &gate.t));
    wait_runs(f, 1);
    for (int i = 0; i < 6; i++) {
        req_init(&q[i], (float)(10 + i), 4, 0);
        CHECK_OK(glint_batcher_submit(b, &q[i].r, NULL, NULL, &q[i].t));
    }
    /* bad requests are refused at submit, never queued */
    req bad;
    req_init(&bad, 99, 4, 0);
    bad.in.dims[0] = 2;
    CHECK(glint_batcher_submit(b, &bad.r, NULL, NULL, &bad.t) == GLINT_ERR_INVALID_ARGUMENT);
    CHECK(bad.t == NULL);
    req_init(&bad, 99, 4, 0);
    bad.in.bytes = 4;
    CHECK(glint_batcher_submit(b, &bad.r, NULL, NULL, &bad.t) == GLINT_ERR_INVALID_ARGUMENT);
    req_init(&bad, 99, 4, 0);
    bad.r.output_count = 0;
    CHECK(glint_batcher_submit(b, &bad.r, NULL, NULL, &bad.t) == GLINT_ERR_INVALID_ARGUMENT);
    CHECK(glint_batcher_submit(NULL, &bad.r, NULL, NULL, &bad.t) == GLINT_ERR_INVALID_ARGUMENT);
    glint_batcher_free(b);      /* the gate finishes; the queued six are refused */
    CHECK_OK(glint_ticket_wait(gate.t, -1));
    CHECK(req_correct(&gate));
    for (int i = 0; i < 6; i++) {
        CHECK(glint_ticket_wait(q[i].t, 0) == GLINT_ERR_SHUTDOWN);
        CHECK(req_untouched(&q[i]));
        glint_ticket_free(q[i].t);
    }
    glint_ticket_free(gate.t);
    free(f);
    glint_batcher_options o;
    glint_batcher_options_init(&o);
    CHECK(o.max_batch == 32 && o.max_queue_delay_us == 0 && o.latency_budget_us == 5000);
    o.contexts = 0;
    gl_batch_runner r = {.open = f_open, .close = f_close, .run = f_run, .user = NULL};
    gl_err err;
    CHECK(gl_batcher_create_with_runner(&r, &o, NULL, NULL, &b, &err) == GLINT_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.msg, "contexts") != NULL && b == NULL);
}

/* A runner that supplies the batch buffers (as an engine's glint_host_alloc
 * does): every batch is stacked in them, they grow with the batch, and
 * each is freed once; a runner with only one of the two hooks is refused. */
static void test_batch_buffers(void) {
    fake *f = fake_new();
    glint_batcher_options o;
    glint_batcher_options_init(&o);
    o.contexts = 1;
    o.max_batch = 8;
    o.latency_budget_us = 0;
    f->gate_us = 20000;
    gl_batch_runner r = {.open = f_open, .close = f_close, .run = f_run,
                         .buf_alloc = f_buf_alloc, .buf_free = f_buf_free, .user = f};
    glint_batcher *b = NULL;
    gl_err err;
    CHECK_OK(gl_batcher_create_with_runner(&r, &o, NULL, NULL, &b, &err));
    req q[9];
    /* a batch of one (held at the gate while the other eight queue), then
     * one of eight: the buffers grow */
    req_init(&q[0], 0, 4, 0);
    q[0].x[1] = GATE;
    CHECK_OK(glint_batcher_submit(b, &q[0].r, NULL, NULL, &q[0].t));
    wait_runs(f, 1);
    for (int i = 1; i < 9; i++) {
        req_init(&q[i], (float)i, 4, 0);
        CHECK_OK(glint_batcher_submit(b, &q[i].r, NULL, NULL, &q[i].t));
    }
    for (int i = 0; i < 9; i++) {
        CHECK(glint_ticket_wait(q[i].t, -1) == GLINT_OK && req_correct(&q[i]));
        glint_ticket_free(q[i].t);
    }
    glint_batcher_free(b);
    CHECK(f->batches == 2 && f->max_seen == 8); /* the buffers grew from one sample to eight */
    CHECK(f->allocs >= 4);         /* input and output, at two sizes */
    CHECK(f->frees == f->allocs && f->n_bufs == 0);
    CHECK(!f->foreign_buf);        /* every run read and wrote the runner's buffers */
    free(f);
    r.buf_free = NULL;
    CHECK(gl_batcher_create_with_runner(&r, &o, NULL, NULL, &b, &err) == GLINT_ERR_INVALID_ARGUMENT);
    CHECK(b == NULL && strstr(err.msg, "incomplete") != NULL);
}

static atomic_int g_warnings;
static void count_log(void *user, glint_log_level level, const char *msg) {
    if (level == GLINT_LOG_WARN && strstr(msg, "latency budget")) atomic_fetch_add(&g_warnings, 1);
}

static void test_budget_warning_and_delay(void) {
    fake *f = fake_new();
    f->per_batch_us = 3000;
    glint_batcher_options o;
    glint_batcher_options_init(&o);
    o.latency_budget_us = 1000;
    o.log = count_log;
    gl_batch_runner r = {.open = f_open, .close = f_close, .run = f_run, .user = f};
    glint_batcher *b = NULL;
    gl_err err;
    CHECK_OK(gl_batcher_create_with_runner(&r, &o, NULL, NULL, &b, &err));
    req q[5];
    for (int i = 0; i < 5; i++) {
        req_init(&q[i], (float)i, 4, 0);
        CHECK_OK(glint_batcher_submit(b, &q[i].r, NULL, NULL, &q[i].t));
        CHECK_OK(glint_ticket_wait(q[i].t, -1));
        glint_ticket_free(q[i].t);
    }
    CHECK_MSG(atomic_load(&g_warnings) == 1, "%d warnings (want 1: rate-limited)",
              atomic_load(&g_warnings));
    glint_batcher_free(b);
    free(f);

    /* a queue delay lets a burst from one thread gather into one batch */
    f = fake_new();
    glint_batcher_options_init(&o);
    o.max_queue_delay_us = 200000;
    o.max_batch = 4;
    r.user = f;
    CHECK_OK(gl_batcher_create_with_runner(&r, &o, NULL, NULL, &b, &err));
    for (int i = 0; i < 4; i++) {
        req_init(&q[i], (float)i, 4, 0);
        CHECK_OK(glint_batcher_submit(b, &q[i].r, NULL, NULL, &q[i].t));
    }
    for (int i = 0; i < 4; i++) {
        CHECK_OK(glint_ticket_wait(q[i].t, -1));
        CHECK(req_correct(&q[i]));
        glint_ticket_free(q[i].t);
    }
    CHECK_MSG(f->batches == 1 && f->max_seen == 4, "%d batches, largest %d", f->batches, f->max_seen);
    glint_batcher_free(b);
    free(f);
}

/* 16 threads × 1,000 requests over 4 contexts; odd threads use callbacks. */
enum { THREADS = 16, PER_THREAD = 1000 };
typedef struct stress_arg { glint_batcher *b; int id; uint64_t rng; atomic_int wrong, done_cb; } stress_arg;

static void stress_cb(void *user, glint_status st, const glint_request *r) {
    stress_arg *a = user;
    const float *x = r->inputs[0].data, *y = r->outputs[0].data;
    if (st != GLINT_OK || r->outputs[0].dims[0] != 1) atomic_fetch_add(&a->wrong, 1);
    for (int i = 0; i < 4; i++)
        if (y[i] != 2.0f * x[i] + 1.0f) { atomic_fetch_add(&a->wrong, 1); break; }
    atomic_fetch_add(&a->done_cb, 1);
}

static void *stress_thread(void *p) {
    stress_arg *a = p;
    enum { WINDOW = 32 };
    req *q = calloc(WINDOW, sizeof *q);
    for (int base = 0; base < PER_THREAD; base += WINDOW) {
        int m = GL_MIN(WINDOW, PER_THREAD - base);
        for (int i = 0; i < m; i++) {
            req_init_rng(&q[i], (float)(a->id * 100000 + base + i), 4, 0, &a->rng);
            glint_request_callback cb = (a->id & 1) ? stress_cb : NULL;
            if (glint_batcher_submit(a->b, &q[i].r, cb, a, &q[i].t) != GLINT_OK)
                atomic_fetch_add(&a->wrong, 1);
        }
        for (int i = 0; i < m; i++) {
            if (glint_ticket_wait(q[i].t, -1) != GLINT_OK || !req_correct(&q[i]))
                atomic_fetch_add(&a->wrong, 1);
            glint_ticket_free(q[i].t);
        }
    }
    free(q);
    return NULL;
}

static void test_stress(void) {
    fake *f = fake_new();
    glint_batcher *b = make(f, 4, 32, GLINT_TIMEOUT_FAIL_FAST);
    pthread_t th[THREADS];
    stress_arg *args = calloc(THREADS, sizeof *args);
    for (int t = 0; t < THREADS; t++) {
        args[t].b = b;
        args[t].id = t;
        args[t].rng = tl_rand_u64() | 1; /* drawn before the threads start */
        pthread_create(&th[t], NULL, stress_thread, &args[t]);
    }
    int wrong = 0, cbs = 0;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
        wrong += atomic_load(&args[t].wrong);
        cbs += atomic_load(&args[t].done_cb);
    }
    CHECK_MSG(wrong == 0, "%d requests got a wrong or failed result", wrong);
    CHECK(cbs == THREADS / 2 * PER_THREAD);
    CHECK(f->batches > 0 && f->batches <= THREADS * PER_THREAD);
    printf("stress: %d requests in %d batches (largest %d) over 4 contexts\n",
           THREADS * PER_THREAD, f->batches, f->max_seen);
    glint_batcher_free(b);
    CHECK(atomic_load(&f->closed) == 4);
    free(args);
    free(f);
}

int main(void) {
    tl_seed_from_env();
    test_ordering_and_grouping();
    test_deadlines_fail_fast();
    test_deadline_policies();
    test_retry_on_failure();
    test_shutdown_and_bad_requests();
    test_batch_buffers();
    test_budget_warning_and_delay();
    test_stress();
    return TEST_END();
}
