/* glint_host_alloc / glint_host_free on a CPU engine: 64-byte-aligned
 * memory from the engine's allocator that runs the bundled generator as
 * malloc'd memory does (the same bits), NULL arguments refused, a failed
 * allocation reported as GLINT_ERR_OUT_OF_MEMORY with a log line naming the
 * size, and glint_host_free(NULL) a no-op. */
#include <stdlib.h>
#include <string.h>

#include "fail_alloc.h"
#include "testlib.h"

static char g_log[512];
static glint_log_level g_log_level;

static void capture_log(void *user, glint_log_level level, const char *message) {
    (void)user;
    g_log_level = level;
    snprintf(g_log, sizeof g_log, "%s", message);
}

static glint_engine *cpu_engine(const glint_allocator *a) {
    char model[512], err[512] = "";
    snprintf(model, sizeof model, "%s/models/glyph_generator.onnx", GLINT_SOURCE_DIR);
    glint_engine_options opt;
    glint_engine_options_init(&opt);
    opt.device = GLINT_DEVICE_CPU;
    opt.threads = 1;
    opt.allocator = a;
    opt.log = capture_log;
    glint_engine *e = NULL;
    CHECK_MSG(glint_engine_create_from_file(model, &opt, &e, err, sizeof err) == GLINT_OK, "%s", err);
    return e;
}

static void test_arguments(glint_engine *e) {
    void *p = (void *)1;
    CHECK(glint_host_alloc(NULL, 16, &p) == GLINT_ERR_INVALID_ARGUMENT && p == NULL);
    CHECK(glint_host_alloc(e, 16, NULL) == GLINT_ERR_INVALID_ARGUMENT);
    glint_host_free(e, NULL);
    glint_host_free(NULL, NULL);
    CHECK_OK(glint_host_alloc(e, 0, &p)); /* a block to free, as for any size */
    CHECK(p != NULL);
    glint_host_free(e, p);
}

/* Memory comes from the engine's allocator, aligned, whole and writable;
 * a failing allocator gives GLINT_ERR_OUT_OF_MEMORY and the log names the
 * size. */
static void test_allocator(void) {
    fail_alloc fa = {0, -1, 0};
    glint_allocator a = {fa_malloc, fa_realloc, fa_free, &fa};
    glint_engine *e = cpu_engine(&a);
    if (!e) return;
    test_arguments(e);
    const long live = fa.live;
    unsigned char *p = NULL;
    CHECK_OK(glint_host_alloc(e, 1000, (void **)&p));
    CHECK(p && (uintptr_t)p % 64 == 0);
    CHECK(fa.live == live + 1);
    if (p) {
        memset(p, 0xA5, 1000);
        CHECK(p[0] == 0xA5 && p[999] == 0xA5);
    }
    glint_host_free(e, p);
    CHECK(fa.live == live);

    fa.fail_at = fa.count + 1;
    g_log[0] = '\0';
    void *q = (void *)1;
    CHECK(glint_host_alloc(e, 12345, &q) == GLINT_ERR_OUT_OF_MEMORY && q == NULL);
    CHECK_MSG(g_log_level == GLINT_LOG_ERROR && strstr(g_log, "12345 bytes"), "log: '%s'", g_log);
    CHECK(fa.live == live);
    fa.fail_at = -1;
    q = (void *)1;
    CHECK(glint_host_alloc(e, SIZE_MAX, &q) == GLINT_ERR_OUT_OF_MEMORY && q == NULL);
    glint_engine_free(e);
    CHECK(fa.live == 0);
}

/* The bundled generator on buffers from glint_host_alloc gives the bits it
 * gives on malloc'd buffers. */
static void test_run(void) {
    enum { N = 2, H = 32, S = 64 };
    const size_t content_bytes = sizeof(float) * N * H * H, style_bytes = sizeof(float) * N * S;
    glint_engine *e = cpu_engine(NULL);
    glint_context *c = NULL;
    char err[512] = "";
    if (!e) return;
    CHECK_OK(glint_context_create(e, &c, err, sizeof err));
    float *content = malloc(content_bytes), *style = malloc(style_bytes);
    float *want = malloc(content_bytes);
    float *h_content = NULL, *h_style = NULL, *h_out = NULL;
    CHECK_OK(glint_host_alloc(e, content_bytes, (void **)&h_content));
    CHECK_OK(glint_host_alloc(e, style_bytes, (void **)&h_style));
    CHECK_OK(glint_host_alloc(e, content_bytes, (void **)&h_out));
    if (c && content && style && want && h_content && h_style && h_out) {
        tl_fill_uniform(content, N * H * H, 0, 1);
        tl_fill_uniform(style, N * S, -1, 1);
        glint_tensor in[2] = {
            {"content", GLINT_DTYPE_FLOAT32, 4, {N, 1, H, H}, content, content_bytes},
            {"style", GLINT_DTYPE_FLOAT32, 2, {N, S}, style, style_bytes}};
        glint_tensor out = {"glyph", GLINT_DTYPE_UNDEFINED, 0, {0}, want, content_bytes};
        tl_poison(want, N * H * H);
        CHECK_OK(glint_run(c, in, 2, &out, 1));

        memcpy(h_content, content, content_bytes);
        memcpy(h_style, style, style_bytes);
        in[0].data = h_content;
        in[1].data = h_style;
        out.data = h_out;
        tl_poison(h_out, N * H * H);
        CHECK_OK(glint_run(c, in, 2, &out, 1));
        CHECK(out.rank == 4 && out.dims[0] == N && out.dims[2] == H);
        CHECK(memcmp(h_out, want, content_bytes) == 0);
    }
    glint_host_free(e, h_content);
    glint_host_free(e, h_style);
    glint_host_free(e, h_out);
    free(content);
    free(style);
    free(want);
    glint_context_free(c);
    glint_engine_free(e);
}

int main(void) {
    tl_seed_from_env();
    test_allocator();
    test_run();
    return TEST_END();
}
