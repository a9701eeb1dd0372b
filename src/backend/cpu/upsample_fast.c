/* Nearest 2x upsampling: each source row is widened once (every value
 * twice) and the widened row is copied to the second output row. */
#include "backend/cpu/upsample_fast.h"

#include <string.h>

#include "ops/nn_params.h"

glint_status gl_cpu_is_nearest2x(const gl_plan *p, int step, const glint_allocator *a,
                                 bool *yes, gl_err *err) {
    *yes = false;
    const gl_plan_step *s = &p->steps[step];
    if (strcmp(s->op->domain, "") != 0 ||
        (strcmp(s->op->name, "Resize") != 0 && strcmp(s->op->name, "Upsample") != 0) ||
        s->n_outputs != 1 || s->n_inputs < 1 || s->n_inputs > 8 || s->inputs[0] < 0 ||
        s->outputs[0] < 0)
        return GLINT_OK;
    const gl_plan_tensor *x = &p->tensors[s->inputs[0]], *y = &p->tensors[s->outputs[0]];
    if (x->dtype != GLINT_DTYPE_FLOAT32 || y->dtype != GLINT_DTYPE_FLOAT32 ||
        x->shape.rank != 4 || y->shape.rank != 4 || y->shape.d[0] != x->shape.d[0] ||
        y->shape.d[1] != x->shape.d[1] || y->shape.d[2] != 2 * x->shape.d[2] ||
        y->shape.d[3] != 2 * x->shape.d[3])
        return GLINT_OK;
    /* scales / sizes / roi must be plan-time constants (they always are
     * after planning, but the probe below needs their data) */
    for (int k = 1; k < s->n_inputs; k++)
        if (s->inputs[k] >= 0 && !p->tensors[s->inputs[k]].is_const) return GLINT_OK;
    /* Probe one plane: nearest resizing with N and C unchanged maps every
     * (n, c) plane the same way, so a [1, 1, h, w] probe with the step's
     * parameters decides for all of them (at a planes-th of the cost). */
    const int64_t h = x->shape.d[2], w = x->shape.d[3], H = y->shape.d[2], W = y->shape.d[3];
    if (h * w > (1 << 24)) return GLINT_OK; /* indices must be exact in float */
    gl_tensor in[8], out[1];
    gl_plan_step_views(p, s, NULL, in, out);
    in[0].shape.d[0] = in[0].shape.d[1] = out[0].shape.d[0] = out[0].shape.d[1] = 1;
    int64_t sizes[GL_MAX_RANK];
    const gl_resize_params *rp = s->params;
    if (!rp->upsample && s->n_inputs > 3 && s->inputs[3] >= 0) { /* sizes: N and C become 1 */
        const int64_t k = gl_shape_numel(&in[3].shape);
        if (in[3].dtype != GLINT_DTYPE_INT64 || k < 1 || k > GL_MAX_RANK) return GLINT_OK;
        memcpy(sizes, in[3].data, (size_t)k * sizeof *sizes);
        for (int64_t i = 0; i < k; i++) {
            const int64_t axis = rp->n_axes ? rp->axes[i] : i;
            if (axis == 0 || axis == 1) sizes[i] = 1;
        }
        in[3].data = sizes;
    }
    float *px = gl_malloc(a, (size_t)(h * w) * sizeof(float));
    float *py = gl_malloc(a, (size_t)(H * W) * sizeof(float));
    void *ws = s->workspace_bytes ? gl_malloc(a, s->workspace_bytes) : NULL;
    if (!px || !py || (s->workspace_bytes && !ws)) {
        gl_free(a, px);
        gl_free(a, py);
        gl_free(a, ws);
        return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "CPU backend: out of memory probing a Resize");
    }
    for (int64_t i = 0; i < h * w; i++) px[i] = (float)i;
    in[0].data = px;
    out[0].data = py;
    gl_err probe_err = {0};
    if (s->op->run(s->params, in, s->n_inputs, out, 1, ws, &probe_err) == GLINT_OK) {
        bool ok = true;
        for (int64_t i = 0; ok && i < H; i++)
            for (int64_t j = 0; ok && j < W; j++)
                ok = py[i * W + j] == (float)((i / 2) * w + j / 2);
        *yes = ok;
    }
    gl_free(a, px);
    gl_free(a, py);
    gl_free(a, ws);
    return GLINT_OK;
}

typedef struct up_job {
    const float *x;
    float *y;
    int64_t h, w;
} up_job;

static void up_rows(void *varg, int64_t begin, int64_t end, int tid) {
    const up_job *j = varg;
    const int64_t w = j->w, W = 2 * w;
    for (int64_t r = begin; r < end; r++) { /* r: a source row over all planes */
        const float *src = j->x + r * w;
        float *d = j->y + r * 2 * W;
        for (int64_t i = 0; i < w; i++) d[2 * i] = d[2 * i + 1] = src[i];
        memcpy(d + W, d, (size_t)W * sizeof(float));
    }
}

void gl_cpu_upsample2x_run(const float *x, float *y, int64_t planes, int64_t h, int64_t w,
                           gl_pool *pool) {
    up_job j = {x, y, h, w};
    /* a copy: count each output value as a few flops' worth of work */
    gl_pool_for(gl_pool_for_work(pool, 4.0 * (double)(planes * h * w)), planes * h, up_rows, &j);
}
