/* The float conv tile epilogue in AVX-512 registers (epilogue.h). */
#include "backend/cpu/epilogue.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include "backend/cpu/epilogue_x86.h"

bool gl_cpu_epi_avx512_supported(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}

__attribute__((target("avx512f"))) void
gl_cpu_epi_tile_avx512(const gl_fused_conv_params *fc, const float *bias,
                       const float *const *operands, int64_t n, int64_t c0, int64_t c_total,
                       int64_t plane, const float *src, int64_t ld_src, float *dst,
                       int64_t ld_dst, int64_t rows, int64_t i0, int64_t len) {
    const int steps = fc ? fc->n_epi : 0;
    for (int64_t r = 0; r < rows; r++) {
        const int64_t ch = c0 + r;
        const float *in = src + r * ld_src;
        float *row = dst + r * ld_dst;
        const __m512 b = _mm512_set1_ps(bias ? bias[ch] : 0.0f);
        for (int64_t j = 0; j < len; j += 16) {
            const int64_t lanes = len - j < 16 ? len - j : 16;
            const __mmask16 keep = (__mmask16)((1u << lanes) - 1);
            __m512 y = _mm512_maskz_loadu_ps(keep, in + j);
            if (bias) y = _mm512_add_ps(y, b);
            for (int s = 0; s < steps; s++)
                y = gl_epi16_avx512(&fc->epi[s], y, operands, n, ch, c_total, i0 + j, plane, keep);
            _mm512_mask_storeu_ps(row + j, keep, y);
        }
    }
}

#else

bool gl_cpu_epi_avx512_supported(void) { return false; }
void gl_cpu_epi_tile_avx512(const gl_fused_conv_params *fc, const float *bias,
                            const float *const *operands, int64_t n, int64_t c0, int64_t c_total,
                            int64_t plane, const float *src, int64_t ld_src, float *dst,
                            int64_t ld_dst, int64_t rows, int64_t i0, int64_t len) {
    (void)fc, (void)bias, (void)operands, (void)n, (void)c0, (void)c_total, (void)plane;
    (void)src, (void)ld_src, (void)dst, (void)ld_dst, (void)rows, (void)i0, (void)len;
}

#endif
