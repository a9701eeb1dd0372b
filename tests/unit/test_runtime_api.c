/* The public API's contract: NULLs, bad arguments and bad files give a status
 * and a one-line message, never a crash; a failed call leaves the context
 * usable; every allocation failure during creation is reported cleanly and
 * leaks nothing. */
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

static char g_model[512];

static void test_status_table(void) {
    for (int s = 0; s < GLINT_STATUS_COUNT_; s++) {
        CHECK(glint_status_str((glint_status)s)[0] != '\0');
        CHECK(strncmp(glint_status_name((glint_status)s), "GLINT_", 6) == 0);
    }
    CHECK(strcmp(glint_status_name(GLINT_ERR_OUT_OF_MEMORY), "GLINT_ERR_OUT_OF_MEMORY") == 0);
    CHECK(strcmp(glint_status_str((glint_status)999), "unknown status") == 0);
    glint_precision p;
    CHECK(glint_precision_parse("fp16", &p) == GLINT_OK && p == GLINT_PRECISION_FP16);
    CHECK(glint_precision_parse("fp64", &p) == GLINT_ERR_INVALID_ARGUMENT);
    CHECK(strcmp(glint_dtype_name(GLINT_DTYPE_INT64), "int64") == 0);
    CHECK(glint_dtype_size(GLINT_DTYPE_FLOAT16) == 2);
}

static void test_nulls_and_files(void) {
    char err[512] = "";
    glint_engine *e = (glint_engine *)1;
    CHECK(glint_engine_create_from_file(NULL, NULL, &e, err, sizeof err) == GLINT_ERR_INVALID_ARGUMENT);
    CHECK(e == NULL && err[0]);
    CHECK(glint_engine_create_from_file("/nonexistent/model.onnx", NULL, &e, err, sizeof err) == GLINT_ERR_IO);
    CHECK(strstr(err, "/nonexistent/model.onnx") != NULL);
    static const unsigned char junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02};
    CHECK(glint_engine_create_from_memory(junk, sizeof junk, NULL, &e, err, sizeof err) == GLINT_ERR_INVALID_MODEL);
    CHECK(glint_engine_create_from_memory(junk, sizeof junk, NULL, &e, NULL, 0) == GLINT_ERR_INVALID_MODEL);
    glint_engine_free(NULL);
    glint_context_free(NULL);
    CHECK(glint_run(NULL, NULL, 0, NULL, 0) == GLINT_ERR_INVALID_ARGUMENT);
    CHECK(glint_context_create(NULL, NULL, err, sizeof err) == GLINT_ERR_INVALID_ARGUMENT);
    glint_engine_options opt;
    glint_engine_options_init(&opt);
    opt.threads = -3;
    CHECK(glint_engine_create_from_file(g_model, &opt, &e, err, sizeof err) == GLINT_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err, "threads") != NULL);
    glint_engine_options_init(&opt);
    opt.device = GLINT_DEVICE_CPU;
    opt.precision = GLINT_PRECISION_INT8;
    glint_status st = glint_engine_create_from_file(g_model, &opt, &e, err, sizeof err);
    CHECK_MSG(st == GLINT_ERR_UNSUPPORTED || st == GLINT_OK, "int8 on cpu: %s", err);
    glint_engine_free(e);
}

static void test_bad_run_arguments(void) {
    char err[512];
    glint_engine_options opt;
    glint_engine_options_init(&opt);
    opt.device = GLINT_DEVICE_CPU;
    glint_engine *e;
    glint_context *c;
    if (glint_engine_create_from_file(g_model, &opt, &e, err, sizeof err) != GLINT_OK) {
        CHECK_MSG(0, "%s", err);
        return;
    }
    CHECK_OK(glint_context_create(e, &c, err, sizeof err));
    CHECK(glint_engine_input_count(e) == 2 && glint_engine_output_count(e) == 1);
    glint_io_info io;
    CHECK_OK(glint_engine_input_info(e, 0, &io));
    CHECK(io.rank == 4 && io.dims[0] == -1 && io.dims[1] == 1);
    CHECK(glint_engine_input_info(e, 7, &io) == GLINT_ERR_INVALID_ARGUMENT);

    float content[16 * 16], style[8], out[16 * 16];
    tl_fill_uniform(content, 256, 0, 1);
    tl_fill_uniform(style, 8, -1, 1);
    glint_tensor in[2] = {{"content", GLINT_DTYPE_FLOAT32, 4, {1, 1, 16, 16}, content, sizeof content},
                          {"style", GLINT_DTYPE_FLOAT32, 2, {1, 8}, style, sizeof style}};
    glint_tensor o = {"glyph", 0, 0, {0}, out, sizeof out};
    CHECK_OK(glint_run(c, in, 2, &o, 1));
    float first[256];
    memcpy(first, out, sizeof first);

    glint_tensor bad[2];
    memcpy(bad, in, sizeof bad);
    bad[1].name = "stile";
    CHECK(glint_run(c, bad, 2, &o, 1) == GLINT_ERR_INVALID_ARGUMENT);
    CHECK(strstr(glint_context_last_error(c), "stile") != NULL);
    memcpy(bad, in, sizeof bad);
    bad[0].dtype = GLINT_DTYPE_INT64;
    CHECK(glint_run(c, bad, 2, &o, 1) == GLINT_ERR_INVALID_ARGUMENT);
    CHECK(strstr(glint_context_last_error(c), "int64") != NULL);
    memcpy(bad, in, sizeof bad);
    bad[0].dims[1] = 3;
    CHECK(glint_run(c, bad, 2, &o, 1) == GLINT_ERR_INVALID_ARGUMENT);
    memcpy(bad, in, sizeof bad);
    bad[0].bytes = 10;
    CHECK(glint_run(c, bad, 2, &o, 1) == GLINT_ERR_INVALID_ARGUMENT);
    CHECK(glint_run(c, in, 1, &o, 1) == GLINT_ERR_INVALID_ARGUMENT);
    glint_tensor small = {"glyph", 0, 0, {0}, out, 8};
    CHECK(glint_run(c, in, 2, &small, 1) == GLINT_ERR_INVALID_ARGUMENT);
    CHECK(small.rank == 4 && small.dims[2] == 16 && small.dtype == GLINT_DTYPE_FLOAT32);
    glint_tensor noname = {"nope", 0, 0, {0}, out, sizeof out};
    CHECK(glint_run(c, in, 2, &noname, 1) == GLINT_ERR_INVALID_ARGUMENT);
    /* H not a multiple of the model's stride still plans or fails cleanly */
    memcpy(bad, in, sizeof bad);
    bad[0].dims[2] = 5;
    bad[0].dims[3] = 3;
    glint_status st = glint_run(c, bad, 2, &o, 1);
    CHECK(st == GLINT_OK || st == GLINT_ERR_INVALID_ARGUMENT || st == GLINT_ERR_INVALID_MODEL);
    /* after all that, the context still gives the same answer */
    tl_poison(out, 256);
    CHECK_OK(glint_run(c, in, 2, &o, 1));
    CHECK(memcmp(first, out, sizeof first) == 0);
    glint_context_free(c);
    glint_engine_free(e);
}

/* allocation failure injection: fail the k-th allocation for every k */
static long g_budget, g_live;
static void *f_malloc(void *u, size_t n) {
    (void)u;
    if (g_budget-- <= 0) return NULL;
    void *p = malloc(n);
    if (p) g_live++;
    return p;
}
static void *f_realloc(void *u, void *p, size_t n) {
    (void)u;
    if (g_budget-- <= 0) return NULL;
    void *q = realloc(p, n);
    if (q && !p) g_live++;
    return q;
}
static void f_free(void *u, void *p) { (void)u; if (p) { g_live--; free(p); } }

static void test_oom_injection(void) {
    size_t size;
    void *buf = tl_read_file(g_model, &size);
    if (!buf) { CHECK(0); return; }
    glint_allocator failing = {f_malloc, f_realloc, f_free, NULL};
    glint_engine_options opt;
    glint_engine_options_init(&opt);
    opt.device = GLINT_DEVICE_CPU;
    opt.threads = 1;
    opt.allocator = &failing;
    glint_bucket b = {2, 16, 16};
    opt.buckets = &b;
    opt.bucket_count = 1;
    int failures = 0, leaks = 0;
    for (long k = 0; k < 100000; k++) {
        g_budget = k;
        g_live = 0;
        glint_engine *e = NULL;
        glint_context *c = NULL;
        char err[512];
        glint_status st = glint_engine_create_from_memory(buf, size, &opt, &e, err, sizeof err);
        if (st == GLINT_OK) st = glint_context_create(e, &c, err, sizeof err);
        glint_context_free(c);
        glint_engine_free(e);
        if (g_live != 0) leaks++;
        if (st == GLINT_OK) break;
        if (st != GLINT_ERR_OUT_OF_MEMORY) {
            CHECK_MSG(0, "allocation %ld failed: %s (%s)", k, glint_status_name(st), err);
            break;
        }
        failures++;
    }
    CHECK_MSG(leaks == 0, "%d leaking failure points", leaks);
    CHECK(failures > 10);
    printf("oom injection: %d allocation failure points, each reported\n", failures);
    free(buf);
}

int main(void) {
    tl_seed_from_env();
    snprintf(g_model, sizeof g_model, "%s/tests/models/unet_opset17.onnx", GLINT_SOURCE_DIR);
    test_status_table();
    test_nulls_and_files();
    test_bad_run_arguments();
    test_oom_injection();
    return TEST_END();
}
