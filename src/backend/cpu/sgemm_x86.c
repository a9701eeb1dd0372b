/* x86-64 SGEMM micro-kernels. Each is compiled for its own target with a
 * function attribute, so the library builds with the default flags and runs
 * on any x86-64; gl_sgemm_x86_kernel only hands out a kernel the CPU
 * supports (checked with __builtin_cpu_supports). */
#include "backend/cpu/sgemm_kernels.h"

#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* Each kernel has two forms: B packed panel by panel (row k at b + k·NR) and
 * B read in place through a table of offsets (row k at b + off[k], the row
 * conv). One body serves both: it is inlined into each form with off NULL
 * or not, so the compiler specialises it. */
#define GL_UK_INLINE static inline __attribute__((always_inline))

/* AVX-512: 8 rows × 32 columns = 16 zmm accumulators; per k two B loads
 * and eight broadcasts feed 16 FMAs. */
__attribute__((target("avx512f"))) GL_UK_INLINE void
body_avx512_8x32(int64_t kc, const float *a, const float *b, const int32_t *off, float *c,
                 int64_t ldc, int accumulate) {
    __m512 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
    if (accumulate) {
#define LD(i) c##i##0 = _mm512_loadu_ps(c + i * ldc); c##i##1 = _mm512_loadu_ps(c + i * ldc + 16);
        LD(0) LD(1) LD(2) LD(3) LD(4) LD(5) LD(6) LD(7)
#undef LD
    } else {
        c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = _mm512_setzero_ps();
        c40 = c41 = c50 = c51 = c60 = c61 = c70 = c71 = _mm512_setzero_ps();
    }
    for (int64_t k = 0; k < kc; k++) {
        const float *bk = off ? b + off[k] : b + k * 32;
        const __m512 b0 = _mm512_loadu_ps(bk), b1 = _mm512_loadu_ps(bk + 16);
        __m512 av;
#define FM(i) av = _mm512_set1_ps(a[i]); c##i##0 = _mm512_fmadd_ps(av, b0, c##i##0); \
              c##i##1 = _mm512_fmadd_ps(av, b1, c##i##1);
        FM(0) FM(1) FM(2) FM(3) FM(4) FM(5) FM(6) FM(7)
#undef FM
        a += 8;
    }
#define ST(i) _mm512_storeu_ps(c + i * ldc, c##i##0); _mm512_storeu_ps(c + i * ldc + 16, c##i##1);
    ST(0) ST(1) ST(2) ST(3) ST(4) ST(5) ST(6) ST(7)
#undef ST
}

__attribute__((target("avx512f"))) static void uk_avx512_8x32(int64_t kc, const float *a,
                                                               const float *b, float *c,
                                                               int64_t ldc, int accumulate) {
    body_avx512_8x32(kc, a, b, NULL, c, ldc, accumulate);
}

__attribute__((target("avx512f"))) static void uk_avx512_8x32_off(int64_t kc, const float *a,
                                                                   const float *b,
                                                                   const int32_t *off, float *c,
                                                                   int64_t ldc, int accumulate) {
    body_avx512_8x32(kc, a, b, off, c, ldc, accumulate);
}

/* AVX2+FMA: 6 rows × 16 columns = 12 ymm accumulators. */
__attribute__((target("avx2,fma"))) GL_UK_INLINE void
body_avx2_6x16(int64_t kc, const float *a, const float *b, const int32_t *off, float *c,
               int64_t ldc, int accumulate) {
    __m256 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
    if (accumulate) {
#define LD(i) c##i##0 = _mm256_loadu_ps(c + i * ldc); c##i##1 = _mm256_loadu_ps(c + i * ldc + 8);
        LD(0) LD(1) LD(2) LD(3) LD(4) LD(5)
#undef LD
    } else {
        c00 = c01 = c10 = c11 = c20 = c21 = _mm256_setzero_ps();
        c30 = c31 = c40 = c41 = c50 = c51 = _mm256_setzero_ps();
    }
    for (int64_t k = 0; k < kc; k++) {
        const float *bk = off ? b + off[k] : b + k * 16;
        const __m256 b0 = _mm256_loadu_ps(bk), b1 = _mm256_loadu_ps(bk + 8);
        __m256 av;
#define FM(i) av = _mm256_broadcast_ss(a + i); c##i##0 = _mm256_fmadd_ps(av, b0, c##i##0); \
              c##i##1 = _mm256_fmadd_ps(av, b1, c##i##1);
        FM(0) FM(1) FM(2) FM(3) FM(4) FM(5)
#undef FM
        a += 6;
    }
#define ST(i) _mm256_storeu_ps(c + i * ldc, c##i##0); _mm256_storeu_ps(c + i * ldc + 8, c##i##1);
    ST(0) ST(1) ST(2) ST(3) ST(4) ST(5)
#undef ST
}

__attribute__((target("avx2,fma"))) static void uk_avx2_6x16(int64_t kc, const float *a,
                                                              const float *b, float *c,
                                                              int64_t ldc, int accumulate) {
    body_avx2_6x16(kc, a, b, NULL, c, ldc, accumulate);
}

__attribute__((target("avx2,fma"))) static void uk_avx2_6x16_off(int64_t kc, const float *a,
                                                                  const float *b,
                                                                  const int32_t *off, float *c,
                                                                  int64_t ldc, int accumulate) {
    body_avx2_6x16(kc, a, b, off, c, ldc, accumulate);
}

/* AVX-512, one row (a conv with one output channel): 1 × 32 with two
 * k-interleaved accumulator pairs so the FMA latency chain is halved; bound
 * by B loads, still several times the 8-row kernel on an M = 1 problem. */
__attribute__((target("avx512f"))) GL_UK_INLINE void
body_avx512_1x32(int64_t kc, const float *a, const float *b, const int32_t *off, float *c,
                 int accumulate) {
    __m512 c0 = _mm512_setzero_ps(), c1 = _mm512_setzero_ps();
    __m512 c2 = _mm512_setzero_ps(), c3 = _mm512_setzero_ps();
    if (accumulate) {
        c0 = _mm512_loadu_ps(c);
        c1 = _mm512_loadu_ps(c + 16);
    }
    int64_t k = 0;
    for (; k + 1 < kc; k += 2) {
        const float *b0 = off ? b + off[k] : b + k * 32;
        const float *b1 = off ? b + off[k + 1] : b0 + 32;
        const __m512 a0 = _mm512_set1_ps(a[k]), a1 = _mm512_set1_ps(a[k + 1]);
        c0 = _mm512_fmadd_ps(a0, _mm512_loadu_ps(b0), c0);
        c1 = _mm512_fmadd_ps(a0, _mm512_loadu_ps(b0 + 16), c1);
        c2 = _mm512_fmadd_ps(a1, _mm512_loadu_ps(b1), c2);
        c3 = _mm512_fmadd_ps(a1, _mm512_loadu_ps(b1 + 16), c3);
    }
    if (k < kc) {
        const float *b0 = off ? b + off[k] : b + k * 32;
        const __m512 a0 = _mm512_set1_ps(a[k]);
        c0 = _mm512_fmadd_ps(a0, _mm512_loadu_ps(b0), c0);
        c1 = _mm512_fmadd_ps(a0, _mm512_loadu_ps(b0 + 16), c1);
    }
    _mm512_storeu_ps(c, _mm512_add_ps(c0, c2));
    _mm512_storeu_ps(c + 16, _mm512_add_ps(c1, c3));
}

__attribute__((target("avx512f"))) static void uk_avx512_1x32(int64_t kc, const float *a,
                                                               const float *b, float *c,
                                                               int64_t ldc, int accumulate) {
    (void)ldc;
    body_avx512_1x32(kc, a, b, NULL, c, accumulate);
}

__attribute__((target("avx512f"))) static void uk_avx512_1x32_off(int64_t kc, const float *a,
                                                                   const float *b,
                                                                   const int32_t *off, float *c,
                                                                   int64_t ldc, int accumulate) {
    (void)ldc;
    body_avx512_1x32(kc, a, b, off, c, accumulate);
}

static const gl_sgemm_kernel k_avx512 = {"avx512", 8, 32, uk_avx512_8x32, uk_avx512_8x32_off};
static const gl_sgemm_kernel k_avx512_m1 = {"avx512_1x32", 1, 32, uk_avx512_1x32,
                                              uk_avx512_1x32_off};
static const gl_sgemm_kernel k_avx2 = {"avx2", 6, 16, uk_avx2_6x16, uk_avx2_6x16_off};

const gl_sgemm_kernel *gl_sgemm_x86_kernel(const char *name) {
    __builtin_cpu_init();
    if (strcmp(name, "avx512") == 0)
        return __builtin_cpu_supports("avx512f") ? &k_avx512 : NULL;
    if (strcmp(name, "avx512_1x32") == 0)
        return __builtin_cpu_supports("avx512f") ? &k_avx512_m1 : NULL;
    if (strcmp(name, "avx2") == 0)
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? &k_avx2 : NULL;
    return NULL;
}

#else

const gl_sgemm_kernel *gl_sgemm_x86_kernel(const char *name) {
    (void)name;
    return NULL;
}

#endif
