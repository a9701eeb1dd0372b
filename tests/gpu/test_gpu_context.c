/* Contexts of the CUDA backend through its vtable, on a small conv graph with
 * dynamic N, H, W: two buckets bound to one context (the arena grows, graphs
 * are recaptured), device-loss injection and recovery with both bound (the
 * rebuild must size the arena for the larger one before warming either),
 * graph replay vs kernel-by-kernel launches bit for bit, and four threads
 * with their own contexts sharing one engine and its prepared plans, each
 * checking every output against the reference. One line per check. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "gpu_util.h"

static gl_graph *make_graph(void) {
    gu_graph b;
    gu_begin(&b, 17);
    gu_input(&b, "x", 4, (int64_t[]){-1, 8, -1, -1});
    gu_weight(&b, "w", D_(16, 8, 3, 3), -0.3f, 0.3f);
    gu_weight(&b, "bias", D_(16), -0.5f, 0.5f);
    int n = gu_node(&b, "Conv", (const char *[]){"x", "w", "bias"}, 3, (const char *[]){"c"}, 1);
    gu_attr_ints(&b, n, "pads", D_(1, 1, 1, 1));
    gu_node(&b, "Relu", (const char *[]){"c"}, 1, (const char *[]){"y"}, 1);
    gu_output(&b, "y");
    gl_err err;
    gl_err_clear(&err);
    if (b.bad || gl_graph_finalize(b.g, &err)) {
        printf("FAIL building the graph: %s\n", b.bad ? b.err.msg : err.msg);
        tl_failed++;
        if (b.g) gl_graph_free(b.g);
        return NULL;
    }
    return b.g;
}

typedef struct bucket {
    gl_plan *plan;
    void *prep;
    size_t n_in, n_out;
    float *in, *ref, *got;
} bucket;

static bool bucket_init(bucket *k, const gl_graph *g, int64_t n, int64_t hw, glint_precision prec) {
    memset(k, 0, sizeof *k);
    gl_shape s = {4, {n, 8, hw, hw}};
    gl_err err;
    gl_err_clear(&err);
    if (gl_plan_build(g, &s, prec, &k->plan, &err)) {
        printf("FAIL plan [%lld,8,%lld,%lld]: %s\n", (long long)n, (long long)hw, (long long)hw,
               err.msg);
        tl_failed++;
        return false;
    }
    k->n_in = (size_t)(n * 8 * hw * hw);
    k->n_out = (size_t)(n * 16 * hw * hw);
    k->in = malloc(k->n_in * sizeof(float));
    k->ref = malloc(k->n_out * sizeof(float));
    k->got = malloc(k->n_out * sizeof(float));
    return k->in && k->ref && k->got;
}

static void bucket_free(bucket *k, const gl_backend *be, void *eng) {
    if (k->prep) be->plan_release(eng, k->prep);
    if (k->plan) gl_plan_free(k->plan);
    free(k->in);
    free(k->ref);
    free(k->got);
}

/* Fresh inputs, the reference output, poisoned got. */
static bool bucket_fresh(bucket *k) {
    tl_fill_uniform(k->in, k->n_in, -1.0f, 1.0f);
    tl_poison(k->ref, k->n_out);
    tl_poison(k->got, k->n_out);
    gl_err err;
    gl_err_clear(&err);
    float *in[1] = {k->in}, *out[1] = {k->ref};
    return gu_run_reference(k->plan, in, out, &err) == GLINT_OK;
}

static glint_status bucket_run(const gl_backend *be, void *ctx, bucket *k, gl_err *err) {
    const void *in[1] = {k->in};
    void *out[1] = {k->got};
    return be->run(ctx, k->prep, in, out, err);
}

static double bucket_err(const bucket *k) {
    if (gu_first_nan(k->got, k->n_out) >= 0) return INFINITY;
    return gu_rel_err(k->got, k->ref, k->n_out);
}

static void check(bool ok, const char *fmt, const char *detail) {
    printf("%s ", ok ? "PASS" : "FAIL");
    printf(fmt, detail ? detail : "");
    printf("\n");
    if (ok) tl_passed++;
    else tl_failed++;
}

/* Two buckets in one context, with a device loss injected on the first run. */
static void two_buckets_and_recovery(const gl_graph *g) {
    const gl_backend *be = gl_backend_cuda();
    gl_backend_config cfg = {.alloc = gl_default_allocator(), .precision = GLINT_PRECISION_FP32,
                             .threads = 1, .flags = GLINT_FLAG_INJECT_DEVICE_LOSS};
    void *eng = NULL, *ctx = NULL;
    bucket small, big;
    memset(&small, 0, sizeof small);
    memset(&big, 0, sizeof big);
    gl_err err;
    gl_err_clear(&err);
    bool ok = bucket_init(&small, g, 1, 8, cfg.precision) && bucket_init(&big, g, 3, 40, cfg.precision);
    glint_status st = ok ? be->engine_init(&cfg, g, &eng, &err) : GLINT_ERR_INTERNAL;
    if (!st) st = be->plan_prepare(eng, small.plan, &small.prep, &err);
    if (!st) st = be->plan_prepare(eng, big.plan, &big.prep, &err);
    if (!st) st = be->context_create(eng, &ctx, &err);
    if (!st) st = be->context_bind(ctx, small.prep, &err); /* arena for small ... */
    if (!st) st = be->context_bind(ctx, big.prep, &err);   /* ... grows for big, small recaptured */
    if (st) {
        check(false, "two buckets: setup: %s", err.msg);
        goto done;
    }
    bucket_fresh(&small);
    st = bucket_run(be, ctx, &small, &err);
    check(st == GLINT_ERR_DEVICE, "injected loss: first run fails with a device error (%s)", err.msg);
    /* The rebuild re-warms both graphs; it must size the arena for big first. */
    bucket_fresh(&big);
    gl_err_clear(&err);
    st = bucket_run(be, ctx, &big, &err);
    char msg[GL_ERR_MAX + 200];
    snprintf(msg, sizeof msg, "%s, max_rel_err %.2e", st ? err.msg : "ok", st ? 0.0 : bucket_err(&big));
    check(!st && bucket_err(&big) <= 1e-4, "after recovery: big bucket [3,8,40,40] fp32 %s", msg);
    for (int rep = 0; rep < 3; rep++) {
        bucket *k = rep % 2 ? &big : &small;
        bucket_fresh(k);
        st = bucket_run(be, ctx, k, &err);
        snprintf(msg, sizeof msg, "%s [%s] %s, max_rel_err %.2e", rep % 2 ? "big" : "small",
                 rep % 2 ? "3,8,40,40" : "1,8,8,8", st ? err.msg : "ok", st ? 0.0 : bucket_err(k));
        check(!st && bucket_err(k) <= 1e-4, "alternating buckets in one context: %s", msg);
    }
done:
    if (ctx) be->context_free(ctx);
    bucket_free(&small, be, eng);
    bucket_free(&big, be, eng);
    if (eng) be->engine_free(eng);
}

/* Graph replay and direct launches of the same prepared plan agree bit for bit. */
static void graph_vs_direct(const gl_graph *g, glint_precision prec) {
    const gl_backend *be = gl_backend_cuda();
    gl_backend_config cfg = {.alloc = gl_default_allocator(), .precision = prec, .threads = 1};
    void *eng = NULL, *cg = NULL, *cd = NULL;
    bucket k;
    gl_err err;
    gl_err_clear(&err);
    glint_status st = bucket_init(&k, g, 2, 16, prec) ? be->engine_init(&cfg, g, &eng, &err)
                                                      : GLINT_ERR_INTERNAL;
    if (!st) st = be->plan_prepare(eng, k.plan, &k.prep, &err);
    if (!st) st = be->context_create(eng, &cg, &err);
    setenv("GLINT_CUDA_NO_GRAPH", "1", 1);
    if (!st) st = be->context_create(eng, &cd, &err);
    unsetenv("GLINT_CUDA_NO_GRAPH");
    if (!st) st = be->context_bind(cg, k.prep, &err);
    if (!st) st = be->context_bind(cd, k.prep, &err);
    bool same = true;
    double e = 0;
    float *a = malloc(k.n_out * sizeof(float));
    for (int rep = 0; !st && rep < 3; rep++) {
        bucket_fresh(&k);
        st = bucket_run(be, cg, &k, &err);
        if (st) break;
        e = GL_MAX(e, bucket_err(&k));
        memcpy(a, k.got, k.n_out * sizeof(float));
        tl_poison(k.got, k.n_out);
        st = bucket_run(be, cd, &k, &err);
        same &= !st && memcmp(a, k.got, k.n_out * sizeof(float)) == 0;
    }
    char msg[GL_ERR_MAX + 200];
    snprintf(msg, sizeof msg, "%s: %s, max_rel_err %.2e",
             prec == GLINT_PRECISION_FP16 ? "fp16" : "fp32",
             st ? err.msg : (same ? "identical" : "DIFFER"), e);
    check(!st && same && e <= (prec == GLINT_PRECISION_FP16 ? 1e-2 : 1e-4),
          "graph replay vs direct launches [2,8,16,16] %s", msg);
    free(a);
    if (cg) be->context_free(cg);
    if (cd) be->context_free(cd);
    bucket_free(&k, be, eng);
    if (eng) be->engine_free(eng);
}

typedef struct thr {
    const gl_backend *be;
    void *eng;
    const gl_graph *g;
    void *prep_small, *prep_big;
    gl_plan *plan_small, *plan_big;
    int runs, bad;
    char err[GL_ERR_MAX + 32];
} thr;

static void *thread_main(void *p) {
    thr *t = p;
    void *ctx = NULL;
    gl_err err;
    gl_err_clear(&err);
    bucket k[2];
    memset(k, 0, sizeof k);
    /* The threads share the plans and prepared plans; only the buffers are theirs. */
    k[0].plan = t->plan_small, k[0].prep = t->prep_small;
    k[1].plan = t->plan_big, k[1].prep = t->prep_big;
    for (int i = 0; i < 2; i++) {
        const gl_shape *s = &k[i].plan->tensors[k[i].plan->inputs[0]].shape;
        k[i].n_in = (size_t)gl_shape_numel(s);
        k[i].n_out = k[i].n_in * 2;
        k[i].in = malloc(k[i].n_in * sizeof(float));
        k[i].ref = malloc(k[i].n_out * sizeof(float));
        k[i].got = malloc(k[i].n_out * sizeof(float));
    }
    glint_status st = t->be->context_create(t->eng, &ctx, &err);
    if (!st) st = t->be->context_bind(ctx, k[0].prep, &err);
    if (!st) st = t->be->context_bind(ctx, k[1].prep, &err);
    for (int r = 0; !st && r < t->runs; r++) {
        bucket *b = &k[r % 2];
        if (!bucket_fresh(b)) {
            t->bad++;
            continue;
        }
        glint_status rs = bucket_run(t->be, ctx, b, &err);
        if (rs || !(bucket_err(b) <= 1e-4)) {
            if (!t->bad++)
                snprintf(t->err, sizeof t->err, "run %d: %s", r,
                         rs ? err.msg : "output differs from the reference");
        }
    }
    if (st) {
        t->bad = t->runs;
        snprintf(t->err, sizeof t->err, "setup: %s", err.msg);
    }
    if (ctx) t->be->context_free(ctx);
    for (int i = 0; i < 2; i++) {
        free(k[i].in);
        free(k[i].ref);
        free(k[i].got);
    }
    return NULL;
}

static void threads(const gl_graph *g) {
    enum { T = 4, RUNS = 100 };
    const gl_backend *be = gl_backend_cuda();
    gl_backend_config cfg = {.alloc = gl_default_allocator(), .precision = GLINT_PRECISION_FP32,
                             .threads = 1};
    void *eng = NULL;
    bucket small, big;
    memset(&small, 0, sizeof small);
    memset(&big, 0, sizeof big);
    gl_err err;
    gl_err_clear(&err);
    bool ok = bucket_init(&small, g, 1, 8, cfg.precision) && bucket_init(&big, g, 2, 24, cfg.precision);
    glint_status st = ok ? be->engine_init(&cfg, g, &eng, &err) : GLINT_ERR_INTERNAL;
    if (!st) st = be->plan_prepare(eng, small.plan, &small.prep, &err);
    if (!st) st = be->plan_prepare(eng, big.plan, &big.prep, &err);
    thr t[T];
    pthread_t th[T];
    int started = 0, bad = 0;
    const char *first = "";
    double t0 = gl_now_us();
    for (int i = 0; !st && i < T; i++) {
        t[i] = (thr){.be = be, .eng = eng, .g = g, .prep_small = small.prep, .prep_big = big.prep,
                     .plan_small = small.plan, .plan_big = big.plan, .runs = RUNS};
        if (pthread_create(&th[i], NULL, thread_main, &t[i]) == 0) started++;
    }
    for (int i = 0; i < started; i++) {
        pthread_join(th[i], NULL);
        bad += t[i].bad;
        if (!*first && t[i].err[0]) first = t[i].err;
    }
    char msg[GL_ERR_MAX + 200];
    snprintf(msg, sizeof msg, "%d threads x %d runs (2 buckets each, every output checked) in %.2f s: "
             "%d bad %s", started, RUNS, (gl_now_us() - t0) / 1e6, bad, st ? err.msg : first);
    check(!st && started == T && bad == 0, "threads sharing one engine: %s", msg);
    bucket_free(&small, be, eng);
    bucket_free(&big, be, eng);
    if (eng) be->engine_free(eng);
}

/* GLINT_GPU_OPS_DRY=1 (no GPU): the graph, plans and reference outputs only. */
static void dry(const gl_graph *g) {
    bucket a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    bool ok = bucket_init(&a, g, 1, 8, GLINT_PRECISION_FP32) &&
              bucket_init(&b, g, 3, 40, GLINT_PRECISION_FP32) && bucket_fresh(&a) &&
              bucket_fresh(&b) && gu_first_nan(a.ref, a.n_out) < 0 && gu_first_nan(b.ref, b.n_out) < 0;
    check(ok, "dry run: both buckets plan and run on the reference%s", "");
    bucket_free(&a, NULL, NULL);
    bucket_free(&b, NULL, NULL);
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    bool is_dry = getenv("GLINT_GPU_OPS_DRY") != NULL;
    if (!is_dry) gu_require_gpu();
    tl_seed_from_env();
    gl_graph *g = make_graph();
    if (!g) return TEST_END();
    if (is_dry) {
        dry(g);
        gl_graph_free(g);
        return TEST_END();
    }
    two_buckets_and_recovery(g);
    graph_vs_direct(g, GLINT_PRECISION_FP32);
    graph_vs_direct(g, GLINT_PRECISION_FP16);
    threads(g);
    gl_graph_free(g);
    return TEST_END();
}
