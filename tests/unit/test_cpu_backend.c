/* The CPU backend through its vtable on the small glyph U-Net: fast kernels
 * (every SGEMM variant this CPU has, 1 to 4 threads) against the reference
 * kernels (GLINT_CPU_KERNEL=ref) on fresh random inputs at several buckets;
 * weights packed once and shared by plans of every bucket; the run path makes no allocation
 * (counting allocator); outputs poisoned first; precisions other than fp32
 * refused with a message. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/sgemm.h"
#include "testlib.h"

static atomic_long g_calls;
static int g_fast_steps;
static void *cmalloc(void *u, size_t n) { (void)u; atomic_fetch_add(&g_calls, 1); return malloc(n); }
static void *crealloc(void *u, void *p, size_t n) { (void)u; atomic_fetch_add(&g_calls, 1); return realloc(p, n); }
static void cfree(void *u, void *p) { (void)u; atomic_fetch_add(&g_calls, 1); free(p); }
static const glint_allocator g_counting = {cmalloc, crealloc, cfree, NULL};

static void *init_state(const char *kernel, int threads, const gl_graph *g) {
    gl_backend_config cfg = {.alloc = &g_counting, .precision = GLINT_PRECISION_FP32,
                             .threads = threads};
    setenv("GLINT_CPU_KERNEL", kernel, 1);
    void *st = NULL;
    gl_err err = {0};
    glint_status s = gl_backend_cpu.engine_init(&cfg, g, &st, &err);
    unsetenv("GLINT_CPU_KERNEL");
    CHECK_MSG(s == GLINT_OK, "engine_init(%s): %s", kernel, err.msg);
    return st;
}

/* Runs plan p on backend state st; out gets graph output 0. */
static int run_plan(void *st, const gl_plan *p, const void *const *inputs, float *out,
                    size_t out_floats, int expect_fast) {
    gl_err err = {0};
    void *prep = NULL, *ctx = NULL;
    int ok = 1;
    ok &= gl_backend_cpu.plan_prepare(st, p, &prep, &err) == GLINT_OK;
    if (expect_fast) CHECK_MSG(gl_cpu_fast_step_count(prep) > 0, "no fast steps chosen");
    else CHECK(gl_cpu_fast_step_count(prep) == 0);
    g_fast_steps += gl_cpu_fast_step_count(prep);
    ok &= gl_backend_cpu.context_create(st, &ctx, &err) == GLINT_OK;
    ok &= gl_backend_cpu.context_bind(ctx, prep, &err) == GLINT_OK;
    if (!ok) { fprintf(stderr, "prepare/bind: %s\n", err.msg); return 0; }
    void *outs[1] = {out};
    for (int r = 0; r < 3 && ok; r++) {
        tl_poison(out, out_floats);
        long before = atomic_load(&g_calls);
        ok &= gl_backend_cpu.run(ctx, prep, inputs, outs, &err) == GLINT_OK;
        CHECK_MSG(atomic_load(&g_calls) == before, "run allocated %ld times",
                  atomic_load(&g_calls) - before);
    }
    if (!ok) fprintf(stderr, "run: %s\n", err.msg);
    gl_backend_cpu.context_free(ctx);
    gl_backend_cpu.plan_release(st, prep);
    return ok;
}

int main(void) {
    tl_seed_from_env();
    bool missing;
    gl_graph *g = tl_load_graph("tests/models/unet_opset17.onnx", &missing);
    if (missing) tl_skip("tests/models/unet_opset17.onnx not found");
    if (!g) return TEST_END();
    gl_err err = {0};
    const int64_t style_dim = g->values[g->inputs[1]].shape.d[1];

    /* fp16 on the CPU: refused with a message naming the precision */
    gl_backend_config cfg16 = {.alloc = NULL, .precision = GLINT_PRECISION_FP16, .threads = 1};
    cfg16.alloc = gl_default_allocator();
    void *st16 = NULL;
    CHECK(gl_backend_cpu.engine_init(&cfg16, g, &st16, &err) == GLINT_ERR_UNSUPPORTED);
    CHECK(st16 == NULL && strstr(err.msg, "fp16") != NULL);

    static const int shapes[][3] = {{1, 16, 16}, {3, 32, 24}, {2, 8, 16}};
    void *ref = init_state("ref", 1, g);
    /* one state for every bucket: the graph's weights are packed for the
     * first and found by address for the others */
    void *shared = init_state("generic", 1, g);
    int shared_packs = -1;
    const char *kernels[] = {"avx512", "avx2", "generic"};
    for (size_t s = 0; s < GL_ARRAY_LEN(shapes); s++) {
        const int64_t N = shapes[s][0], H = shapes[s][1], W = shapes[s][2];
        gl_shape in[2] = {{4, {N, 1, H, W}}, {2, {N, style_dim}}};
        gl_plan *p = NULL;
        CHECK_OK(gl_plan_build(g, in, GLINT_PRECISION_FP32, &p, &err));
        if (!p) { fprintf(stderr, "%s\n", err.msg); continue; }
        size_t n_content = (size_t)(N * H * W), n_style = (size_t)(N * style_dim);
        size_t n_out = p->tensors[p->outputs[0]].bytes / sizeof(float);
        float *content = malloc(n_content * 4), *style = malloc(n_style * 4);
        float *want = malloc(n_out * 4), *got = malloc(n_out * 4);
        tl_fill_uniform(content, n_content, 0, 1);
        tl_fill_uniform(style, n_style, -1, 1);
        const void *inputs[2] = {content, style};
        CHECK(run_plan(ref, p, inputs, want, n_out, 0));
        if (shared) {
            CHECK(run_plan(shared, p, inputs, got, n_out, 1));
            CHECK(tl_close(got, want, n_out, 1e-4f, 1e-5f, "shared packs"));
            if (shared_packs < 0) shared_packs = gl_cpu_packed_weight_count(shared);
            CHECK_MSG(gl_cpu_packed_weight_count(shared) == shared_packs,
                      "bucket %lldx%lldx%lld packed %d weights again", (long long)N, (long long)H,
                      (long long)W, gl_cpu_packed_weight_count(shared) - shared_packs);
        }
        for (size_t k = 0; k < GL_ARRAY_LEN(kernels); k++) {
            if (!gl_sgemm_kernel_named(kernels[k])) continue;
            for (int threads = 1; threads <= 4; threads += 1 + (int)k) {
                void *st = init_state(kernels[k], threads, g);
                if (!st) continue;
                CHECK(strcmp(gl_cpu_kernel_name(st), kernels[k]) == 0);
                CHECK(run_plan(st, p, inputs, got, n_out, 1));
                char what[96];
                snprintf(what, sizeof what, "%s threads=%d bucket %lldx%lldx%lld", kernels[k],
                         threads, (long long)N, (long long)H, (long long)W);
                CHECK(tl_close(got, want, n_out, 1e-4f, 1e-5f, what));
                /* a second plan of the same bucket reuses the packed weights */
                int packs = gl_cpu_packed_weight_count(st);
                CHECK(packs > 0);
                CHECK(run_plan(st, p, inputs, got, n_out, 1));
                CHECK(gl_cpu_packed_weight_count(st) == packs);
                gl_backend_cpu.engine_free(st);
            }
        }
        free(content); free(style); free(want); free(got);
        gl_plan_free(p);
    }
    gl_backend_cpu.engine_free(shared);
    gl_backend_cpu.engine_free(ref);
    gl_graph_free(g);
    return TEST_END();
}
