/* `glint bench MODEL ...`: latency and throughput of one configuration
 * (any model: float inputs random in [0,1), integer inputs 0, dims from the
 * engine's input info), or `--suite` for the whole benchmark suite.
 *
 * Latency is host wall clock around each glint_run, which is synchronous
 * (on CUDA it includes the copies in and out and the stream sync). Inputs
 * and outputs live in glint_host_alloc's memory (page-locked on CUDA, as
 * the PyTorch anchor's pinned host memory), or in malloc's with
 * --pageable. */
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "bench_cmds.h"
#include "bench_suite.h"
#include "cli.h"

#define CMD "bench"

/* ------------------------------------------------------------ measuring */

typedef struct client {
    glint_engine *e;
    glint_batcher *b;
    int batch, height, width, warmup, iters;
    bool pageable;
    double *lat;          /* iters entries */
    glint_status status;
    char err[256];
    pthread_barrier_t *start;
    double t_begin, t_end;  /* the client's own timed span (its clock, not the joiner's) */
} client;

/* A client with its own context: warm up, wait for the others, time. */
static void *client_ctx(void *p) {
    client *c = p;
    glint_context *ctx = NULL;
    bn_io io;
    int have_io = 0;
    c->status = glint_context_create(c->e, &ctx, c->err, sizeof c->err);
    if (c->status == GLINT_OK) {
        c->status = bn_io_make(c->e, ctx, c->batch, c->height, c->width, c->pageable, &io, NULL,
                               c->err, sizeof c->err);
        have_io = c->status == GLINT_OK;
    }
    if (c->status == GLINT_OK) c->status = bn_time(ctx, &io, c->warmup, 0, NULL, NULL);
    pthread_barrier_wait(c->start);
    if (c->status == GLINT_OK) {
        c->t_begin = bn_now_us();
        c->status = bn_time(ctx, &io, 0, c->iters, c->lat, NULL);
        c->t_end = bn_now_us();
        if (c->status != GLINT_OK) snprintf(c->err, sizeof c->err, "%s", glint_context_last_error(ctx));
    }
    if (have_io) bn_io_free(&io);
    glint_context_free(ctx);
    return NULL;
}

/* A client of the batcher: windows of single-sample requests, each request's
 * latency from submit to the return of its wait. */
static void *client_batcher(void *p) {
    client *c = p;
    enum { WINDOW = 8 };
    glint_context *ctx = NULL;
    bn_io one;
    /* a private context only to build single-sample inputs and size outputs */
    c->status = glint_context_create(c->e, &ctx, c->err, sizeof c->err);
    if (c->status == GLINT_OK)
        c->status = bn_io_make(c->e, ctx, 1, c->height, c->width, c->pageable, &one, NULL, c->err,
                               sizeof c->err);
    glint_context_free(ctx);
    pthread_barrier_wait(c->start);
    if (c->status != GLINT_OK) return NULL;
    glint_tensor outs[WINDOW][8];
    void *mem[WINDOW][8] = {{0}};
    for (int w = 0; w < WINDOW; w++)
        for (size_t j = 0; j < one.n_out; j++) {
            outs[w][j] = one.out[j];
            mem[w][j] = malloc(one.out[j].bytes ? one.out[j].bytes : 1);
            outs[w][j].data = mem[w][j];
        }
    int total = c->warmup + c->iters;
    c->t_begin = bn_now_us();
    for (int base = 0; base < total && c->status == GLINT_OK; base += WINDOW) {
        int m = total - base < WINDOW ? total - base : WINDOW;
        glint_ticket *t[WINDOW];
        double sub[WINDOW];
        for (int k = 0; k < m; k++) {
            glint_request rq = {one.in, one.n_in, outs[k], one.n_out, 0};
            sub[k] = bn_now_us();
            glint_status st = glint_batcher_submit(c->b, &rq, NULL, NULL, &t[k]);
            if (st != GLINT_OK) {
                c->status = st;
                snprintf(c->err, sizeof c->err, "batcher submit: %s", glint_status_str(st));
                m = k;
                break;
            }
        }
        for (int k = 0; k < m; k++) {
            glint_status st = glint_ticket_wait(t[k], -1);
            double done = bn_now_us();
            if (st != GLINT_OK && c->status == GLINT_OK) {
                c->status = st;
                snprintf(c->err, sizeof c->err, "%s", glint_ticket_error(t[k]));
            }
            if (base + k >= c->warmup) c->lat[base + k - c->warmup] = done - sub[k];
            glint_ticket_free(t[k]);
        }
    }
    c->t_end = bn_now_us();
    for (int w = 0; w < WINDOW; w++)
        for (size_t j = 0; j < one.n_out; j++) free(mem[w][j]);
    bn_io_free(&one);
    return NULL;
}

void bench_measure(glint_engine *e, int batch, int height, int width, int clients,
                   bool use_batcher, int contexts, int warmup, int iters, bool pageable,
                   bench_result *r) {
    memset(r, 0, sizeof *r);
    if (clients < 1) clients = 1;
    if (iters < 1) iters = 1;
    glint_batcher *b = NULL;
    if (use_batcher) {
        glint_batcher_options bo;
        glint_batcher_options_init(&bo);
        bo.contexts = contexts > 0 ? contexts : 1;
        bo.max_batch = batch > 0 ? batch : 32;
        bo.latency_budget_us = 0;
        r->status = glint_batcher_create(e, &bo, &b, r->err, sizeof r->err);
        if (r->status != GLINT_OK) return;
    }
    client *cs = calloc((size_t)clients, sizeof *cs);
    pthread_t *th = calloc((size_t)clients, sizeof *th);
    double *lat = calloc((size_t)clients * (size_t)iters, sizeof *lat);
    pthread_barrier_t start;
    if (!cs || !th || !lat) {
        r->status = GLINT_ERR_OUT_OF_MEMORY;
        snprintf(r->err, sizeof r->err, "out of memory");
        goto done;
    }
    /* the main thread joins the barrier to start the clock with the clients */
    pthread_barrier_init(&start, NULL, (unsigned)clients + 1);
    for (int i = 0; i < clients; i++) {
        cs[i] = (client){e, b, batch, height, width, warmup, iters, pageable,
                         lat + (size_t)i * (size_t)iters, GLINT_OK, "", &start, 0, 0};
        pthread_create(&th[i], NULL, use_batcher ? client_batcher : client_ctx, &cs[i]);
    }
    pthread_barrier_wait(&start);
    for (int i = 0; i < clients; i++) pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start);
    /* span from the clients' own clocks: the joining thread may be scheduled
     * late on a busy machine, which would distort throughput either way */
    double t_begin = cs[0].t_begin, t_end = cs[0].t_end;
    for (int i = 1; i < clients; i++) {
        t_begin = cs[i].t_begin < t_begin ? cs[i].t_begin : t_begin;
        t_end = cs[i].t_end > t_end ? cs[i].t_end : t_end;
    }
    r->span_us = t_end - t_begin;
    for (int i = 0; i < clients; i++)
        if (cs[i].status != GLINT_OK && r->status == GLINT_OK) {
            r->status = cs[i].status;
            snprintf(r->err, sizeof r->err, "%s", cs[i].err);
        }
    if (r->status == GLINT_OK) {
        size_t n = (size_t)clients * (size_t)iters;
        bn_stats_of(lat, n, &r->lat);
        double glyphs = (double)n * (use_batcher ? 1 : batch);
        r->glyphs_per_s = r->span_us > 0 ? glyphs / (r->span_us * 1e-6) : 0;
    }
done:
    free(cs);
    free(th);
    free(lat);
    glint_batcher_free(b);
}

/* ------------------------------------------------------------- command */

static void usage(void) {
    fprintf(stderr,
            "usage: glint bench MODEL [--device cpu|cuda] [--precision fp32|fp16|bf16|int8]\n"
            "                   [--threads T] [--batch N] [--size H] [--width W] [--iters K]\n"
            "                   [--warmup K] [--clients C [--batcher [--contexts N]]] [--pageable]\n"
            "                   [--json]\n"
            "       glint bench --suite MODEL [--device D] --out FILE.json [--iters K]\n"
            "                   [--drift-iters K] [--throughput-iters K] [--idle-s S] [--pageable]\n");
}

static int parse(int argc, char **argv, bench_args *a) {
    memset(a, 0, sizeof *a);
    glint_engine_options_init(&a->eo);
    a->eo.log = cli_log;
    a->batch = 1;
    a->height = 64;
    a->iters = 1000;
    a->warmup = 20;
    a->clients = 1;
    a->contexts = 2;
    a->drift_iters = 10000;
    a->throughput_iters = 10000;
    a->idle_s = 10;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        bool matched = false;
        long v;
        if (!cli_engine_flag(CMD, argc, argv, &i, &a->eo, &matched)) return 2;
        if (matched) continue;
        if (!strcmp(o, "--json")) a->json = true;
        else if (!strcmp(o, "--suite")) a->suite = true;
        else if (!strcmp(o, "--batcher")) a->batcher = true;
        else if (!strcmp(o, "--pageable")) a->pageable = true;
        else if (!strcmp(o, "--out") || !strcmp(o, "-o")) {
            if (!(a->out = cli_value(CMD, argc, argv, &i))) return 2;
        } else if (!strcmp(o, "--idle-s")) {
            const char *s = cli_value(CMD, argc, argv, &i);
            char *end;
            if (!s) return 2;
            a->idle_s = strtod(s, &end);
            if (*end || a->idle_s < 0 || a->idle_s > 3600)
                return cli_error(CMD, "--idle-s wants seconds in 0..3600, not '%s'", s), 2;
        } else if (!strncmp(o, "--", 2)) {
            static const struct { const char *name; long lo, hi; size_t off; } ints[] = {
                {"--batch", 1, 4096, offsetof(bench_args, batch)},
                {"--size", 1, 8192, offsetof(bench_args, height)},
                {"--width", 1, 8192, offsetof(bench_args, width)},
                {"--iters", 1, 100000000, offsetof(bench_args, iters)},
                {"--warmup", 0, 1000000, offsetof(bench_args, warmup)},
                {"--clients", 1, 256, offsetof(bench_args, clients)},
                {"--contexts", 1, 64, offsetof(bench_args, contexts)},
                {"--drift-iters", 2, 100000000, offsetof(bench_args, drift_iters)},
                {"--throughput-iters", 1, 100000000, offsetof(bench_args, throughput_iters)},
            };
            size_t k = 0;
            while (k < sizeof ints / sizeof ints[0] && strcmp(o, ints[k].name)) k++;
            if (k == sizeof ints / sizeof ints[0]) {
                usage();
                return cli_error(CMD, "unknown option '%s'", o), 2;
            }
            const char *s = cli_value(CMD, argc, argv, &i);
            if (!s || !cli_int(CMD, o, s, ints[k].lo, ints[k].hi, &v)) return 2;
            *(int *)((char *)a + ints[k].off) = (int)v;
        } else if (!a->model) {
            a->model = o;
        } else {
            usage();
            return cli_error(CMD, "unexpected argument '%s'", o), 2;
        }
    }
    if (!a->model) {
        usage();
        return cli_error(CMD, "no model given"), 2;
    }
    if (!a->width) a->width = a->height;
    if (a->suite && !a->out) return cli_error(CMD, "--suite needs --out FILE.json"), 2;
    return 0;
}

int cmd_bench(int argc, char **argv) {
    bench_args a;
    int rc = parse(argc, argv, &a);
    if (rc) return rc;
    if (a.suite) return bench_suite(&a);

    char err[512] = "";
    glint_engine *e = NULL;
    double t0 = bn_now_us();
    if (glint_engine_create_from_file(a.model, &a.eo, &e, err, sizeof err) != GLINT_OK)
        return cli_error(CMD, "%s", err);
    double load_ms = (bn_now_us() - t0) / 1000.0;
    bench_result r;
    bench_measure(e, a.batch, a.height, a.width, a.clients, a.batcher, a.contexts, a.warmup,
                  a.iters, a.pageable, &r);
    if (r.status != GLINT_OK) {
        glint_engine_free(e);
        return cli_error(CMD, "%s", r.err[0] ? r.err : glint_status_str(r.status));
    }
    glint_memory_info mi;
    glint_engine_memory_info(e, &mi);
    /* the plan's scratch arena of this bucket, on any device (memory_info
     * counts device memory only, so it is 0 on the CPU) */
    glint_plan_info pi = {0};
    glint_bucket bucket = {a.batcher ? 1 : a.batch, a.height, a.width};
    if (glint_engine_plan_info(e, bucket, &pi, NULL, 0) != GLINT_OK) pi.arena_bytes = 0;
    const char *dev = glint_device_name(glint_engine_device(e));
    const char *prec = glint_precision_name(glint_engine_precision(e));
    /* what the runs copy from: the batcher stacks requests in buffers of
     * its own, from glint_host_alloc, whatever the requests' memory */
    const char *host_memory = bn_host_memory(e, a.pageable && !a.batcher);
    if (a.json) {
        bn_json j;
        bj_open(&j, stdout);
        bj_obj(&j, NULL);
        bj_str(&j, "model", a.model);
        bj_str(&j, "device", dev);
        bj_str(&j, "precision", prec);
        bj_int(&j, "batch", a.batch);
        bj_int(&j, "size", a.height);
        bj_int(&j, "height", a.height);
        bj_int(&j, "width", a.width);
        bj_int(&j, "threads", a.eo.threads);
        bj_int(&j, "clients", a.clients);
        bj_bool(&j, "batcher", a.batcher);
        bj_str(&j, "host_memory", host_memory);
        bj_int(&j, "iters", a.iters);
        bj_int(&j, "warmup", a.warmup);
        bj_num(&j, "p50_us", r.lat.p50);
        bj_num(&j, "p95_us", r.lat.p95);
        bj_num(&j, "p99_us", r.lat.p99);
        bj_num(&j, "max_us", r.lat.max);
        bj_num(&j, "mean_us", r.lat.mean);
        bj_num(&j, "min_us", r.lat.min);
        bj_num(&j, "per_glyph_us", r.lat.mean / (a.batcher ? 1 : a.batch));
        bj_num(&j, "glyphs_per_s", r.glyphs_per_s);
        bj_num(&j, "load_ms", load_ms);
        bj_int(&j, "device_bytes", (int64_t)mi.device_total_bytes);
        bj_int(&j, "arena_bytes", (int64_t)mi.arena_bytes);
        bj_int(&j, "plan_arena_bytes", (int64_t)pi.arena_bytes);
        bj_int(&j, "peak_rss_bytes", (int64_t)bn_peak_rss_bytes());
        bj_end_obj(&j);
        fputc('\n', stdout);
    } else {
        printf("%s on %s/%s, batch %d, %dx%d, %d client(s)%s, %s host memory: p50 %.1f us, "
               "p95 %.1f, p99 %.1f, max %.1f, mean %.1f; %.0f glyphs/s\n",
               a.model, dev, prec, a.batch, a.height, a.width, a.clients,
               a.batcher ? " via batcher" : "", host_memory, r.lat.p50,
               r.lat.p95, r.lat.p99, r.lat.max, r.lat.mean, r.glyphs_per_s);
    }
    glint_engine_free(e);
    return 0;
}
