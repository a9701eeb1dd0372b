/* Sample-chunked runs of batched plans (src/backend/cpu/batch_split.h):
 * the chunk-size rule; the small glyph U-Net at several batches, chunk sizes
 * and thread counts against the same plan run whole (GLINT_CPU_CHUNK=0) and
 * against the reference kernels, outputs poisoned first, no allocation on
 * the run path; and graphs that mix samples (a Slice walking the batch
 * backwards, a Softmax over it, a runtime operand broadcast across it) are
 * left whole and still give the right answer. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "backend/cpu/batch_split.h"
#include "backend/cpu/cpu_backend.h"
#include "onnx_writer.h"
#include "testlib.h"

static atomic_long g_calls;
static void *cmalloc(void *u, size_t n) { (void)u; atomic_fetch_add(&g_calls, 1); return malloc(n); }
static void *crealloc(void *u, void *p, size_t n) { (void)u; atomic_fetch_add(&g_calls, 1); return realloc(p, n); }
static void cfree(void *u, void *p) { (void)u; atomic_fetch_add(&g_calls, 1); free(p); }
static const glint_allocator g_counting = {cmalloc, crealloc, cfree, NULL};

/* A CPU state with kernel ("ref" = reference kernels) and chunk setting. */
static void *state(const char *kernel, const char *chunk, int threads) {
    gl_backend_config cfg = {.alloc = &g_counting, .precision = GLINT_PRECISION_FP32,
                             .threads = threads};
    setenv("GLINT_CPU_KERNEL", kernel, 1);
    setenv("GLINT_CPU_CHUNK", chunk, 1);
    void *st = NULL;
    gl_err err = {0};
    glint_status s = gl_backend_cpu.engine_init(&cfg, NULL, &st, &err);
    unsetenv("GLINT_CPU_KERNEL");
    unsetenv("GLINT_CPU_CHUNK");
    CHECK_MSG(s == GLINT_OK, "engine_init(%s, chunk %s): %s", kernel, chunk, err.msg);
    return st;
}

/* Runs p twice on st into out (n floats, poisoned first); returns the
 * chunk size the backend chose (-1 on failure). */
static int64_t run(void *st, const gl_plan *p, const void *const *inputs, float *out, size_t n) {
    gl_err err = {0};
    void *prep = NULL, *ctx = NULL;
    int64_t chunk = -1;
    if (gl_backend_cpu.plan_prepare(st, p, &prep, &err) != GLINT_OK ||
        gl_backend_cpu.context_create(st, &ctx, &err) != GLINT_OK ||
        gl_backend_cpu.context_bind(ctx, prep, &err) != GLINT_OK) {
        fprintf(stderr, "prepare/bind: %s\n", err.msg);
        CHECK(0);
        goto done;
    }
    gl_cpu_chunk_prepared(prep, &chunk);
    void *outs[1] = {out};
    for (int r = 0; r < 2; r++) {
        tl_poison(out, n);
        long before = atomic_load(&g_calls);
        if (gl_backend_cpu.run(ctx, prep, inputs, outs, &err) != GLINT_OK) {
            fprintf(stderr, "run: %s\n", err.msg);
            CHECK(0);
            chunk = -1;
            break;
        }
        CHECK_MSG(atomic_load(&g_calls) == before, "run allocated %ld times",
                  atomic_load(&g_calls) - before);
    }
done:
    gl_backend_cpu.context_free(ctx);
    gl_backend_cpu.plan_release(st, prep);
    return chunk;
}

static void test_chunk_size(void) {
    CHECK(gl_cpu_chunk_size(32, 1, 1) == 1);
    CHECK(gl_cpu_chunk_size(32, 1, 4) == 4);
    CHECK(gl_cpu_chunk_size(32, 2, 4) == 4);
    CHECK(gl_cpu_chunk_size(32, 2, 5) == 4);   /* a divisor of N: every chunk the same plan */
    CHECK(gl_cpu_chunk_size(8, 2, 4) == 2);    /* two chunks per thread */
    CHECK(gl_cpu_chunk_size(7, 1, 2) == 1);
    CHECK(gl_cpu_chunk_size(4, 1, 4) == 2);
    CHECK(gl_cpu_chunk_size(2, 4, 1) == 1);
    CHECK(gl_cpu_chunk_size(1, 1, 1) == 0);    /* nothing to split */
    CHECK(gl_cpu_chunk_size(32, 1, 0) == 0);   /* disabled */
}

static void test_unet(void) {
    bool missing;
    gl_graph *g = tl_load_graph("tests/models/unet_opset17.onnx", &missing);
    if (missing) tl_skip("tests/models/unet_opset17.onnx not found");
    if (!g) return;
    gl_err err = {0};
    const int64_t S = g->values[g->inputs[1]].shape.d[1];
    static const int64_t buckets[][3] = {{4, 16, 16}, {6, 24, 16}, {5, 8, 8}};
    void *ref = state("ref", "0", 1);
    for (size_t b = 0; b < GL_ARRAY_LEN(buckets); b++) {
        const int64_t N = buckets[b][0], H = buckets[b][1], W = buckets[b][2];
        gl_shape in[2] = {{4, {N, 1, H, W}}, {2, {N, S}}};
        gl_plan *p = NULL;
        CHECK_OK(gl_plan_build(g, in, GLINT_PRECISION_FP32, &p, &err));
        if (!p) continue;
        CHECK(gl_cpu_plan_batch(p) == N);
        const size_t nc = (size_t)(N * H * W), ns = (size_t)(N * S);
        const size_t no = p->tensors[p->outputs[0]].bytes / sizeof(float);
        float *content = malloc(nc * 4), *style = malloc(ns * 4);
        float *want = malloc(no * 4), *whole = malloc(no * 4), *got = malloc(no * 4);
        tl_fill_uniform(content, nc, 0, 1);
        tl_fill_uniform(style, ns, -1, 1);
        const void *inputs[2] = {content, style};
        CHECK(run(ref, p, inputs, want, no) == 0);
        for (int threads = 1; threads <= 3; threads++) {
            void *st0 = state("", "0", threads);
            CHECK(run(st0, p, inputs, whole, no) == 0);
            CHECK(tl_close(whole, want, no, 1e-4f, 1e-5f, "whole batch vs reference"));
            gl_backend_cpu.engine_free(st0);
            static const char *const chunks[] = {"1", "2", "3"};
            for (size_t k = 0; k < GL_ARRAY_LEN(chunks); k++) {
                void *st = state("", chunks[k], threads);
                const int64_t expect = gl_cpu_chunk_size(N, threads, atoi(chunks[k]));
                const int64_t c = run(st, p, inputs, got, no);
                char what[96];
                snprintf(what, sizeof what, "N=%lld %lldx%lld threads %d chunk %lld", (long long)N,
                         (long long)H, (long long)W, threads, (long long)c);
                CHECK_MSG(c == expect && c > 0, "%s: expected chunks of %lld", what, (long long)expect);
                CHECK(tl_close(got, whole, no, 1e-5f, 1e-6f, what));
                CHECK(tl_close(got, want, no, 1e-4f, 1e-5f, what));
                gl_backend_cpu.engine_free(st);
            }
        }
        free(content); free(style); free(want); free(whole); free(got);
        gl_plan_free(p);
    }
    gl_backend_cpu.engine_free(ref);
    gl_graph_free(g);
}

/* x [N,3] → op → y [N,3]; op 0: Slice reversing dim 0; 1: Softmax over
 * dim 0; 2: Add of x and a Slice of x's column 0 flattened to [N] (rank 1:
 * it broadcasts along the last axis, so sample n reads sample j's value). */
static gl_graph *mixing_graph(int which) {
    pbw g = {0};
    const int64_t xd[2] = {-1, 3};
    if (which == 0) {
        const int64_t one = 1, st = -1, en = INT64_MIN, ax = 0, step = -1;
        pbw t[4] = {ow_tensor_i64("st", &one, 1, &st), ow_tensor_i64("en", &one, 1, &en),
                    ow_tensor_i64("ax", &one, 1, &ax), ow_tensor_i64("sp", &one, 1, &step)};
        for (int i = 0; i < 4; i++) pbw_msg(&g, 5, &t[i]);
        const char *ins[] = {"x", "st", "en", "ax", "sp"}, *outs[] = {"y"};
        ow_node(&g, "rev", "Slice", ins, 5, outs, 1, NULL, 0);
    } else if (which == 1) {
        pbw a = ow_attr_int("axis", 0);
        const char *ins[] = {"x"}, *outs[] = {"y"};
        ow_node(&g, "sm", "Softmax", ins, 1, outs, 1, &a, 1);
    } else {
        const int64_t one = 1, two = 2, z = 0, o = 1, shape = -1;
        pbw t[4] = {ow_tensor_i64("st", &one, 1, &z), ow_tensor_i64("en", &one, 1, &o),
                    ow_tensor_i64("ax", &one, 1, &o), ow_tensor_i64("sh", &one, 1, &shape)};
        (void)two;
        for (int i = 0; i < 4; i++) pbw_msg(&g, 5, &t[i]);
        const char *s_in[] = {"x", "st", "en", "ax"}, *s_out[] = {"c0"};
        ow_node(&g, "col", "Slice", s_in, 4, s_out, 1, NULL, 0);
        const char *r_in[] = {"c0", "sh"}, *r_out[] = {"v"};
        ow_node(&g, "flat", "Reshape", r_in, 2, r_out, 1, NULL, 0);
        const char *a_in[] = {"x", "v"}, *a_out[] = {"y"};
        ow_node(&g, "add", "Add", a_in, 2, a_out, 1, NULL, 0);
    }
    ow_value(&g, 11, "x", OW_FLOAT, xd, 2);
    ow_value(&g, 12, "y", OW_FLOAT, xd, 2);
    pbw m = ow_model(&g, 17, "test_cpu_batch_split");
    gl_graph *graph = NULL;
    gl_err err = {0};
    if (gl_onnx_load(m.p, m.n, NULL, &graph, &err) != GLINT_OK ||
        gl_graph_optimize(graph, &err) != GLINT_OK) {
        fprintf(stderr, "mixing graph %d: %s\n", which, err.msg);
        gl_graph_free(graph);
        graph = NULL;
    }
    pbw_free(&m);
    return graph;
}

static void test_mixing(void) {
    for (int which = 0; which < 3; which++) {
        gl_graph *g = mixing_graph(which);
        CHECK_MSG(g != NULL, "mixing graph %d did not load", which);
        if (!g) continue;
        const int64_t N = 3;
        gl_shape in[1] = {{2, {N, 3}}};
        gl_plan *p = NULL;
        gl_err err = {0};
        CHECK_OK(gl_plan_build(g, in, GLINT_PRECISION_FP32, &p, &err));
        if (!p) { fprintf(stderr, "%s\n", err.msg); gl_graph_free(g); continue; }
        float x[9], want[9], got[9];
        tl_fill_uniform(x, 9, -1, 1);
        const void *inputs[1] = {x};
        void *ref = state("ref", "0", 1), *st = state("", "1", 1);
        CHECK(run(ref, p, inputs, want, 9) == 0);
        CHECK_MSG(run(st, p, inputs, got, 9) == 0, "graph %d was split into chunks", which);
        CHECK(tl_close(got, want, 9, 1e-6f, 1e-7f, "mixing graph"));
        if (which == 0) /* the reference itself reverses the batch */
            for (int i = 0; i < 9; i++) CHECK(want[i] == x[(2 - i / 3) * 3 + i % 3]);
        gl_backend_cpu.engine_free(ref);
        gl_backend_cpu.engine_free(st);
        gl_plan_free(p);
        gl_graph_free(g);
    }
}

int main(void) {
    tl_seed_from_env();
    test_chunk_size();
    test_mixing();
    test_unet();
    return TEST_END();
}
