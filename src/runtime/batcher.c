/* The batcher: one mutex-protected FIFO of tickets, N worker threads each
 * owning one runner state (context), and per-ticket completion signalling.
 * The timeout contract is written in include/glint.h (batcher block); the
 * comments here say how each clause is met. */
#include "runtime/batcher.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct glint_ticket {
    const glint_allocator *alloc;
    glint_request req;                 /* copy; the tensor arrays are the caller's */
    glint_request_callback cb;
    void *user;
    double submit_us, deadline_us;     /* deadline INFINITY when none */
    uint64_t sig;                      /* hash of input and output layout */
    struct glint_ticket *prev, *next;  /* queue links, under the batcher mutex */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;                          /* under mu */
    _Atomic int done_flag;             /* for glint_ticket_done, never blocks */
    glint_status status;
    atomic_int refs;                   /* the batcher's and the user's */
    char msg[GL_ERR_MAX];
};

typedef struct worker {
    glint_batcher *b;
    pthread_t thread;
    int started;
    void *state;
    void *in_buf[GL_BATCH_MAX_IO], *out_buf[GL_BATCH_MAX_IO];
    size_t in_cap[GL_BATCH_MAX_IO], out_cap[GL_BATCH_MAX_IO];
    glint_ticket **batch;              /* max_batch slots */
} worker;

struct glint_batcher {
    const glint_allocator *alloc;
    gl_batch_runner runner;
    glint_batcher_options opt;
    gl_telemetry *tm;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    glint_ticket *head, *tail;         /* the queue, under mu */
    int stopping;                      /* under mu */
    worker *workers;
    int n_workers;
    _Atomic uint64_t *est_ns;          /* measured run time per batch size (EWMA) */
    _Atomic uint64_t last_warn_us, over_budget;
};

/* ------------------------------------------------------------ helpers */

static void mono_deadline(struct timespec *ts, double abs_us) {
    ts->tv_sec = (time_t)(abs_us / 1e6);
    ts->tv_nsec = (long)((abs_us - (double)ts->tv_sec * 1e6) * 1e3);
    if (ts->tv_nsec >= 1000000000L) { ts->tv_sec++; ts->tv_nsec -= 1000000000L; }
    if (ts->tv_nsec < 0) ts->tv_nsec = 0;
}

static int cond_init_mono(pthread_cond_t *cv) {
    pthread_condattr_t at;
    if (pthread_condattr_init(&at)) return -1;
    pthread_condattr_setclock(&at, CLOCK_MONOTONIC); /* gl_now_us is CLOCK_MONOTONIC */
    int rc = pthread_cond_init(cv, &at);
    pthread_condattr_destroy(&at);
    return rc;
}

static size_t tensor_bytes(const glint_tensor *t) {
    gl_shape s = {.rank = t->rank};
    for (int i = 0; i < t->rank && i < GL_MAX_RANK; i++) s.d[i] = t->dims[i];
    size_t n = 0;
    if (t->rank < 0 || t->rank > GL_MAX_RANK || !gl_tensor_bytes(t->dtype, &s, &n)) return 0;
    return n;
}

static void ticket_unref(glint_ticket *t) {
    if (atomic_fetch_sub(&t->refs, 1) != 1) return;
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
    gl_free(t->alloc, t);
}

static void warn_budget(glint_batcher *b, double took_us) {
    uint64_t n = atomic_fetch_add(&b->over_budget, 1) + 1;
    if (!b->opt.log) return;
    uint64_t now = (uint64_t)gl_now_us(), last = atomic_load(&b->last_warn_us);
    /* at most one line per second; the CAS picks one thread to write it */
    if (last && now - last < 1000000) return;
    if (!atomic_compare_exchange_strong(&b->last_warn_us, &last, now)) return;
    char line[200];
    snprintf(line, sizeof line,
             "batcher: a request took %.0f us from submit to completion, over the latency "
             "budget of %lld us (%llu over budget so far)",
             took_us, (long long)b->opt.latency_budget_us, (unsigned long long)n);
    b->opt.log(b->opt.log_user, GLINT_LOG_WARN, line);
}

/* Completes a ticket: callback first, then waiters, then the batcher's ref. */
static void complete(glint_batcher *b, glint_ticket *t, glint_status st, const char *msg) {
    double now = gl_now_us();
    t->status = st;
    if (st != GLINT_OK) {
        snprintf(t->msg, sizeof t->msg, "%s", msg && msg[0] ? msg : glint_status_str(st));
        gl_telemetry_record_error(b->tm, st);
    }
    if (b->opt.latency_budget_us > 0 && now - t->submit_us > (double)b->opt.latency_budget_us)
        warn_budget(b, now - t->submit_us);
    if (t->cb) t->cb(t->user, st, &t->req);
    pthread_mutex_lock(&t->mu);
    t->done = 1;
    atomic_store(&t->done_flag, 1);
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    ticket_unref(t);
}

/* --------------------------------------------------------------- queue */

static void q_unlink(glint_batcher *b, glint_ticket *t) {
    if (t->prev) t->prev->next = t->next; else b->head = t->next;
    if (t->next) t->next->prev = t->prev; else b->tail = t->prev;
    t->prev = t->next = NULL;
}

static void q_push_back(glint_batcher *b, glint_ticket *t) {
    t->next = NULL;
    t->prev = b->tail;
    if (b->tail) b->tail->next = t; else b->head = t;
    b->tail = t;
}

static void q_push_front(glint_batcher *b, glint_ticket *t) {
    t->prev = NULL;
    t->next = b->head;
    if (b->head) b->head->prev = t; else b->tail = t;
    b->head = t;
}

static bool same_layout(const glint_ticket *a, const glint_ticket *c) {
    if (a->sig != c->sig || a->req.input_count != c->req.input_count ||
        a->req.output_count != c->req.output_count)
        return false;
    for (size_t i = 0; i < a->req.input_count; i++) {
        const glint_tensor *x = &a->req.inputs[i], *y = &c->req.inputs[i];
        if (x->dtype != y->dtype || x->rank != y->rank ||
            memcmp(x->dims, y->dims, sizeof(int64_t) * (size_t)x->rank) != 0)
            return false;
        if ((x->name == NULL) != (y->name == NULL) || (x->name && strcmp(x->name, y->name)))
            return false;
    }
    for (size_t i = 0; i < a->req.output_count; i++) {
        const char *x = a->req.outputs[i].name, *y = c->req.outputs[i].name;
        if ((x == NULL) != (y == NULL) || (x && strcmp(x, y))) return false;
    }
    return true;
}

static int count_matching(glint_ticket *first, int limit) {
    int n = 0;
    for (glint_ticket *t = first; t && n < limit; t = t->next)
        if (same_layout(first, t)) n++;
    return n;
}

/* Predicted run time of a batch of n from measured sizes: the exact size if
 * seen, else the nearest seen size scaled linearly; 0 (optimistic) if none. */
static double predict_us(glint_batcher *b, int n) {
    uint64_t e = atomic_load_explicit(&b->est_ns[n], memory_order_relaxed);
    if (e) return (double)e / 1000.0;
    for (int d = 1; d < b->opt.max_batch; d++) {
        int ks[2] = {n - d, n + d};
        for (int j = 0; j < 2; j++) {
            if (ks[j] < 1 || ks[j] > b->opt.max_batch) continue;
            e = atomic_load_explicit(&b->est_ns[ks[j]], memory_order_relaxed);
            if (e) return (double)e / 1000.0 * n / ks[j];
        }
    }
    return 0;
}

static void record_time(glint_batcher *b, int n, double us) {
    uint64_t ns = (uint64_t)(us * 1000.0), old = atomic_load(&b->est_ns[n]);
    /* an exponentially weighted mean, weight 1/4 on the newest run; races
     * between workers only lose an update, which an estimate tolerates */
    uint64_t v = old ? old - old / 4 + ns / 4 : ns;
    atomic_store_explicit(&b->est_ns[n], v ? v : 1, memory_order_relaxed);
}

/* ------------------------------------------------------------- running */

static void buf_free(glint_batcher *b, void *p) {
    if (b->runner.buf_free) {
        if (p) b->runner.buf_free(b->runner.user, p);
    } else {
        gl_free(b->alloc, p);
    }
}

static bool grow(glint_batcher *b, void **buf, size_t *cap, size_t need) {
    if (need <= *cap) return true;
    /* buffers only grow, to the largest batch seen, then stay; every batch
     * rewrites them, so nothing is carried over */
    void *p = b->runner.buf_alloc ? b->runner.buf_alloc(b->runner.user, need)
                                  : gl_malloc(b->alloc, need);
    if (!p) return false;
    buf_free(b, *buf);
    *buf = p;
    *cap = need;
    return true;
}

static void run_batch(worker *w, glint_ticket **ts, int n, int depth);

static void split_retry(worker *w, glint_ticket **ts, int n, int depth) {
    int h = (n + 1) / 2;
    run_batch(w, ts, h, depth + 1);
    run_batch(w, ts + h, n - h, depth + 1);
}

/* Stacks, runs, splits and completes n tickets of one layout. */
static void run_batch(worker *w, glint_ticket **ts, int n, int depth) {
    glint_batcher *b = w->b;
    /* ts[0] may be completed (and freed by its owner) before the others */
    const glint_request *r0 = &ts[0]->req;
    const size_t n_in = r0->input_count, n_out = r0->output_count;
    glint_tensor in[GL_BATCH_MAX_IO], out[GL_BATCH_MAX_IO];
    gl_err err;
    gl_err_clear(&err);
    glint_status st = GLINT_OK;
    size_t out_per[GL_BATCH_MAX_IO];
    for (size_t i = 0; i < n_in && st == GLINT_OK; i++) {
        size_t per = tensor_bytes(&r0->inputs[i]), total;
        if (!gl_mul_size(per, (size_t)n, &total) || !grow(b, &w->in_buf[i], &w->in_cap[i], total)) {
            st = gl_fail(&err, GLINT_ERR_OUT_OF_MEMORY, "batcher: no memory to stack input %zu", i);
            break;
        }
        in[i] = r0->inputs[i];
        in[i].dims[0] = n;
        in[i].data = w->in_buf[i];
        in[i].bytes = total;
        for (int k = 0; k < n; k++)
            memcpy((char *)w->in_buf[i] + (size_t)k * per, ts[k]->req.inputs[i].data, per);
    }
    for (size_t j = 0; j < n_out && st == GLINT_OK; j++) {
        size_t per = 0, total;
        for (int k = 0; k < n; k++) per = GL_MAX(per, ts[k]->req.outputs[j].bytes);
        if (!gl_mul_size(per, (size_t)n, &total) ||
            !grow(b, &w->out_buf[j], &w->out_cap[j], total)) {
            st = gl_fail(&err, GLINT_ERR_OUT_OF_MEMORY, "batcher: no memory for output %zu", j);
            break;
        }
        out_per[j] = per;
        memset(&out[j], 0, sizeof out[j]);
        out[j].name = r0->outputs[j].name;
        out[j].data = w->out_buf[j];
        out[j].bytes = total;
    }
    double t0 = gl_now_us();
    if (st == GLINT_OK) {
        gl_telemetry_record_batch(b->tm, n);
        st = b->runner.run(b->runner.user, w->state, in, n_in, out,
                           n_out, &err);
    }
    double t1 = gl_now_us();
    if (st != GLINT_OK) {
        if (b->opt.timeout_policy == GLINT_TIMEOUT_RETRY_SMALLER && n > 1 && depth < 8 &&
            (st == GLINT_ERR_OUT_OF_MEMORY || st == GLINT_ERR_DEVICE)) {
            split_retry(w, ts, n, depth);
            return;
        }
        for (int k = 0; k < n; k++) complete(b, ts[k], st, err.msg);
        return;
    }
    record_time(b, n, t1 - t0);
    for (int k = 0; k < n; k++) {
        glint_ticket *t = ts[k];
        /* contract: a request never receives a late result */
        if (t1 > t->deadline_us) {
            complete(b, t, GLINT_ERR_TIMEOUT, "batcher: the request's deadline passed while its batch ran");
            continue;
        }
        glint_status rs = GLINT_OK;
        char msg[160] = "";
        for (size_t j = 0; j < n_out; j++) {
            glint_tensor *o = &t->req.outputs[j];
            size_t per = out[j].dims[0] == n ? tensor_bytes(&out[j]) / (size_t)n : 0;
            o->dtype = out[j].dtype;
            o->rank = out[j].rank;
            memcpy(o->dims, out[j].dims, sizeof o->dims);
            o->dims[0] = 1;
            if (out[j].rank < 1 || out[j].dims[0] != n) {
                rs = GLINT_ERR_INTERNAL;
                snprintf(msg, sizeof msg, "batcher: output %zu has batch %lld, not %d", j,
                         (long long)(out[j].rank ? out[j].dims[0] : 0), n);
            } else if (per > o->bytes || per > out_per[j]) {
                rs = GLINT_ERR_INVALID_ARGUMENT;
                snprintf(msg, sizeof msg, "batcher: output %zu needs %zu bytes, the request gave %zu",
                         j, per, o->bytes);
            }
        }
        if (rs == GLINT_OK)
            for (size_t j = 0; j < n_out; j++) {
                size_t per = tensor_bytes(&out[j]) / (size_t)n;
                memcpy(t->req.outputs[j].data, (char *)out[j].data + (size_t)k * per, per);
            }
        complete(b, t, rs, msg);
    }
}

/* Takes the next batch off the queue (under mu). Expired tickets go to
 * expired[] instead. Returns the batch size; 0 when stopping. */
static int take_batch(worker *w, glint_ticket **expired, int *n_expired) {
    glint_batcher *b = w->b;
    const bool stack = !b->runner.stackable || b->runner.stackable(b->runner.user);
    int max = stack ? b->opt.max_batch : 1;
    for (;;) {
        while (!b->stopping && !b->head) pthread_cond_wait(&b->cv, &b->mu);
        if (b->stopping) return 0;
        glint_ticket *first = b->head;
        double now = gl_now_us();
        double until = first->submit_us + (double)b->opt.max_queue_delay_us;
        if (b->opt.max_queue_delay_us > 0 && now < until && now < first->deadline_us &&
            count_matching(first, max) < max) {
            struct timespec ts;
            mono_deadline(&ts, GL_MIN(until, first->deadline_us));
            pthread_cond_timedwait(&b->cv, &b->mu, &ts);
            continue; /* re-examine: the head may have been taken meanwhile */
        }
        int n = 0;
        for (glint_ticket *t = first, *next; t && n < max; t = next) {
            next = t->next;
            if (t != first && !same_layout(first, t)) continue;
            q_unlink(b, t);
            if (now > t->deadline_us) expired[(*n_expired)++] = t;
            else w->batch[n++] = t;
            if (*n_expired >= max) break;
        }
        if (n > 0 || *n_expired > 0) return n;
    }
}

static void *worker_main(void *arg) {
    worker *w = arg;
    glint_batcher *b = w->b;
    glint_ticket *expired[1024];
    for (;;) {
        int n_exp = 0;
        pthread_mutex_lock(&b->mu);
        int n = take_batch(w, expired, &n_exp);
        int stop = b->stopping;
        pthread_mutex_unlock(&b->mu);
        for (int k = 0; k < n_exp; k++)
            complete(b, expired[k], GLINT_ERR_TIMEOUT,
                     "batcher: the request's deadline passed while it was queued");
        if (stop && n == 0) break;
        if (n == 0) continue;
        double now = gl_now_us();
        if (b->opt.timeout_policy == GLINT_TIMEOUT_RETRY_SMALLER) {
            /* halve until the prediction meets the earliest deadline */
            for (;;) {
                double dl = INFINITY;
                for (int k = 0; k < n; k++) dl = GL_MIN(dl, w->batch[k]->deadline_us);
                if (n <= 1 || now + predict_us(b, n) <= dl) break;
                int keep = (n + 1) / 2;
                pthread_mutex_lock(&b->mu);
                for (int k = n - 1; k >= keep; k--) q_push_front(b, w->batch[k]);
                pthread_cond_broadcast(&b->cv);
                pthread_mutex_unlock(&b->mu);
                n = keep;
            }
        } else {
            double done_at = now + predict_us(b, n);
            int kept = 0;
            for (int k = 0; k < n; k++) {
                if (done_at > w->batch[k]->deadline_us)
                    complete(b, w->batch[k], GLINT_ERR_TIMEOUT,
                             "batcher: the request would miss its deadline (predicted batch time)");
                else w->batch[kept++] = w->batch[k];
            }
            n = kept;
        }
        if (n > 0) run_batch(w, w->batch, n, 0);
    }
    return NULL;
}

/* ----------------------------------------------------------- public API */

void glint_batcher_options_init(glint_batcher_options *o) {
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->contexts = 1;
    o->max_batch = 32;
    o->max_queue_delay_us = 0;
    o->default_timeout_us = 0;
    o->latency_budget_us = 5000;
    o->timeout_policy = GLINT_TIMEOUT_FAIL_FAST;
}

void glint_batcher_free(glint_batcher *b) {
    if (!b) return;
    pthread_mutex_lock(&b->mu);
    b->stopping = 1;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
    for (int i = 0; i < b->n_workers; i++)
        if (b->workers[i].started) pthread_join(b->workers[i].thread, NULL);
    /* the workers are gone: nothing else touches the queue now */
    while (b->head) {
        glint_ticket *t = b->head;
        q_unlink(b, t);
        complete(b, t, GLINT_ERR_SHUTDOWN, "batcher: shut down before the request ran");
    }
    for (int i = 0; i < b->n_workers; i++) {
        worker *w = &b->workers[i];
        if (w->state && b->runner.close) b->runner.close(b->runner.user, w->state);
        for (int j = 0; j < GL_BATCH_MAX_IO; j++) {
            buf_free(b, w->in_buf[j]);
            buf_free(b, w->out_buf[j]);
        }
        gl_free(b->alloc, w->batch);
    }
    gl_free(b->alloc, b->workers);
    gl_free(b->alloc, (void *)b->est_ns);
    pthread_cond_destroy(&b->cv);
    pthread_mutex_destroy(&b->mu);
    gl_free(b->alloc, b);
}

glint_status gl_batcher_create_with_runner(const gl_batch_runner *runner,
                                           const glint_batcher_options *options,
                                           const glint_allocator *alloc, gl_telemetry *tm,
                                           glint_batcher **out, gl_err *err) {
    if (!out) return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "batcher: out pointer is NULL");
    *out = NULL;
    if (!runner || !runner->open || !runner->run || !runner->buf_alloc != !runner->buf_free)
        return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "batcher: runner is incomplete");
    glint_batcher_options o;
    if (options) o = *options; else glint_batcher_options_init(&o);
    if (o.contexts < 1 || o.contexts > 256)
        return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "batcher: contexts %d is not in 1..256", o.contexts);
    if (o.max_batch < 1 || o.max_batch > 1024)
        return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "batcher: max_batch %d is not in 1..1024", o.max_batch);
    if (o.max_queue_delay_us < 0)
        return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "batcher: max_queue_delay_us is negative");
    if (o.timeout_policy != GLINT_TIMEOUT_FAIL_FAST && o.timeout_policy != GLINT_TIMEOUT_RETRY_SMALLER)
        return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "batcher: unknown timeout policy %d", (int)o.timeout_policy);
    if (!alloc) alloc = gl_default_allocator();
    glint_batcher *b = gl_calloc(alloc, 1, sizeof *b);
    if (!b) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "batcher: out of memory");
    b->alloc = alloc;
    b->runner = *runner;
    b->opt = o;
    b->tm = tm;
    pthread_mutex_init(&b->mu, NULL);
    cond_init_mono(&b->cv);
    b->workers = gl_calloc(alloc, (size_t)o.contexts, sizeof *b->workers);
    b->est_ns = gl_calloc(alloc, (size_t)o.max_batch + 1, sizeof *b->est_ns);
    if (!b->workers || !b->est_ns) {
        glint_batcher_free(b);
        return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "batcher: out of memory");
    }
    b->n_workers = o.contexts;
    for (int i = 0; i < o.contexts; i++) {
        worker *w = &b->workers[i];
        w->b = b;
        w->batch = gl_calloc(alloc, (size_t)o.max_batch, sizeof *w->batch);
        if (!w->batch) {
            glint_batcher_free(b);
            return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "batcher: out of memory");
        }
        glint_status st = runner->open(runner->user, &w->state, err);
        if (st != GLINT_OK) {
            gl_err_prefix(err, "batcher: context %d of %d", i + 1, o.contexts);
            glint_batcher_free(b);
            return st;
        }
    }
    for (int i = 0; i < o.contexts; i++) {
        if (pthread_create(&b->workers[i].thread, NULL, worker_main, &b->workers[i]) != 0) {
            glint_batcher_free(b);
            return gl_fail(err, GLINT_ERR_INTERNAL, "batcher: cannot start worker thread %d", i);
        }
        b->workers[i].started = 1;
    }
    *out = b;
    return GLINT_OK;
}

static uint64_t layout_sig(const glint_request *r) {
    uint64_t h = gl_hash64(&r->input_count, sizeof r->input_count, r->output_count);
    for (size_t i = 0; i < r->input_count; i++) {
        const glint_tensor *t = &r->inputs[i];
        h = gl_hash64(&t->dtype, sizeof t->dtype, h);
        h = gl_hash64(t->dims, sizeof(int64_t) * (size_t)t->rank, h ^ (uint64_t)t->rank);
        if (t->name) h = gl_hash64(t->name, strlen(t->name), h);
    }
    return h;
}

glint_status glint_batcher_submit(glint_batcher *b, const glint_request *r,
                                  glint_request_callback cb, void *user, glint_ticket **ticket) {
    if (ticket) *ticket = NULL;
    if (!b || !r || !r->inputs || !r->outputs || r->input_count == 0 || r->output_count == 0 ||
        r->input_count > GL_BATCH_MAX_IO || r->output_count > GL_BATCH_MAX_IO)
        return GLINT_ERR_INVALID_ARGUMENT;
    for (size_t i = 0; i < r->input_count; i++) {
        const glint_tensor *t = &r->inputs[i];
        if (t->rank < 1 || t->rank > GL_MAX_RANK || t->dims[0] != 1 || !t->data)
            return GLINT_ERR_INVALID_ARGUMENT;
        size_t need = tensor_bytes(t);
        if (need == 0 || t->bytes < need) return GLINT_ERR_INVALID_ARGUMENT;
    }
    for (size_t j = 0; j < r->output_count; j++)
        if (!r->outputs[j].data) return GLINT_ERR_INVALID_ARGUMENT;
    glint_ticket *t = gl_calloc(b->alloc, 1, sizeof *t);
    if (!t) return GLINT_ERR_OUT_OF_MEMORY;
    t->alloc = b->alloc;
    t->req = *r;
    t->cb = cb;
    t->user = user;
    t->sig = layout_sig(r);
    t->submit_us = gl_now_us();
    int64_t to = r->timeout_us ? r->timeout_us : b->opt.default_timeout_us;
    t->deadline_us = to > 0 ? t->submit_us + (double)to : INFINITY;
    t->status = GLINT_OK;
    pthread_mutex_init(&t->mu, NULL);
    cond_init_mono(&t->cv);
    atomic_init(&t->refs, ticket ? 2 : 1);
    atomic_init(&t->done_flag, 0);
    pthread_mutex_lock(&b->mu);
    if (b->stopping) {
        pthread_mutex_unlock(&b->mu);
        pthread_mutex_destroy(&t->mu);
        pthread_cond_destroy(&t->cv);
        gl_free(b->alloc, t);
        return GLINT_ERR_SHUTDOWN;
    }
    q_push_back(b, t);
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
    gl_telemetry_count(b->tm, GL_COUNTER_REQUESTS, 1);
    if (ticket) *ticket = t;
    return GLINT_OK;
}

glint_status glint_ticket_wait(glint_ticket *t, int64_t timeout_us) {
    if (!t) return GLINT_ERR_INVALID_ARGUMENT;
    pthread_mutex_lock(&t->mu);
    if (timeout_us < 0) {
        while (!t->done) pthread_cond_wait(&t->cv, &t->mu);
    } else {
        struct timespec ts;
        mono_deadline(&ts, gl_now_us() + (double)timeout_us);
        while (!t->done)
            if (pthread_cond_timedwait(&t->cv, &t->mu, &ts) == ETIMEDOUT) break;
    }
    glint_status st = t->done ? t->status : GLINT_ERR_TIMEOUT;
    pthread_mutex_unlock(&t->mu);
    return st;
}

int glint_ticket_done(const glint_ticket *t) {
    return t ? atomic_load(&((glint_ticket *)t)->done_flag) : 0;
}

const char *glint_ticket_error(const glint_ticket *t) {
    if (!t || !glint_ticket_done(t)) return "";
    return t->msg;
}

void glint_ticket_free(glint_ticket *t) {
    if (!t) return;
    glint_ticket_wait(t, -1);
    ticket_unref(t);
}
