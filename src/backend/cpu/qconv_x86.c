/* The INT8 convolution row kernel for AVX-512 VNNI + VBMI (qconv_fast.h
 * says how it works). Compiled with a target attribute, so the library
 * builds with default flags; gl_qconv_avx512_supported says whether this
 * CPU may call it. */
#include "backend/cpu/qconv_fast.h"

#include <string.h>

#include "backend/cpu/epilogue.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#include "backend/cpu/epilogue_x86.h"

#define QTARGET __attribute__((target("avx512f,avx512bw,avx512vnni,avx512vbmi")))
#define MR GL_QCONV_MR

bool gl_qconv_avx512_supported(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vbmi");
}

/* Accumulates mr channels (weight block wb) × nv vectors of 16 pixels
 * starting at output column ox0 of row oy: acc[r][v] = Σ u·w, u the padded
 * unsigned input. mr and nv are constants where it is inlined. */
QTARGET static inline __attribute__((always_inline)) void
tile_acc(const gl_cpu_qconv *q, const uint8_t *xp, const int8_t *wb, int64_t oy, int64_t ox0,
         const int mr, const int nv, __m512i acc[MR][4]) {
    const gl_conv_geom *g = &q->g;
    const int64_t sx = g->stride[1], groups = q->kw4 / 4;
    const int64_t row_step = g->dilation[0] * q->wp, group_step = 4 * g->dilation[1];
    const __m512i perm = _mm512_loadu_si512(q->perm);
    for (int r = 0; r < mr; r++)
        for (int v = 0; v < nv; v++) acc[r][v] = _mm512_setzero_si512();
    const uint8_t *plane = xp + oy * g->stride[0] * q->wp + ox0 * sx;
    for (int64_t c = 0; c < g->c_in; c++, plane += q->plane_bytes) {
        const uint8_t *row = plane;
        for (int64_t ky = 0; ky < g->k[0]; ky++, row += row_step) {
            const uint8_t *p = row;
            for (int64_t t = 0; t < groups; t++, p += group_step, wb += mr * 4) {
                __m512i a[4];
                for (int v = 0; v < nv; v++)
                    a[v] = _mm512_permutexvar_epi8(perm, _mm512_loadu_si512(p + 16 * v * sx));
                for (int r = 0; r < mr; r++) {
                    int32_t w4;
                    memcpy(&w4, wb + 4 * r, 4);
                    const __m512i b = _mm512_set1_epi32(w4);
                    for (int v = 0; v < nv; v++) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], a[v], b);
                }
            }
        }
    }
}

/* The reference's quantisation (gl_quantize_value) of 16 values. */
QTARGET static inline __m512i quantize16(__m512 x, float scale, int32_t zp, int32_t qmin,
                                         int32_t qmax) {
    __m512 v = _mm512_div_ps(x, _mm512_set1_ps(scale));
    const __mmask16 ordered = _mm512_cmp_ps_mask(v, v, _CMP_ORD_Q);
    v = _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    v = _mm512_add_ps(v, _mm512_set1_ps((float)zp));
    v = _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps((float)qmin)), _mm512_set1_ps((float)qmax));
    return _mm512_mask_mov_epi32(_mm512_set1_epi32(zp), ordered, _mm512_cvttps_epi32(v));
}

/* Rescale, bias, epilogue and store of one tile: channels m0.., the len
 * outputs from spatial index i0 (contiguous in each channel's plane). */
QTARGET static void tile_store(const gl_qconv_row_args *a, __m512i acc[MR][4], int mr,
                               int64_t m0, int64_t i0, int64_t len, int nv) {
    const gl_cpu_qconv *q = a->q;
    const gl_qconv_params *p = q->p;
    const int64_t plane = q->g.out[0] * q->g.out[1], c_out = q->g.c_out;
    __mmask16 keep[4];
    for (int v = 0; v < 4; v++) {
        const int64_t lanes = GL_MAX(0, GL_MIN(16, len - 16 * v));
        keep[v] = (__mmask16)((1u << lanes) - 1);
    }
    float row[64];
    int32_t qmin = 0, qmax = 0;
    gl_qrange(p->out_dtype, &qmin, &qmax);
    const bool in_registers = q->epi_in_registers;
    for (int r = 0; r < mr && m0 + r < c_out; r++) {
        const int64_t m = m0 + r;
        const __m512i comp = _mm512_set1_epi32(q->w_sum[m] * (int32_t)q->pad_value);
        const __m512 s = _mm512_set1_ps(a->scale[m]);
        const __m512 b = _mm512_set1_ps(a->bias ? a->bias[m] : 0.0f);
        __m512 y[4];
        for (int v = 0; v < nv; v++) {
            const __m512 f = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[r][v], comp));
            y[v] = _mm512_add_ps(_mm512_mul_ps(f, s), b);
            if (in_registers)
                for (int e = 0; e < p->fc.n_epi; e++)
                    y[v] = gl_epi16_avx512(&p->fc.epi[e], y[v], a->operands, a->n, m, c_out,
                                           i0 + 16 * v, plane, keep[v]);
            else
                _mm512_storeu_ps(row + 16 * v, y[v]);
        }
        if (!in_registers) {
            for (int e = 0; e < p->fc.n_epi; e++)
                gl_cpu_epi_row(&p->fc.epi[e], row, len, a->operands, a->n, m, c_out, i0, plane);
            for (int v = 0; v < nv; v++) y[v] = _mm512_loadu_ps(row + 16 * v);
        }
        const size_t at = (size_t)(m * plane + i0);
        for (int v = 0; v < nv; v++) {
            const __m512 f = y[v];
            if (p->out_dtype == GLINT_DTYPE_FLOAT32) {
                _mm512_mask_storeu_ps((float *)a->y + at + 16 * v, keep[v], f);
            } else {
                const __m512i iq = quantize16(f, p->y_scale, p->y_zero_point, qmin, qmax);
                _mm512_mask_cvtepi32_storeu_epi8((uint8_t *)a->y + at + 16 * v, keep[v], iq);
            }
        }
    }
}

QTARGET void gl_quantize_avx512(const gl_cpu_quantize *q, const float *x, int64_t n,
                                uint8_t *y) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_mask_cvtepi32_storeu_epi8(
            y + i, 0xffff,
            quantize16(_mm512_loadu_ps(x + i), q->scale, q->zero_point, q->qmin, q->qmax));
    if (i < n) {
        const __mmask16 keep = (__mmask16)((1u << (n - i)) - 1);
        const __m512 v = _mm512_maskz_loadu_ps(keep, x + i);
        _mm512_mask_cvtepi32_storeu_epi8(
            y + i, keep, quantize16(v, q->scale, q->zero_point, q->qmin, q->qmax));
    }
}

QTARGET void gl_qconv_row_avx512(const gl_qconv_row_args *a, int64_t oy) {
    const gl_cpu_qconv *q = a->q;
    const gl_conv_geom *g = &q->g;
    const int64_t wo = g->out[1];
    const size_t block = (size_t)(g->c_in * g->k[0] * q->kw4) * (size_t)q->mr;
    __m512i acc[MR][4];
    for (int64_t m0 = 0; m0 < g->c_out; m0 += q->mr) {
        const int8_t *wb = q->packed_w + (size_t)(m0 / q->mr) * block;
        if (q->rows_per_vec > 1) { /* rows oy.. side by side in one vector */
            const int64_t len = GL_MIN(q->rows_per_vec, g->out[0] - oy) * wo;
            if (q->mr == MR) tile_acc(q, a->xp, wb, oy, 0, MR, 1, acc);
            else tile_acc(q, a->xp, wb, oy, 0, 1, 1, acc);
            tile_store(a, acc, q->mr, m0, oy * wo, len, 1);
        } else if (q->mr == MR) { /* 8 channels × 32 pixels */
            int64_t ox0 = 0;
            for (; ox0 + 16 < wo; ox0 += 32) {
                tile_acc(q, a->xp, wb, oy, ox0, MR, 2, acc);
                tile_store(a, acc, MR, m0, oy * wo + ox0, GL_MIN(32, wo - ox0), 2);
            }
            if (ox0 < wo) {
                tile_acc(q, a->xp, wb, oy, ox0, MR, 1, acc);
                tile_store(a, acc, MR, m0, oy * wo + ox0, wo - ox0, 1);
            }
        } else { /* one channel × 64 pixels */
            for (int64_t ox0 = 0; ox0 < wo; ox0 += 64) {
                const int64_t left = wo - ox0;
                if (left > 32) tile_acc(q, a->xp, wb, oy, ox0, 1, 4, acc);
                else if (left > 16) tile_acc(q, a->xp, wb, oy, ox0, 1, 2, acc);
                else tile_acc(q, a->xp, wb, oy, ox0, 1, 1, acc);
                tile_store(a, acc, 1, m0, oy * wo + ox0, GL_MIN(64, left),
                           (int)GL_MIN(4, (left + 15) / 16));
            }
        }
    }
}

#else

bool gl_qconv_avx512_supported(void) { return false; }
void gl_qconv_row_avx512(const gl_qconv_row_args *a, int64_t oy) { (void)a, (void)oy; }
void gl_quantize_avx512(const gl_cpu_quantize *q, const float *x, int64_t n, uint8_t *y) {
    (void)q, (void)x, (void)n, (void)y;
}

#endif
