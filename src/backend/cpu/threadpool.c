/* Fork-join pool: the caller publishes a job by bumping a generation counter
 * (release), workers pick it up (acquire) after a short spin or a
 * condition-variable sleep, and the last worker to finish wakes the caller.
 * Spinning first keeps the hand-off at a few hundred nanoseconds between the
 * back-to-back layers of one inference; sleeping afterwards keeps idle
 * contexts from burning a core.
 *
 * Each thread owns a static, contiguous range of the indices and claims
 * them one by one from its own counter; a thread that runs out takes what
 * is left of the others' ranges. Unloaded, that is plain static
 * partitioning; on a shared machine a worker the OS has descheduled no
 * longer holds the whole step back. */
#include "backend/cpu/threadpool.h"

#include <pthread.h>
#include <stdatomic.h>

/* About 10-40 µs of spinning before a worker sleeps. */
#define GL_POOL_SPIN 4000

struct gl_pool;

/* One thread's claim counter and range end, alone on a cache line. */
typedef struct gl_claim {
    _Alignas(64) atomic_int_fast64_t next;
    int64_t end;
} gl_claim;

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
    pthread_cond_t done_cv;       /* the caller waits here for pending == 0 */
    atomic_uint_fast64_t generation;
    atomic_int pending;           /* workers still running the current job */
    atomic_int sleepers;          /* workers inside (or entering) wake_cv wait */
    atomic_bool stop;
    /* The current job: written by the caller before the generation bump,
     * read by workers after they observe it. */
    gl_pool_fn fn;
    void *arg;
    int64_t n;
};

static inline void gl_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Own range first, then whatever the others have not claimed yet. */
static void run_range(struct gl_pool *p, int tid) {
    for (int v = 0; v < p->threads; v++) {
        gl_claim *c = &p->claims[(tid + v) % p->threads];
        for (;;) {
            int64_t i = atomic_fetch_add_explicit(&c->next, 1, memory_order_relaxed);
            if (i >= c->end) break;
            p->fn(p->arg, i, i + 1, tid);
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
        if (atomic_fetch_sub_explicit(&p->pending, 1, memory_order_acq_rel) == 1) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->done_cv);
            pthread_mutex_unlock(&p->mu);
        }
    }
}

glint_status gl_pool_create(const glint_allocator *a, int threads, gl_pool **out, gl_err *err) {
    *out = NULL;
    if (threads < 1) threads = 1;
    gl_pool *p = gl_calloc(a, 1, sizeof *p);
    if (!p) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "thread pool: out of memory");
    p->alloc = a;
    p->threads = threads;
    atomic_init(&p->generation, 0);
    atomic_init(&p->pending, 0);
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

void gl_pool_for(gl_pool *p, int64_t n, gl_pool_fn fn, void *arg) {
    if (n <= 0) return;
    if (!p || p->threads <= 1 || n == 1) {
        fn(arg, 0, n, 0);
        return;
    }
    p->fn = fn;
    p->arg = arg;
    p->n = n;
    for (int t = 0; t < p->threads; t++) {
        int64_t b, e;
        gl_pool_range(n, p->threads, t, &b, &e);
        atomic_store_explicit(&p->claims[t].next, b, memory_order_relaxed);
        p->claims[t].end = e;
    }
    atomic_store_explicit(&p->pending, p->threads - 1, memory_order_relaxed);
    atomic_fetch_add(&p->generation, 1); /* seq_cst: publishes the job */
    if (atomic_load(&p->sleepers) > 0) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->wake_cv);
        pthread_mutex_unlock(&p->mu);
    }
    run_range(p, 0);
    for (int i = 0; i < GL_POOL_SPIN; i++) {
        if (atomic_load_explicit(&p->pending, memory_order_acquire) == 0) return;
        gl_cpu_relax();
    }
    pthread_mutex_lock(&p->mu);
    while (atomic_load(&p->pending) != 0) pthread_cond_wait(&p->done_cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
}
