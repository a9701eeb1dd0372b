/* The run path allocates nothing: every host allocation goes through the
 * engine's allocator hook, so counting calls proves it. Each shape is run
 * once first (binding a new shape may allocate); then 50 runs per shape must
 * make zero calls, with 1 and 4 CPU threads. Switching precision at run
 * time (FP32 and INT8 engines of the bundled generator, calls alternating
 * between their contexts) allocates nothing either. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

static atomic_long g_calls;

static void *count_malloc(void *u, size_t n) { (void)u; atomic_fetch_add(&g_calls, 1); return malloc(n); }
static void *count_realloc(void *u, void *p, size_t n) { (void)u; atomic_fetch_add(&g_calls, 1); return realloc(p, n); }
static void count_free(void *u, void *p) { (void)u; atomic_fetch_add(&g_calls, 1); free(p); }

static const glint_allocator g_counting = {count_malloc, count_realloc, count_free, NULL};

/* FP32 and INT8 engines of the bundled generator (its .calib beside it),
 * one context each, runs alternating between them. */
static void test_precision_switch(void) {
    char model[512], err[512];
    snprintf(model, sizeof model, "%s/models/glyph_generator.onnx", GLINT_SOURCE_DIR);
    const glint_precision prec[2] = {GLINT_PRECISION_FP32, GLINT_PRECISION_INT8};
    glint_engine *e[2] = {NULL, NULL};
    glint_context *c[2] = {NULL, NULL};
    enum { N = 2, H = 32, S = 64 };
    glint_bucket b = {N, H, H};
    for (int i = 0; i < 2; i++) {
        glint_engine_options opt;
        glint_engine_options_init(&opt);
        opt.device = GLINT_DEVICE_CPU;
        opt.precision = prec[i];
        opt.threads = 2;
        opt.allocator = &g_counting;
        opt.buckets = &b;
        opt.bucket_count = 1;
        if (glint_engine_create_from_file(model, &opt, &e[i], err, sizeof err) != GLINT_OK ||
            glint_context_create(e[i], &c[i], err, sizeof err) != GLINT_OK)
            CHECK_MSG(0, "%s: %s", glint_precision_name(prec[i]), err);
    }
    static float content[N * H * H], style[N * S], first[2][N * H * H], out[N * H * H];
    tl_fill_uniform(content, (size_t)(N * H * H), 0, 1);
    tl_fill_uniform(style, (size_t)(N * S), -1, 1);
    glint_tensor in[2] = {{"content", GLINT_DTYPE_FLOAT32, 4, {N, 1, H, H}, content, sizeof content},
                          {"style", GLINT_DTYPE_FLOAT32, 2, {N, S}, style, sizeof style}};
    if (c[0] && c[1]) {
        for (int i = 0; i < 2; i++) {
            glint_tensor o = {"glyph", 0, 0, {0}, first[i], sizeof first[i]};
            CHECK_OK(glint_run(c[i], in, 2, &o, 1));
        }
        CHECK(memcmp(first[0], first[1], sizeof first[0]) != 0); /* two precisions indeed */
        long calls = 0;
        int same = 0;
        for (int r = 0; r < 40; r++) {
            glint_tensor o = {"glyph", 0, 0, {0}, out, sizeof out};
            tl_poison(out, (size_t)(N * H * H));
            atomic_store(&g_calls, 0);
            CHECK_OK(glint_run(c[r % 2], in, 2, &o, 1));
            calls += atomic_load(&g_calls);
            same += memcmp(out, first[r % 2], sizeof out) == 0;
        }
        CHECK_MSG(calls == 0, "precision switching: %ld allocator calls in 40 runs", calls);
        CHECK_MSG(same == 40, "precision switching: %d of 40 runs repeat their engine's output", same);
    }
    for (int i = 0; i < 2; i++) {
        glint_context_free(c[i]);
        glint_engine_free(e[i]);
    }
}

int main(void) {
    tl_seed_from_env();
    test_precision_switch();
    char model[512], err[512];
    snprintf(model, sizeof model, "%s/tests/models/unet_opset17.onnx", GLINT_SOURCE_DIR);
    static const int shapes[][3] = {{1, 16, 16}, {3, 32, 24}, {2, 8, 16}};
    for (int threads = 1; threads <= 4; threads += 3) {
        glint_engine_options opt;
        glint_engine_options_init(&opt);
        opt.device = GLINT_DEVICE_CPU;
        opt.threads = threads;
        opt.allocator = &g_counting;
        glint_bucket b = {1, 16, 16};
        opt.buckets = &b;
        opt.bucket_count = 1;
        glint_engine *e = NULL;
        glint_context *c = NULL;
        if (glint_engine_create_from_file(model, &opt, &e, err, sizeof err) != GLINT_OK ||
            glint_context_create(e, &c, err, sizeof err) != GLINT_OK) {
            CHECK_MSG(0, "%s", err);
            glint_engine_free(e);
            continue;
        }
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            int n = shapes[s][0], h = shapes[s][1], w = shapes[s][2];
            size_t nc = (size_t)n * h * w;
            float *content = malloc(nc * 4), *style = malloc((size_t)n * 8 * 4), *out = malloc(nc * 4);
            tl_fill_uniform(content, nc, 0, 1);
            tl_fill_uniform(style, (size_t)n * 8, -1, 1);
            glint_tensor in[2] = {{"content", GLINT_DTYPE_FLOAT32, 4, {n, 1, h, w}, content, nc * 4},
                                  {"style", GLINT_DTYPE_FLOAT32, 2, {n, 8}, style, (size_t)n * 32}};
            glint_tensor o = {"glyph", 0, 0, {0}, out, nc * 4};
            CHECK_OK(glint_run(c, in, 2, &o, 1)); /* binds the shape: may allocate */
            atomic_store(&g_calls, 0);
            for (int r = 0; r < 50; r++) {
                glint_status st = glint_run(c, in, 2, &o, 1);
                if (st != GLINT_OK) {
                    CHECK_MSG(0, "%s", glint_context_last_error(c));
                    break;
                }
            }
            long calls = atomic_load(&g_calls);
            CHECK_MSG(calls == 0, "%d threads, shape %dx%dx%d: %ld allocator calls in 50 runs", threads, n, h, w, calls);
            free(content);
            free(style);
            free(out);
        }
        glint_context_free(c);
        glint_engine_free(e);
    }
    return TEST_END();
}
