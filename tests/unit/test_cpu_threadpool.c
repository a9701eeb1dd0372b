/* The CPU thread pool: every index of a parallel-for runs exactly once, on a
 * valid thread id, for 1 to 8 threads and many sizes, over many repeated
 * dispatches (so a lost wake-up or a stale job would show); a thread that
 * stalls has its indices taken over by the others. */
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "backend/cpu/threadpool.h"
#include "testlib.h"

typedef struct {
    atomic_int *hits;
    int threads;
    atomic_int bad_tid;
    atomic_int calls;
} cover_arg;

static void cover(void *varg, int64_t b, int64_t e, int tid) {
    cover_arg *a = varg;
    if (tid < 0 || tid >= a->threads || b >= e) atomic_fetch_add(&a->bad_tid, 1);
    atomic_fetch_add(&a->calls, 1);
    for (int64_t i = b; i < e; i++) atomic_fetch_add(&a->hits[i], 1);
}

typedef struct {
    atomic_int *hits;
    atomic_int by_caller;
} stall_arg;

/* Thread 1 stalls 30 ms on the first index it takes. */
static void stall(void *varg, int64_t b, int64_t e, int tid) {
    stall_arg *a = varg;
    for (int64_t i = b; i < e; i++) {
        if (tid == 1 && i == 50) {
            struct timespec ts = {0, 30 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        if (tid == 0) atomic_fetch_add(&a->by_caller, 1);
        atomic_fetch_add(&a->hits[i], 1);
    }
}

int main(void) {
    tl_seed_from_env();
    enum { MAXN = 1000 };
    atomic_int *hits = malloc(MAXN * sizeof *hits);
    for (int threads = 1; threads <= 8; threads++) {
        gl_pool *pool = NULL;
        gl_err err = {0};
        CHECK_OK(gl_pool_create(NULL, threads, &pool, &err));
        if (!pool) continue;
        CHECK(gl_pool_threads(pool) == threads);
        int bad = 0, bad_calls = 0;
        for (int rep = 0; rep < 300; rep++) {
            int64_t n = (rep % 7 == 0) ? (int64_t)(tl_rand_u64() % 10)
                                       : 1 + (int64_t)(tl_rand_u64() % (MAXN - 1));
            for (int i = 0; i < MAXN; i++) atomic_init(&hits[i], 0);
            cover_arg a = {.hits = hits, .threads = threads};
            atomic_init(&a.bad_tid, 0);
            atomic_init(&a.calls, 0);
            gl_pool_for(pool, n, cover, &a);
            for (int64_t i = 0; i < MAXN; i++)
                if (atomic_load(&hits[i]) != (i < n ? 1 : 0)) bad++;
            if (atomic_load(&a.bad_tid)) bad++;
            /* inline (one thread or one index): one call; else one per index */
            int expect_calls = n <= 0 ? 0 : (threads == 1 || n == 1) ? 1 : (int)n;
            if (atomic_load(&a.calls) != expect_calls) bad_calls++;
        }
        CHECK_MSG(bad == 0, "threads=%d: %d coverage errors", threads, bad);
        CHECK_MSG(bad_calls == 0, "threads=%d: %d wrong call counts", threads, bad_calls);
        /* Pause long enough for the workers to fall asleep, then dispatch
         * again: exercises the condition-variable wake-up path. */
        for (int rep = 0; rep < 3; rep++) {
            struct timespec ts = {0, 20 * 1000 * 1000};
            nanosleep(&ts, NULL);
            for (int i = 0; i < MAXN; i++) atomic_init(&hits[i], 0);
            cover_arg a = {.hits = hits, .threads = threads};
            atomic_init(&a.bad_tid, 0);
            atomic_init(&a.calls, 0);
            gl_pool_for(pool, 64, cover, &a);
            int ok = 1;
            for (int i = 0; i < 64; i++) ok &= atomic_load(&hits[i]) == 1;
            CHECK_MSG(ok, "threads=%d: wake after sleep lost indices", threads);
        }
        gl_pool_free(pool);
    }
    /* Work taking: thread 1 sleeps on its first index; the others must run
     * the rest of its range, and every index still runs once. */
    {
        gl_pool *pool = NULL;
        gl_err err = {0};
        CHECK_OK(gl_pool_create(NULL, 2, &pool, &err));
        for (int i = 0; i < MAXN; i++) atomic_init(&hits[i], 0);
        stall_arg sa = {.hits = hits};
        atomic_init(&sa.by_caller, 0);
        gl_pool_for(pool, 100, stall, &sa);
        int ok = 1;
        for (int i = 0; i < 100; i++) ok &= atomic_load(&hits[i]) == 1;
        CHECK_MSG(ok, "work taking lost or repeated indices");
        CHECK_MSG(atomic_load(&sa.by_caller) > 50, "the caller ran only %d of 100 indices",
                  atomic_load(&sa.by_caller));
        gl_pool_free(pool);
    }
    /* Static ranges partition [0, n) exactly. */
    for (int t = 1; t <= 9; t++)
        for (int64_t n = 0; n < 40; n++) {
            int64_t next = 0, ok = 1;
            for (int tid = 0; tid < t; tid++) {
                int64_t b, e;
                gl_pool_range(n, t, tid, &b, &e);
                ok &= b == next && e >= b;
                next = e;
            }
            CHECK(ok && next == n);
        }
    gl_pool_free(NULL);
    free(hits);
    return TEST_END();
}
