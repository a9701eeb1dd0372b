/* Per-kernel device time of the CUDA backend on one model and bucket: which
 * kernels a run's time goes to. Built with the CUDA backend (target
 * cuda_profile):
 *   cuda_profile MODEL BATCH SIZE [fp32|fp16|bf16|int8] [REPS]
 * (int8 reads the calibration MODEL.calib beside MODEL.onnx.) Each kernel is
 * timed alone, REPS launches captured in one graph (default
 * 20), so the figure includes a graph node's launch cost but no host work. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "backend/cuda/cuda_profile.h"
#include "quant/quant.h"

static void *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = n > 0 ? malloc((size_t)n) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: cuda_profile MODEL BATCH SIZE [fp32|fp16|bf16|int8] [REPS]\n");
        return 2;
    }
    size_t size = 0;
    void *buf = read_file(argv[1], &size);
    if (!buf) { fprintf(stderr, "cuda_profile: cannot read %s\n", argv[1]); return 1; }
    const int64_t N = atoi(argv[2]), H = atoi(argv[3]);
    glint_precision prec = GLINT_PRECISION_FP32;
    if (argc > 4 && glint_precision_parse(argv[4], &prec) != GLINT_OK) {
        fprintf(stderr, "cuda_profile: precision '%s' is not one of fp32, fp16, bf16, int8\n",
                argv[4]);
        return 2;
    }
    const int reps = argc > 5 ? atoi(argv[5]) : 20;
    const gl_backend *be = gl_backend_cuda();
    gl_err err = {0};
    gl_graph *g = NULL;
    if (!be) { fprintf(stderr, "cuda_profile: glint was built without CUDA\n"); return 1; }
    if (gl_onnx_load(buf, size, NULL, &g, &err) || gl_graph_optimize(g, &err)) {
        fprintf(stderr, "cuda_profile: %s\n", err.msg);
        return 1;
    }
    /* Every input [N, C, H, W] or [N, S]: the model's own dims, with the
     * batch and the two spatial dims set. */
    gl_shape in[8];
    if (g->n_inputs > 8) { fprintf(stderr, "cuda_profile: too many inputs\n"); return 1; }
    for (int i = 0; i < g->n_inputs; i++) {
        in[i] = g->values[g->inputs[i]].shape;
        in[i].d[0] = N;
        if (in[i].rank == 4) in[i].d[2] = in[i].d[3] = H;
    }
    gl_backend_config cfg = {.alloc = gl_default_allocator(), .threads = 1, .precision = prec};
    gl_plan *p = NULL;
    void *st = NULL, *prep = NULL, *ctx = NULL;
    gl_calib *cal = NULL;
    if (prec == GLINT_PRECISION_INT8) { /* MODEL.onnx -> MODEL.calib */
        char path[1024];
        const size_t len = strlen(argv[1]);
        snprintf(path, sizeof path, "%.*s.calib",
                 (int)(len > 5 && !strcmp(argv[1] + len - 5, ".onnx") ? len - 5 : len), argv[1]);
        if (gl_calib_load(gl_default_allocator(), path, gl_quant_graph_hash(g), &cal, &err)) {
            fprintf(stderr, "cuda_profile: %s\n", err.msg);
            return 1;
        }
    }
    if (gl_plan_build(g, in, prec, &p, &err) ||
        (cal && gl_quant_rewrite_plan(p, cal, be->int8_requantize, NULL, &err)) ||
        be->engine_init(&cfg, g, &st, &err) ||
        be->plan_prepare(st, p, &prep, &err) || be->context_create(st, &ctx, &err) ||
        be->context_bind(ctx, prep, &err)) {
        fprintf(stderr, "cuda_profile: %s\n", err.msg);
        return 1;
    }
    int n = gl_cuda_kernel_count(prep);
    gl_cuda_kernel_time *t = calloc((size_t)n, sizeof *t);
    if (!t || gl_cuda_profile_kernels(ctx, prep, reps, t, &err)) {
        fprintf(stderr, "cuda_profile: %s\n", err.msg);
        return 1;
    }
    double sum = 0, conv = 0;
    for (int j = 0; j < n; j++) {
        sum += t[j].us;
        if (t[j].flops > 0) conv += t[j].us;
    }
    printf("%s batch %lld size %lld %s: %d kernels, sum %.1f us (convolutions %.1f us)\n", argv[1],
           (long long)N, (long long)H, glint_precision_name(prec), n, sum, conv);
    for (int j = 0; j < n; j++) {
        printf("  %3d %-10s %7.2f us %5.1f%%", j, t[j].kind, t[j].us, 100 * t[j].us / sum);
        if (t[j].flops > 0) printf(" %8.1f GFLOP/s  %s", t[j].flops / t[j].us / 1e3, t[j].shape);
        printf("  %s\n", t[j].label);
    }
    free(t);
    be->context_free(ctx);
    be->plan_release(st, prep);
    be->engine_free(st);
    gl_plan_free(p);
    gl_calib_free(cal);
    gl_graph_free(g);
    free(buf);
    return 0;
}
