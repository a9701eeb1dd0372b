/* glint::FusedConv: Conv + bias followed by a chain of pointwise steps
 * (activations, per-channel / per-sample-channel / full-tensor operands),
 * built by the plan's fusion pass, never parsed from a model. The reference
 * is literally the unfused computation: convolve, then apply each step to
 * each output element in order (gl_epi_apply, shared by every backend). */
#include <math.h>

#include "ops/nn_common.h"

float gl_epi_apply(const gl_epi_step *e, float y, const float *const *operands, int64_t n,
                   int64_t c, int64_t c_total, int64_t i, int64_t plane) {
    float v = 0.0f;
    if (e->operand >= 0) {
        const float *o = operands[e->operand];
        switch (e->bcast) {
        case GL_BCAST_SCALAR: v = o[0]; break;
        case GL_BCAST_CHANNEL: v = o[c]; break;
        case GL_BCAST_SAMPLE_CHANNEL: v = o[n * c_total + c]; break;
        case GL_BCAST_FULL: v = o[(n * c_total + c) * plane + i]; break;
        }
    }
    switch (e->kind) {
    case GL_EPI_RELU: return y > 0.0f ? y : 0.0f;
    case GL_EPI_LEAKY_RELU: return y >= 0.0f ? y : e->alpha * y;
    case GL_EPI_SIGMOID: return 1.0f / (1.0f + expf(-y));
    case GL_EPI_TANH: return tanhf(y);
    case GL_EPI_SILU: return y / (1.0f + expf(-y));
    case GL_EPI_GELU: return 0.5f * y * (1.0f + erff(y * 0.70710678118654752f));
    case GL_EPI_CLIP: return fminf(fmaxf(y, e->alpha), e->beta);
    case GL_EPI_MUL: return y * v;
    case GL_EPI_ADD: return y + v;
    case GL_EPI_SUB: return y - v;
    case GL_EPI_RSUB: return v - y;
    }
    return y;
}

static bool epi_has_operand(gl_epi_kind k) {
    return k == GL_EPI_MUL || k == GL_EPI_ADD || k == GL_EPI_SUB || k == GL_EPI_RSUB;
}

static glint_status fused_infer(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                                int n_out, gl_err *err) {
    const gl_fused_conv_params *p = params;
    gl_conv_geom g;
    if (p->conv.transpose)
        return gl_fail(err, GLINT_ERR_INTERNAL, "FusedConv: a ConvTranspose cannot be fused");
    glint_status st = gl_nn_conv_infer("FusedConv", &p->conv, in, n_in, out, &g, err);
    if (st != GLINT_OK) return st;
    if (p->n_epi < 0 || p->n_epi > GL_MAX_EPILOGUE)
        return gl_fail(err, GLINT_ERR_INTERNAL, "FusedConv: %d epilogue steps (max %d)", p->n_epi,
                       GL_MAX_EPILOGUE);
    int64_t plane = 1;
    for (int i = 0; i < g.spatial; i++) plane *= g.out[i];
    for (int s = 0; s < p->n_epi; s++) {
        const gl_epi_step *e = &p->epi[s];
        if ((unsigned)e->kind > (unsigned)GL_EPI_RSUB)
            return gl_fail(err, GLINT_ERR_INTERNAL, "FusedConv: step %d has unknown kind %d", s,
                           (int)e->kind);
        if (!epi_has_operand(e->kind)) {
            if (e->operand >= 0)
                return gl_fail(err, GLINT_ERR_INTERNAL,
                               "FusedConv: step %d is unary but names operand %d", s, e->operand);
            continue;
        }
        if (e->operand < 3 || !gl_in_present(in, n_in, e->operand))
            return gl_fail(err, GLINT_ERR_INTERNAL,
                           "FusedConv: step %d needs an operand but names input %d", s, e->operand);
        const gl_tensor *t = &in[e->operand];
        if ((st = gl_nn_need_f32("FusedConv", "epilogue operand", t, err))) return st;
        int64_t want = 0;
        switch (e->bcast) {
        case GL_BCAST_SCALAR: want = 1; break;
        case GL_BCAST_CHANNEL: want = g.c_out; break;
        case GL_BCAST_SAMPLE_CHANNEL: want = g.n * g.c_out; break;
        case GL_BCAST_FULL: want = g.n * g.c_out * plane; break;
        default:
            return gl_fail(err, GLINT_ERR_INTERNAL, "FusedConv: step %d has unknown broadcast %d",
                           s, (int)e->bcast);
        }
        if (gl_shape_numel(&t->shape) != want) {
            char ts[96];
            return gl_fail(err, GLINT_ERR_INTERNAL,
                           "FusedConv: step %d operand %s has %lld elements, its broadcast "
                           "needs %lld",
                           s, gl_shape_str(&t->shape, ts, sizeof ts),
                           (long long)gl_shape_numel(&t->shape), (long long)want);
        }
    }
    return GLINT_OK;
}

static glint_status fused_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                              int n_out, void *ws, gl_err *err) {
    const gl_fused_conv_params *p = params;
    gl_conv_geom g;
    glint_status st = gl_conv_resolve(&p->conv, &in[0].shape, &in[1].shape, &g, err);
    if (st != GLINT_OK) return st;
    float *y = out[0].data;
    gl_nn_conv_ref(&g, in[0].data, in[1].data,
                   gl_in_present(in, n_in, 2) ? (const float *)in[2].data : NULL, y);
    const float *operands[3 + GL_MAX_EPILOGUE] = {0};
    for (int k = 3; k < n_in && k < (int)GL_ARRAY_LEN(operands); k++)
        operands[k] = in[k].dtype != GLINT_DTYPE_UNDEFINED ? (const float *)in[k].data : NULL;
    int64_t plane = 1;
    for (int i = 0; i < g.spatial; i++) plane *= g.out[i];
    for (int64_t n = 0; n < g.n; n++)
        for (int64_t c = 0; c < g.c_out; c++) {
            float *yp = y + (n * g.c_out + c) * plane;
            for (int64_t i = 0; i < plane; i++) {
                float v = yp[i];
                for (int s = 0; s < p->n_epi; s++)
                    v = gl_epi_apply(&p->epi[s], v, operands, n, c, g.c_out, i, plane);
                yp[i] = v;
            }
        }
    return GLINT_OK;
}

static int64_t fused_flops(const void *params, const gl_tensor *in, int n_in,
                           const gl_tensor *out, int n_out) {
    const gl_fused_conv_params *p = params;
    gl_conv_geom g;
    if (gl_conv_resolve(&p->conv, &in[0].shape, &in[1].shape, &g, NULL) != GLINT_OK) return 0;
    /* one operation per epilogue step per output element */
    return gl_nn_conv_flops(&g, false) + gl_shape_numel(&out[0].shape) * p->n_epi;
}

const gl_op gl_op_fused_conv = {
    .domain = "glint",
    .name = "FusedConv",
    .min_inputs = 2, .max_inputs = 3 + GL_MAX_EPILOGUE,
    .min_outputs = 1, .max_outputs = 1,
    .infer = fused_infer,
    .run = fused_run,
    .flops = fused_flops,
};
