/* Per-kernel device time of a bound plan, for bench/cuda/cuda_profile.c:
 * each descriptor is captured alone into a graph of `reps` launches (as the
 * run's graph replays it, without the host launch cost), replayed once to
 * warm, then timed with events over three replays. Runs on the context's
 * arena, so it overwrites activations; the next run recomputes them. */
#include <stdio.h>
#include <string.h>

#include "backend/cuda/cuda_profile.h"
#include "backend/cuda/cuda_internal.h"

static glint_status time_one(gl_cuda_ctx *c, const gl_cuda_prepared *pp, int j, int reps,
                             cudaEvent_t e0, cudaEvent_t e1, double *us, gl_err *err) {
    gl_cuda_engine *eng = c->eng;
    const gk_desc *d = &pp->k[j];
    gl_cuda_desc_ptrs(c, pp, d, NULL); /* host I/O through the context's staging */
    glint_status st = gl_cuda_check(
        eng, cudaStreamBeginCapture(c->stream, cudaStreamCaptureModeThreadLocal), err,
        "cudaStreamBeginCapture");
    if (st) return st;
    cudaError_t le = cudaSuccess;
    for (int r = 0; r < reps && !le; r++)
        le = (cudaError_t)gk_launch(d, c->ptr_scratch, eng->store, c->stream);
    cudaGraph_t graph = NULL;
    cudaError_t ce = cudaStreamEndCapture(c->stream, &graph);
    st = gl_cuda_check(eng, le ? le : ce, err, "profiling: capturing one kernel");
    cudaGraphExec_t exec = NULL;
    if (!st) st = gl_cuda_check(eng, cudaGraphInstantiate(&exec, graph, 0), err,
                                "profiling: cudaGraphInstantiate");
    if (graph) (void)cudaGraphDestroy(graph);
    if (st) return st;
    float ms = 0;
    st = gl_cuda_check(eng, cudaGraphLaunch(exec, c->stream), err, "profiling: warm-up");
    if (!st) st = gl_cuda_check(eng, cudaEventRecord(e0, c->stream), err, "cudaEventRecord");
    for (int r = 0; r < 3 && !st; r++)
        st = gl_cuda_check(eng, cudaGraphLaunch(exec, c->stream), err, "profiling: replay");
    if (!st) st = gl_cuda_check(eng, cudaEventRecord(e1, c->stream), err, "cudaEventRecord");
    if (!st) st = gl_cuda_check(eng, cudaEventSynchronize(e1), err, "cudaEventSynchronize");
    if (!st) st = gl_cuda_check(eng, cudaEventElapsedTime(&ms, e0, e1), err, "cudaEventElapsedTime");
    (void)cudaGraphExecDestroy(exec);
    *us = st ? 0.0 : ms * 1000.0 / (3.0 * reps);
    return st;
}

glint_status gl_cuda_profile_kernels(void *ctx, const void *prepared, int reps,
                                     gl_cuda_kernel_time *times, gl_err *err) {
    gl_cuda_ctx *c = ctx;
    const gl_cuda_prepared *pp = prepared;
    if (!c->arena) return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "profiling: plan not bound");
    cudaEvent_t e0 = NULL, e1 = NULL;
    glint_status st = gl_cuda_check(c->eng, cudaEventCreate(&e0), err, "cudaEventCreate");
    if (!st) st = gl_cuda_check(c->eng, cudaEventCreate(&e1), err, "cudaEventCreate");
    for (int j = 0; !st && j < pp->n_k; j++) {
        const gk_desc *d = &pp->k[j];
        gl_cuda_kernel_time *t = &times[j];
        memset(t, 0, sizeof *t);
        t->kind = gl_cuda_kind_name(d->kind);
        if (d->node >= 0) gl_node_label(pp->plan->graph, d->node, t->label, sizeof t->label);
        else snprintf(t->label, sizeof t->label, "staging");
        if (d->kind == GK_CONV || d->kind == GK_CONV_WMMA || d->kind == GK_CONV_TILE ||
            d->kind == GK_CONV_MMA || d->kind == GK_CONV_IMMA) {
            const gk_conv *k = &d->u.conv;
            char cfg[32] = "";
            if (d->kind == GK_CONV_TILE || d->kind == GK_CONV_MMA || d->kind == GK_CONV_IMMA)
                snprintf(cfg, sizeof cfg, " mt%d/%d ks%d", k->tile_mt, k->tile_pm, k->tile_ksplit);
            snprintf(t->shape, sizeof t->shape, "%dx%dx%dx%d->%dx%dx%d k%dx%d s%d up%d/%d%s%s%s%s%s",
                     k->n, k->c_in, k->h, k->w, k->c_out, k->oh, k->ow, k->kh, k->kw, k->sh,
                     k->up, k->up2, k->split_arg >= 0 ? " concat" : "", k->quant ? " int8" : "",
                     k->x_nhwc ? " in-nhwc" : "", k->y_nhwc ? " out-nhwc" : "", cfg);
            t->flops = 2.0 * k->n * k->c_out * k->oh * k->ow * (double)(k->c_in / k->group) *
                       k->kh * k->kw;
        }
        st = time_one(c, pp, j, reps, e0, e1, &t->us, err);
    }
    if (e0) (void)cudaEventDestroy(e0);
    if (e1) (void)cudaEventDestroy(e1);
    return st;
}

int gl_cuda_kernel_count(const void *prepared) {
    return ((const gl_cuda_prepared *)prepared)->n_k;
}
