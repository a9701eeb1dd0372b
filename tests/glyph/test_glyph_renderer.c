/* The renderer with the trained models (skipped while models/ is empty):
 * restyled glyphs equal a direct generator run on the same content and style
 * (batching, caching and the contract plumbing add nothing), outputs fully
 * written and in [0,1], caches hit on repeats, missing characters reported,
 * and threads restyling at once get the single-threaded results. */
#include <pthread.h>

#include "glyph/glyph_internal.h"
#include "glyph_test_util.h"

static char g_gen[4200], g_enc[4200];

static bool find_models(void) {
    const char *dir = getenv("GLINT_MODEL_DIR");
    char buf[4096];
    if (!dir || !*dir) { /* ctest sets it for the tiny models */
        snprintf(buf, sizeof buf, "%s/models", GLINT_SOURCE_DIR);
        dir = buf;
    }
    snprintf(g_gen, sizeof g_gen, "%s/glyph_generator.onnx", dir);
    snprintf(g_enc, sizeof g_enc, "%s/style_encoder.onnx", dir);
    return access(g_gen, R_OK) == 0 && access(g_enc, R_OK) == 0;
}

static glint_glyph_renderer *make(size_t cache_bytes) {
    glint_glyph_options o;
    glint_glyph_options_init(&o);
    o.device = GLINT_DEVICE_CPU;
    o.glyph_cache_bytes = cache_bytes;
    glint_glyph_renderer *r = NULL;
    char err[512];
    glint_status st = glint_glyph_renderer_create(g_gen, g_enc, &o, &r, err, sizeof err);
    CHECK_MSG(st == GLINT_OK, "%s", err);
    return r;
}

/* The generator run by hand on the style font's style and the fallback
 * font's content glyph drawn by the model's rule. */
static void direct(glint_glyph_renderer *r, const char *style_font, uint32_t cp, int size, float *out) {
    glint_engine *gen = glint_glyph_renderer_engine(r);
    size_t S = glint_glyph_style_dim(r);
    float *style = malloc(S * sizeof(float)), *content = malloc((size_t)size * size * sizeof(float));
    char err[512];
    CHECK_OK(glint_glyph_style(r, style_font, 0, style, err, sizeof err));
    gl_raster_rule rule;
    CHECK_OK(gl_raster_rule_parse(glint_engine_metadata(gen, "glint.raster"), &rule, NULL));
    glint_font *f = NULL;
    CHECK_OK(glint_font_open(gt_font(), 0, &f, NULL, 0));
    CHECK_OK(gl_font_raster_rule(f, cp, size, &rule, content, NULL));
    glint_context *ctx = NULL;
    CHECK_OK(glint_context_create(gen, &ctx, err, sizeof err));
    glint_tensor in[2] = {{"content", GLINT_DTYPE_FLOAT32, 4, {1, 1, size, size}, content, (size_t)size * size * 4},
                          {"style", GLINT_DTYPE_FLOAT32, 2, {1, (int64_t)S}, style, S * 4}};
    glint_tensor o = {"glyph", GLINT_DTYPE_FLOAT32, 0, {0}, out, (size_t)size * size * 4};
    CHECK_OK(glint_run(ctx, in, 2, &o, 1));
    for (int i = 0; i < size * size; i++) out[i] = out[i] < 0 ? 0 : (out[i] > 1 ? 1 : out[i]);
    glint_context_free(ctx);
    glint_font_close(f);
    free(style);
    free(content);
}

static const char *g_serif = "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf";

typedef struct job {
    glint_glyph_renderer *r;
    const uint32_t *cps;
    size_t n;
    const float *want;
    int mismatches;
} job;

static void *run_job(void *arg) {
    job *j = arg;
    float *got = malloc(j->n * 32 * 32 * sizeof(float));
    for (int rep = 0; rep < 3; rep++) {
        tl_poison(got, j->n * 32 * 32);
        if (glint_glyph_restyle(j->r, g_serif, 0, NULL, j->cps, j->n, 32, got, NULL, NULL, 0) != GLINT_OK ||
            !tl_close(got, j->want, j->n * 32 * 32, 1e-4f, 1e-5f, "threaded restyle"))
            j->mismatches++;
    }
    free(got);
    return NULL;
}

int main(void) {
    tl_seed_from_env();
    if (!find_models()) tl_skip("models/glyph_generator.onnx and models/style_encoder.onnx are not there yet");
    gt_font();
    if (access(g_serif, R_OK) != 0) tl_skip("DejaVu Serif Bold is not installed");
    glint_glyph_renderer *r = make((size_t)8 << 20);
    if (!r) return TEST_END();
    CHECK(glint_glyph_style_dim(r) > 0);

    /* restyle == direct run, fully written, in [0,1] */
    const uint32_t cps[] = {'A', 'g', 0xC5, 0x100, 0x141, 0x4E00, 'Q'};
    const size_t n = GL_ARRAY_LEN(cps);
    const int size = 64;
    float *out = malloc(n * size * size * sizeof(float)), *want = malloc(size * size * sizeof(float));
    glint_status status[GL_ARRAY_LEN(cps)];
    char err[512];
    tl_poison(out, n * size * size);
    CHECK(glint_glyph_restyle(r, g_serif, 0, NULL, cps, n, size, out, status, err, sizeof err) == GLINT_ERR_NOT_FOUND);
    CHECK_MSG(strstr(err, "U+4E00") != NULL, "'%s'", err);
    for (size_t i = 0; i < n; i++) {
        const float *g = out + i * size * size;
        bool ok = true;
        for (int k = 0; k < size * size; k++) ok &= g[k] >= 0.0f && g[k] <= 1.0f;
        CHECK_MSG(ok, "glyph %zu not fully written in [0,1]", i);
        if (cps[i] == 0x4E00) {
            CHECK(status[i] == GLINT_ERR_NOT_FOUND);
            continue;
        }
        CHECK(status[i] == GLINT_OK);
        direct(r, g_serif, cps[i], size, want);
        CHECK(tl_close(g, want, (size_t)size * size, 1e-4f, 1e-5f, "restyle vs direct generator run"));
    }
    /* a repeat is served from the cache, equal */
    glint_glyph_cache_stats s0, s1;
    glint_glyph_cache_stats_get(r, &s0);
    float *again = malloc(n * size * size * sizeof(float));
    tl_poison(again, n * size * size);
    glint_glyph_restyle(r, g_serif, 0, NULL, cps, n, size, again, NULL, NULL, 0);
    glint_glyph_cache_stats_get(r, &s1);
    CHECK(s1.hits - s0.hits == n - 1 && s1.misses - s0.misses == 1); /* the missing one misses */
    CHECK(memcmp(again, out, n * size * size * sizeof(float)) == 0);
    CHECK(s1.style_hits > 0 && s1.style_misses == 1);

    /* a size that is not a multiple of 8 runs at the next one, resampled */
    float small[20 * 20];
    tl_poison(small, 400);
    CHECK_OK(glint_glyph_restyle(r, g_serif, 0, NULL, cps, 1, 20, small, NULL, err, sizeof err));
    bool ok = true;
    for (int k = 0; k < 400; k++) ok &= small[k] >= 0.0f && small[k] <= 1.0f;
    CHECK(ok);
    CHECK(glint_glyph_restyle(r, g_serif, 0, NULL, cps, 1, 300, small, NULL, err, sizeof err) == GLINT_ERR_INVALID_ARGUMENT);
    CHECK(glint_glyph_restyle(r, "/nonexistent.ttf", 0, NULL, cps, 1, 32, small, NULL, err, sizeof err) == GLINT_ERR_IO);

    /* 4 threads at once, 40 random Latin glyphs (more than one batch),
     * against a cache-less single-threaded renderer */
    uint32_t many[40];
    for (int i = 0; i < 40; i++) many[i] = 0x41 + (uint32_t)(tl_rand_u64() % 26) + (tl_rand_u64() % 2 ? 0x20 : 0);
    glint_glyph_renderer *ref = make(0);
    float *ref_out = malloc(40 * 32 * 32 * sizeof(float));
    CHECK_OK(glint_glyph_restyle(ref, g_serif, 0, NULL, many, 40, 32, ref_out, NULL, err, sizeof err));
    pthread_t t[4];
    job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (job){r, many, 40, ref_out, 0};
        pthread_create(&t[i], NULL, run_job, &jobs[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CHECK(jobs[i].mismatches == 0);
    }
    glint_glyph_cache_stats_get(r, &s1);
    CHECK(s1.bytes <= s1.capacity_bytes);

    glint_glyph_renderer_free(ref);
    glint_glyph_renderer_free(r);
    free(ref_out);
    free(out);
    free(want);
    free(again);

    /* a wrong model path: one line naming it */
    glint_glyph_renderer *bad = NULL;
    CHECK(glint_glyph_renderer_create("/nonexistent/gen.onnx", g_enc, NULL, &bad, err, sizeof err) != GLINT_OK);
    CHECK(bad == NULL && strstr(err, "/nonexistent/gen.onnx") && !strchr(err, '\n'));
    return TEST_END();
}
