/* The fused-conv epilogue a row at a time, for the CPU fast paths (float
 * conv and INT8 conv): the formulas of gl_epi_apply, the reference. */
#include <math.h>

#include "backend/cpu/epilogue.h"

void gl_cpu_epi_row(const gl_epi_step *e, float *y, int64_t len, const float *const *operands,
                    int64_t n, int64_t c, int64_t c_total, int64_t i0, int64_t plane) {
    const float *o = e->operand >= 0 ? operands[e->operand] : NULL;
    float v = 0.0f;
    const float *vf = NULL;
    if (o) {
        switch (e->bcast) {
        case GL_BCAST_SCALAR: v = o[0]; break;
        case GL_BCAST_CHANNEL: v = o[c]; break;
        case GL_BCAST_SAMPLE_CHANNEL: v = o[n * c_total + c]; break;
        case GL_BCAST_FULL: vf = o + (n * c_total + c) * plane + i0; break;
        }
    }
    switch (e->kind) {
    case GL_EPI_RELU:
        for (int64_t j = 0; j < len; j++) y[j] = y[j] > 0.0f ? y[j] : 0.0f;
        break;
    case GL_EPI_LEAKY_RELU:
        for (int64_t j = 0; j < len; j++) y[j] = y[j] >= 0.0f ? y[j] : e->alpha * y[j];
        break;
    case GL_EPI_SIGMOID:
        for (int64_t j = 0; j < len; j++) y[j] = 1.0f / (1.0f + expf(-y[j]));
        break;
    case GL_EPI_TANH:
        for (int64_t j = 0; j < len; j++) y[j] = tanhf(y[j]);
        break;
    case GL_EPI_SILU:
        for (int64_t j = 0; j < len; j++) y[j] = y[j] / (1.0f + expf(-y[j]));
        break;
    case GL_EPI_GELU:
        for (int64_t j = 0; j < len; j++)
            y[j] = 0.5f * y[j] * (1.0f + erff(y[j] * 0.70710678118654752f));
        break;
    case GL_EPI_CLIP:
        for (int64_t j = 0; j < len; j++) y[j] = fminf(fmaxf(y[j], e->alpha), e->beta);
        break;
    case GL_EPI_MUL:
        if (vf) for (int64_t j = 0; j < len; j++) y[j] *= vf[j];
        else for (int64_t j = 0; j < len; j++) y[j] *= v;
        break;
    case GL_EPI_ADD:
        if (vf) for (int64_t j = 0; j < len; j++) y[j] += vf[j];
        else for (int64_t j = 0; j < len; j++) y[j] += v;
        break;
    case GL_EPI_SUB:
        if (vf) for (int64_t j = 0; j < len; j++) y[j] -= vf[j];
        else for (int64_t j = 0; j < len; j++) y[j] -= v;
        break;
    case GL_EPI_RSUB:
        if (vf) for (int64_t j = 0; j < len; j++) y[j] = vf[j] - y[j];
        else for (int64_t j = 0; j < len; j++) y[j] = v - y[j];
        break;
    }
}

bool gl_cpu_epi_in_registers(const gl_fused_conv_params *fc) {
    for (int e = 0; fc && e < fc->n_epi; e++)
        switch (fc->epi[e].kind) {
        case GL_EPI_RELU: case GL_EPI_LEAKY_RELU: case GL_EPI_CLIP: case GL_EPI_MUL:
        case GL_EPI_ADD: case GL_EPI_SUB: case GL_EPI_RSUB: break;
        default: return false;
        }
    return true;
}
