/* The golden FiLM U-Net (tests/models, exported from PyTorch at opsets 11,
 * 13 and 17) through the public API on the CPU: every case within 1e-4 of
 * PyTorch's output, with the output buffer poisoned first. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "npy.h"
#include "testlib.h"

static void run_case(glint_context *ctx, int opset, int k) {
    char path[3][512], err[512];
    static const char *const names[] = {"content", "style", "glyph"};
    npy_array arr[3];
    for (int i = 0; i < 3; i++) {
        snprintf(path[i], sizeof path[i], "%s/tests/models/case%d_%s.npy", GLINT_SOURCE_DIR, k, names[i]);
        if (npy_read(path[i], &arr[i], err, sizeof err)) {
            CHECK_MSG(0, "%s", err);
            for (int j = 0; j < i; j++) npy_free(&arr[j]);
            return;
        }
    }
    glint_tensor in[2];
    for (int i = 0; i < 2; i++) {
        in[i] = (glint_tensor){names[i], arr[i].dtype, arr[i].rank, {0}, arr[i].data, arr[i].bytes};
        memcpy(in[i].dims, arr[i].dims, sizeof in[i].dims);
    }
    float *got = malloc(arr[2].bytes);
    size_t n = arr[2].bytes / sizeof(float);
    tl_poison(got, n);
    glint_tensor out = {"glyph", 0, 0, {0}, got, arr[2].bytes};
    glint_status st = glint_run(ctx, in, 2, &out, 1);
    CHECK_MSG(st == GLINT_OK, "opset %d case %d: %s", opset, k, glint_context_last_error(ctx));
    if (st == GLINT_OK) {
        CHECK(out.rank == arr[2].rank && out.dtype == GLINT_DTYPE_FLOAT32);
        for (int d = 0; d < out.rank; d++) CHECK(out.dims[d] == arr[2].dims[d]);
        char what[64];
        snprintf(what, sizeof what, "opset %d case %d", opset, k);
        CHECK(tl_close(got, arr[2].data, n, 1e-4f, 1e-5f, what));
    }
    free(got);
    for (int i = 0; i < 3; i++) npy_free(&arr[i]);
}

int main(void) {
    static const int opsets[] = {11, 13, 17};
    for (int threads = 1; threads <= 2; threads++) {
        for (size_t o = 0; o < sizeof opsets / sizeof opsets[0]; o++) {
            char model[512], err[512];
            snprintf(model, sizeof model, "%s/tests/models/unet_opset%d.onnx", GLINT_SOURCE_DIR, opsets[o]);
            glint_engine_options opt;
            glint_engine_options_init(&opt);
            opt.device = GLINT_DEVICE_CPU;
            opt.threads = threads;
            glint_engine *e = NULL;
            glint_context *c = NULL;
            glint_status st = glint_engine_create_from_file(model, &opt, &e, err, sizeof err);
            CHECK_MSG(st == GLINT_OK, "%s", err);
            if (st != GLINT_OK) continue;
            st = glint_context_create(e, &c, err, sizeof err);
            CHECK_MSG(st == GLINT_OK, "%s", err);
            for (int k = 0; st == GLINT_OK && k < 3; k++) run_case(c, opsets[o], k);
            /* the cases again, now that every shape is bound: same answers */
            for (int k = 0; st == GLINT_OK && k < 3; k++) run_case(c, opsets[o], k);
            glint_context_free(c);
            glint_engine_free(e);
        }
    }
    return TEST_END();
}
