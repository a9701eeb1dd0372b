/* Per-step time of the CPU backend on one model and bucket: where a run's
 * time goes, and which steps run a fast kernel. Built by bench/cpu/compare.sh
 * (or by hand against the static library):
 *   cpu_profile MODEL BATCH SIZE THREADS [RUNS]
 * CALIB=MODEL.calib profiles the INT8 plan made with that calibration. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/cpu/cpu_backend.h"
#include "quant/quant.h"

/* CPU time of the whole process (all threads): on a shared machine it is
 * less disturbed by waiting for a core than wall time is. */
static double cpu_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: cpu_profile MODEL BATCH SIZE THREADS [RUNS]\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) { fprintf(stderr, "cpu_profile: cannot open %s\n", argv[1]); return 1; }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = malloc((size_t)size);
    if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) { fprintf(stderr, "cpu_profile: read failed\n"); return 1; }
    fclose(f);
    const int64_t N = atoi(argv[2]), H = atoi(argv[3]);
    const int T = atoi(argv[4]), R = argc > 5 ? atoi(argv[5]) : 10;
    gl_err err = {0};
    gl_graph *g = NULL;
    if (gl_onnx_load(buf, (size_t)size, NULL, &g, &err) || gl_graph_optimize(g, &err)) {
        fprintf(stderr, "cpu_profile: %s\n", err.msg);
        return 1;
    }
    if (g->n_inputs != 2) { fprintf(stderr, "cpu_profile: expects content and style inputs\n"); return 1; }
    const int64_t S = g->values[g->inputs[1]].shape.d[1];
    gl_shape in[2] = {{4, {N, 1, H, H}}, {2, {N, S}}};
    gl_plan *p = NULL;
    const char *calib_path = getenv("CALIB");
    const glint_precision prec = calib_path ? GLINT_PRECISION_INT8 : GLINT_PRECISION_FP32;
    gl_backend_config cfg = {.alloc = gl_default_allocator(), .threads = T, .precision = prec};
    void *st = NULL, *prep = NULL, *ctx = NULL;
    gl_calib *calib = NULL;
    gl_quant_rewrite_stats qs;
    if (gl_plan_build(g, in, prec, &p, &err) ||
        (calib_path && (gl_calib_load(gl_default_allocator(), calib_path, gl_quant_graph_hash(g),
                                      &calib, &err) ||
                        gl_quant_rewrite_plan(p, calib, true, &qs, &err))) ||
        gl_backend_cpu.engine_init(&cfg, g, &st, &err) ||
        gl_backend_cpu.plan_prepare(st, p, &prep, &err) ||
        gl_backend_cpu.context_create(st, &ctx, &err) ||
        gl_backend_cpu.context_bind(ctx, prep, &err)) {
        fprintf(stderr, "cpu_profile: %s\n", err.msg);
        return 1;
    }
    size_t nc = (size_t)(N * H * H), ns = (size_t)(N * S);
    float *content = malloc(nc * 4), *style = malloc(ns * 4), *out = malloc(nc * 4);
    for (size_t i = 0; i < nc; i++) content[i] = (float)((i * 7919) % 101) / 100.0f;
    for (size_t i = 0; i < ns; i++) style[i] = (float)((i * 31) % 17) / 8.0f - 1.0f;
    const void *ins[2] = {content, style};
    void *outs[1] = {out};
    /* a batch run in sample chunks: the per-step times are the chunk plan's */
    int64_t chunk = 0;
    const void *chunk_prep = gl_cpu_chunk_prepared(prep, &chunk);
    const void *sprep = chunk_prep ? chunk_prep : prep;
    const gl_plan *sp = gl_cpu_prepared_plan(sprep);
    double *t = calloc((size_t)sp->n_steps, sizeof(double));
    for (int r = 0; r < 3; r++) gl_backend_cpu.run(ctx, prep, ins, outs, &err);
    double whole = 1e30, whole_cpu = 1e30;
    for (int r = 0; r < R; r++) {
        double t0 = gl_now_us(), c0 = cpu_us();
        gl_backend_cpu.run(ctx, prep, ins, outs, &err);
        double dt = gl_now_us() - t0, dc = cpu_us() - c0;
        if (dt < whole) whole = dt;
        if (dc < whole_cpu) whole_cpu = dc;
        for (int i = 0; i < sp->n_steps; i++) {
            double s0 = gl_now_us();
            gl_cpu_run_step(ctx, sprep, i, &err);
            double ds = gl_now_us() - s0;
            if (r == 0 || ds < t[i]) t[i] = ds;
        }
    }
    double sum = 0;
    for (int i = 0; i < sp->n_steps; i++) sum += t[i];
    printf("%s batch %lld size %lld threads %d kernel %s: run min %.1f us, %.1f GFLOP/s; "
           "cpu min %.1f us; fast steps %d of %d; chunks of %lld samples\n", argv[1], (long long)N, (long long)H, T,
           gl_cpu_kernel_name(st), whole, (double)p->flops / whole / 1e3, whole_cpu,
           gl_cpu_fast_step_count(sprep), sp->n_steps, (long long)chunk);
    for (int i = 0; i < sp->n_steps; i++) {
        const gl_plan_step *s = &sp->steps[i];
        char sh[96] = "";
        if (s->n_outputs > 0 && s->outputs[0] >= 0)
            gl_shape_str(&sp->tensors[s->outputs[0]].shape, sh, sizeof sh);
        if (t[i] >= sum * 0.002 || getenv("ALL"))
            printf("  %3d %-10s %-22s %9.1f us %5.1f%%  %7.1f GFLOP/s\n", i, s->op->name, sh, t[i],
                   100 * t[i] / sum, s->flops ? (double)s->flops / t[i] / 1e3 : 0.0);
    }
    gl_backend_cpu.context_free(ctx);
    gl_backend_cpu.plan_release(st, prep);
    gl_backend_cpu.engine_free(st);
    gl_plan_free(p);
    gl_calib_free(calib);
    gl_graph_free(g);
    free(buf); free(content); free(style); free(out); free(t);
    return 0;
}
