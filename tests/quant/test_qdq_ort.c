/* A QDQ model from a standard quantiser: the bundled generator quantised by
 * ONNX Runtime's quantize_static (tests/models/qdq, made by
 * tests/models/make_qdq.py), through the public API on the CPU. At INT8
 * every one of its 11 convolutions must run as a QConv (the engine's log
 * says how many), with no calibration file (the scales are the model's);
 * at FP32 its QuantizeLinear / DequantizeLinear pairs run as ordinary ops.
 * Both must give what ONNX Runtime gives for the quantised model (saved
 * with it), with the output buffer poisoned first, within 2e-3 (they give
 * it bit for bit on the machines tried, the codes being the same; the
 * margin is for a float sum that rounds differently elsewhere and moves a
 * value across a code boundary, a step of 1/255 before the sigmoid). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npy.h"
#include "testlib.h"

#define DIR GLINT_SOURCE_DIR "/tests/models/qdq/"

static int g_int8_layers = -1, g_float_layers = -1;

/* Picks the INT8 plan's count out of the engine's log. */
static void on_log(void *user, glint_log_level level, const char *message) {
    (void)user;
    (void)level;
    int a, b, bn, bh, bw;
    if (sscanf(message, "int8 plan %dx%dx%d: %d convolutions in int8, %d kept in float", &bn,
               &bh, &bw, &a, &b) == 5) {
        g_int8_layers = a;
        g_float_layers = b;
    }
}

static bool read_npy(const char *name, npy_array *a) {
    char path[512], err[512];
    snprintf(path, sizeof path, DIR "%s", name);
    const bool ok = npy_read(path, a, err, sizeof err) == 0;
    CHECK_MSG(ok, "%s", err);
    return ok;
}

static void run(glint_precision precision, float tol, const npy_array *content,
                const npy_array *style, const npy_array *want) {
    const char *pname = glint_precision_name(precision);
    char err[512];
    glint_engine_options opt;
    glint_engine_options_init(&opt);
    opt.device = GLINT_DEVICE_CPU;
    opt.precision = precision;
    opt.log = on_log;
    opt.log_level = GLINT_LOG_INFO;
    g_int8_layers = g_float_layers = -1;
    glint_engine *e = NULL;
    glint_context *c = NULL;
    glint_status st = glint_engine_create_from_file(DIR "glyph_generator_qdq.onnx", &opt, &e, err,
                                                    sizeof err);
    CHECK_MSG(st == GLINT_OK, "%s: %s", pname, err);
    if (st == GLINT_OK) {
        st = glint_context_create(e, &c, err, sizeof err);
        CHECK_MSG(st == GLINT_OK, "%s: %s", pname, err);
    }
    if (st == GLINT_OK) {
        glint_tensor in[2] = {{"content", content->dtype, content->rank, {0}, content->data,
                               content->bytes},
                              {"style", style->dtype, style->rank, {0}, style->data, style->bytes}};
        memcpy(in[0].dims, content->dims, sizeof in[0].dims);
        memcpy(in[1].dims, style->dims, sizeof in[1].dims);
        const size_t n = want->bytes / sizeof(float);
        float *got = malloc(want->bytes);
        tl_poison(got, n);
        glint_tensor out = {"glyph", 0, 0, {0}, got, want->bytes};
        st = glint_run(c, in, 2, &out, 1);
        CHECK_MSG(st == GLINT_OK, "%s: %s", pname, glint_context_last_error(c));
        if (st == GLINT_OK) {
            char what[64];
            snprintf(what, sizeof what, "%s against ONNX Runtime", pname);
            CHECK(out.rank == 4 && out.dims[0] == want->dims[0]);
            CHECK(tl_close(got, want->data, n, tol, tol, what));
        }
        free(got);
    }
    if (precision == GLINT_PRECISION_INT8)
        CHECK_MSG(g_int8_layers == 11 && g_float_layers == 0,
                  "int8: %d convolutions in int8 and %d in float, want 11 and 0", g_int8_layers,
                  g_float_layers);
    glint_context_free(c);
    glint_engine_free(e);
}

int main(void) {
    npy_array content, style, want;
    if (!read_npy("qdq_content.npy", &content)) return TEST_END();
    if (read_npy("qdq_style.npy", &style)) {
        if (read_npy("qdq_ort.npy", &want)) {
            run(GLINT_PRECISION_INT8, 2e-3f, &content, &style, &want);
            run(GLINT_PRECISION_FP32, 2e-3f, &content, &style, &want);
            npy_free(&want);
        }
        npy_free(&style);
    }
    npy_free(&content);
    return TEST_END();
}
