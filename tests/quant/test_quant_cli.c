/* `glint calibrate --inputs DIR`: a one-conv model and .npy samples written
 * to a temporary directory; the command's file must equal gl_calibrate on
 * the same samples, byte for byte, and bad invocations fail with the usage
 * exit code (2) or a runtime error (1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "calibrate_cli.h"
#include "npy.h"
#include "quant/quant.h"
#include "testlib.h"
#include "unit/quant_testutil.h"

static char dir[] = "/tmp/glint_qcli_XXXXXX";

static int write_file(const char *path, const void *d, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return 1;
    size_t w = fwrite(d, 1, n, f);
    return (fclose(f) != 0) | (w != n);
}

static void write_model(const char *path) {
    float w[4 * 1 * 9], b[4];
    tl_fill_uniform(w, 36, -1.0f, 1.0f);
    tl_fill_uniform(b, 4, -0.1f, 0.1f);
    pbw g = {0}, t;
    int64_t xd[4] = {-1, 1, 8, 8}, yd[4] = {-1, 4, 8, 8}, wd[4] = {4, 1, 3, 3}, bd[1] = {4};
    int64_t pads[4] = {1, 1, 1, 1};
    pbw attr = ow_attr_ints("pads", pads, 4);
    const char *ci[] = {"x", "W", "B"}, *co[] = {"c"}, *ri[] = {"c"}, *ro[] = {"y"};
    ow_node(&g, "conv", "Conv", ci, 3, co, 1, &attr, 1);
    ow_node(&g, "relu", "Relu", ri, 1, ro, 1, NULL, 0);
    t = ow_tensor_f32("W", wd, 4, w, 1), pbw_msg(&g, 5, &t);
    t = ow_tensor_f32("B", bd, 1, b, 1), pbw_msg(&g, 5, &t);
    ow_value(&g, 11, "x", OW_FLOAT, xd, 4);
    ow_value(&g, 12, "y", OW_FLOAT, yd, 4);
    pbw m = ow_model(&g, 13, "test_quant_cli");
    CHECK(write_file(path, m.p, m.n) == 0);
    pbw_free(&m);
}

static bool mkdir_p_ok(const char *path) { return mkdir(path, 0700) == 0; }

static int run(int argc, const char **argv) { return cmd_calibrate(argc, (char **)argv); }

int main(void) {
    tl_seed_from_env();
    if (!mkdtemp(dir)) tl_skip("no temporary directory");
    char model[256], in_dir[256], out[256], p[300];
    snprintf(model, sizeof model, "%s/m.onnx", dir);
    snprintf(in_dir, sizeof in_dir, "%s/in", dir);
    snprintf(out, sizeof out, "%s/m.calib", dir);
    write_model(model);
    CHECK(mkdir_p_ok(in_dir));
    enum { K = 3 };
    static float xs[K][2 * 64];
    gl_tensor sample[K];
    const gl_tensor *sets[K];
    for (int k = 0; k < K; k++) {
        int64_t n = k == 0 ? 2 : 1, dims[4] = {n, 1, 8, 8};
        tl_fill_uniform(xs[k], (size_t)(n * 64), -1.0f, 3.0f);
        snprintf(p, sizeof p, "%s/s%d.npy", in_dir, k);
        char err[256];
        CHECK(npy_write(p, GLINT_DTYPE_FLOAT32, 4, dims, xs[k], err, sizeof err) == 0);
        sample[k] = (gl_tensor){GLINT_DTYPE_FLOAT32, {.rank = 4, .d = {n, 1, 8, 8}}, xs[k]};
        sets[k] = &sample[k];
    }
    const char *ok_args[] = {"calibrate", model, "--inputs", in_dir, "-o", out};
    CHECK(run(6, ok_args) == 0);
    /* the same through the library */
    size_t size = 0;
    void *bytes = tl_read_file(model, &size);
    gl_graph *g = NULL;
    gl_err err = {0};
    CHECK_OK(gl_onnx_load(bytes, size, gl_default_allocator(), &g, &err));
    CHECK_OK(gl_graph_optimize(g, &err));
    gl_calib *c = NULL;
    CHECK_OK(gl_calibrate(g, sets, K, NULL, &c, &err));
    char *want = NULL;
    size_t want_n = 0, got_n = 0;
    if (c) CHECK_OK(gl_calib_format(c, &want, &want_n, &err));
    char *got = tl_read_file(out, &got_n);
    CHECK(got && want && got_n == want_n && memcmp(got, want, want_n) == 0);
    gl_calib *back = NULL;
    CHECK_OK(gl_calib_load(gl_default_allocator(), out, gl_quant_graph_hash(g), &back, &err));
    CHECK(back && back->n_layers == 1 && strcmp(back->layers[0].name, "c") == 0);
    /* usage and runtime errors */
    const char *no_out[] = {"calibrate", model, "--inputs", in_dir};
    CHECK(run(4, no_out) == 2);
    const char *both[] = {"calibrate", model, "--inputs", in_dir, "--fonts", "a.ttf", "-o", out};
    CHECK(run(8, both) == 2);
    const char *bad_thr[] = {"calibrate", model, "--inputs", in_dir, "-o", out, "--threshold", "x"};
    CHECK(run(8, bad_thr) == 2);
    snprintf(p, sizeof p, "%s/missing", dir);
    const char *no_dir[] = {"calibrate", model, "--inputs", p, "-o", out};
    CHECK(run(6, no_dir) == 1);
    const char *no_model[] = {"calibrate", p, "--inputs", in_dir, "-o", out};
    CHECK(run(6, no_model) == 1);
    free(bytes), free(want), free(got);
    gl_calib_free(c);
    gl_calib_free(back);
    gl_graph_free(g);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    return TEST_END();
}
