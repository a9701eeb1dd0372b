/* The fused-conv epilogue in AVX-512 registers, 16 outputs at a time, for
 * the x86 kernels (float conv tiles, INT8 conv tiles). Include only from
 * code compiled for AVX-512 (a target attribute); callers first check
 * gl_cpu_epi_in_registers. */
#ifndef GL_CPU_EPILOGUE_X86_H
#define GL_CPU_EPILOGUE_X86_H

#include <immintrin.h>

#include "ops/nn_params.h"

/* Step e on y, 16 outputs of channel c of sample n at spatial indices
 * i..i+15 of a plane (c_total channels); lanes outside keep are not read
 * from a full-size operand. The formulas of gl_epi_apply: VMAXPS/VMINPS
 * return their second operand for NaN, as the C comparisons do. */
__attribute__((target("avx512f"), always_inline)) static inline __m512
gl_epi16_avx512(const gl_epi_step *e, __m512 y, const float *const *operands, int64_t n,
                int64_t c, int64_t c_total, int64_t i, int64_t plane, __mmask16 keep) {
    const __m512 zero = _mm512_setzero_ps();
    __m512 v = zero;
    if (e->operand >= 0) {
        const float *o = operands[e->operand];
        switch (e->bcast) {
        case GL_BCAST_SCALAR: v = _mm512_set1_ps(o[0]); break;
        case GL_BCAST_CHANNEL: v = _mm512_set1_ps(o[c]); break;
        case GL_BCAST_SAMPLE_CHANNEL: v = _mm512_set1_ps(o[n * c_total + c]); break;
        case GL_BCAST_FULL: v = _mm512_maskz_loadu_ps(keep, o + (n * c_total + c) * plane + i); break;
        }
    }
    switch (e->kind) {
    case GL_EPI_RELU: return _mm512_max_ps(y, zero);
    case GL_EPI_LEAKY_RELU:
        return _mm512_mask_mul_ps(y, _mm512_cmp_ps_mask(y, zero, _CMP_NGE_UQ), y,
                                  _mm512_set1_ps(e->alpha));
    case GL_EPI_CLIP:
        return _mm512_min_ps(_mm512_max_ps(y, _mm512_set1_ps(e->alpha)), _mm512_set1_ps(e->beta));
    case GL_EPI_MUL: return _mm512_mul_ps(y, v);
    case GL_EPI_ADD: return _mm512_add_ps(y, v);
    case GL_EPI_SUB: return _mm512_sub_ps(y, v);
    case GL_EPI_RSUB: return _mm512_sub_ps(v, y);
    default: return y; /* not reached: gl_cpu_epi_in_registers */
    }
}

#endif
