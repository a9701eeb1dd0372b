/* Fork-join pool: the caller publishes a job by bumping a generation counter
 * (release), workers pick it up (acquire) after a short spin or a
 * condition-variable sleep. Spinning first keeps the hand-off at a few
 * hundred nanoseconds between the back-to-back layers of one inference;
 * sleeping afterwards keeps idle contexts from burning a core.
 *
 * Each thread owns a static, contiguous range of the indices and claims
 * them one by one from its own claim word; a thread that runs out takes
 * what is left of the others' ranges. The job is over when every index has
 * run (a done counter), not when every worker has checked in: on a shared
 * machine a worker the OS has descheduled neither holds a layer back by
 * its unclaimed range (the others take it) nor, once everything is done,
 * by having to wake up at all.
 *
 * Memory order: the caller writes fn / arg / n, then stores the claim words
 * (release); a worker reads fn / arg / n only after a successful
 * compare-exchange on a claim word (acquire), so it sees the job that claim
 * belongs to, and that job cannot finish (and be overwritten) before the
 * claimed index has run and been counted. */
#include "backend/cpu/threadpool.h"

#include <pthread.h>
#include <stdatomic.h>

/* About 10-40 µs of spinning before a worker sleeps. */
#define GL_POOL_SPIN 4000

struct gl_pool;

/* One thread's range as one word, next << 32 | end (so a claim and its end
 * are read together), alone on a cache line. */
typedef struct gl_claim {
    _Alignas(64) atomic_uint_fast64_t word;
} gl_claim;

/* Jobs with more indices than this run inline (no caller has so many). */
#define GL_POOL_MAX_N ((int64_t)1 << 31)

typedef struct gl_worker {
    struct gl_pool *pool;
    int tid;
    pthread_t thread;
} gl_worker;

struct gl_pool {
    const glint_allocator *alloc;
    int threads;
    int started;                  /* workers successfully created */
    gl_worker *workers;           /* threads - 1 of them */
    gl_claim *claims;             /* one per thread */
    pthread_mutex_t mu;
    pthread_cond_t wake_cv;       /* workers wait here for a new generation */
    pthread_cond_t done_cv;       /* the caller waits here for done == n */
    atomic_uint_fast64_t generation;
    _Alignas(64) atomic_int_fast64_t done; /* indices of the current job that have run */
    atomic_int sleepers;          /* workers inside (or entering) wake_cv wait */
    atomic_bool stop;
    /* The current job: written by the caller before the generation bump,
     * read by workers after they observe it. */
    gl_pool_fn fn;
    void *arg;
    int64_t n;
    double min_flops;             /* gl_pool_for_work's threshold */
};

static inline void gl_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Claims one index from claim word c: true with *i set, false when empty. */
static bool claim(gl_claim *c, int64_t *i) {
    uint_fast64_t w = atomic_load_explicit(&c->word, memory_order_acquire);
    for (;;) {
        const uint_fast64_t next = w >> 32, end = w & 0xffffffffu;
        if (next >= end) return false;
        if (atomic_compare_exchange_weak_explicit(&c->word, &w, w + ((uint_fast64_t)1 << 32),
                                                  memory_order_acq_rel, memory_order_acquire)) {
            *i = (int64_t)next;
            return true;
        }
    }
}

/* Own range first, then whatever the others have not claimed yet. The
 * thread that runs the last index wakes the caller if it sleeps. */
static void run_range(struct gl_pool *p, int tid) {
    for (int v = 0; v < p->threads; v++) {
        gl_claim *c = &p->claims[(tid + v) % p->threads];
        int64_t i;
        while (claim(c, &i)) {
            /* read after the claim: the job this index belongs to */
            const gl_pool_fn fn = p->fn;
            void *arg = p->arg;
            const int64_t n = p->n;
            fn(arg, i, i + 1, tid);
            if (atomic_fetch_add_explicit(&p->done, 1, memory_order_acq_rel) + 1 == n && tid != 0) {
                pthread_mutex_lock(&p->mu);
                pthread_cond_signal(&p->done_cv);
                pthread_mutex_unlock(&p->mu);
            }
        }
    }
}

static void *worker_main(void *varg) {
    gl_worker *w = varg;
    struct gl_pool *p = w->pool;
    /* Generation 0 is the pool's state at creation; a job published before
     * this thread got scheduled is still seen as new. */
    uint_fast64_t seen = 0;
    for (;;) {
        uint_fast64_t g = seen;
        for (int i = 0; i < GL_POOL_SPIN; i++) {
            g = atomic_load_explicit(&p->generation, memory_order_acquire);
            if (g != seen || atomic_load_explicit(&p->stop, memory_order_relaxed)) break;
            gl_cpu_relax();
        }
        if (g == seen && !atomic_load(&p->stop)) {
            pthread_mutex_lock(&p->mu);
            atomic_fetch_add(&p->sleepers, 1); /* seq_cst: pairs with the caller's check */
            while ((g = atomic_load(&p->generation)) == seen && !atomic_load(&p->stop))
                pthread_cond_wait(&p->wake_cv, &p->mu);
            atomic_fetch_sub(&p->sleepers, 1);
            pthread_mutex_unlock(&p->mu);
        }
        if (atomic_load(&p->stop)) return NULL;
        seen = g;
        run_range(p, w->tid);
    }
}

glint_status gl_pool_create(const glint_allocator *a, int threads, gl_pool **out, gl_err *err) {
    *out = NULL;
    if (threads < 1) threads = 1;
    gl_pool *p = gl_calloc(a, 1, sizeof *p);
    if (!p) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "thread pool: out of memory");
    p->alloc = a;
    p->threads = threads;
    p->min_flops = GL_POOL_MIN_FLOPS;
    atomic_init(&p->generation, 0);
    atomic_init(&p->done, 0);
    atomic_init(&p->sleepers, 0);
    atomic_init(&p->stop, false);
    if (pthread_mutex_init(&p->mu, NULL) != 0) {
        gl_free(a, p);
        return gl_fail(err, GLINT_ERR_INTERNAL, "thread pool: pthread_mutex_init failed");
    }
    pthread_cond_init(&p->wake_cv, NULL);
    pthread_cond_init(&p->done_cv, NULL);
    if (threads > 1) {
        p->workers = gl_calloc(a, (size_t)threads - 1, sizeof *p->workers);
        p->claims = gl_aligned_alloc(a, (size_t)threads * sizeof *p->claims, 64);
        if (!p->workers || !p->claims) {
            gl_pool_free(p);
            return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "thread pool: out of memory");
        }
        for (int t = 0; t < threads; t++) atomic_init(&p->claims[t].word, 0);
        for (int i = 0; i < threads - 1; i++) {
            p->workers[i].pool = p;
            p->workers[i].tid = i + 1;
            if (pthread_create(&p->workers[i].thread, NULL, worker_main, &p->workers[i]) != 0) {
                gl_pool_free(p);
                return gl_fail(err, GLINT_ERR_INTERNAL,
                               "thread pool: could not start worker %d of %d", i + 1,
                               threads - 1);
            }
            p->started++;
        }
    }
    *out = p;
    return GLINT_OK;
}

void gl_pool_free(gl_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->stop, true);
    pthread_cond_broadcast(&p->wake_cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->started; i++) pthread_join(p->workers[i].thread, NULL);
    pthread_cond_destroy(&p->wake_cv);
    pthread_cond_destroy(&p->done_cv);
    pthread_mutex_destroy(&p->mu);
    gl_free(p->alloc, p->workers);
    gl_aligned_free(p->alloc, p->claims);
    gl_free(p->alloc, p);
}

int gl_pool_threads(const gl_pool *p) { return p ? p->threads : 1; }

void gl_pool_set_min_flops(gl_pool *p, double flops) {
    if (p) p->min_flops = flops;
}

gl_pool *gl_pool_for_work(gl_pool *p, double flops) {
    return p && flops >= p->min_flops ? p : NULL;
}

void gl_pool_for(gl_pool *p, int64_t n, gl_pool_fn fn, void *arg) {
    if (n <= 0) return;
    if (!p || p->threads <= 1 || n == 1 || n >= GL_POOL_MAX_N) {
        fn(arg, 0, n, 0);
        return;
    }
    /* the previous job is complete: every claim word is exhausted and no
     * worker reads fn / arg / n until the stores below publish new claims */
    p->fn = fn;
    p->arg = arg;
    p->n = n;
    atomic_store_explicit(&p->done, 0, memory_order_relaxed);
    for (int t = 0; t < p->threads; t++) {
        int64_t b, e;
        gl_pool_range(n, p->threads, t, &b, &e);
        atomic_store_explicit(&p->claims[t].word, ((uint_fast64_t)b << 32) | (uint_fast64_t)e,
                              memory_order_release);
    }
    atomic_fetch_add(&p->generation, 1); /* seq_cst: wakes the workers */
    if (atomic_load(&p->sleepers) > 0) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->wake_cv);
        pthread_mutex_unlock(&p->mu);
    }
    run_range(p, 0);
    for (int i = 0; i < GL_POOL_SPIN; i++) {
        if (atomic_load_explicit(&p->done, memory_order_acquire) == n) return;
        gl_cpu_relax();
    }
    pthread_mutex_lock(&p->mu);
    while (atomic_load(&p->done) != n) pthread_cond_wait(&p->done_cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
}
