/* The INT8 kernels' quantiser (gk_quantize_n, cuda_device.cuh: a product by
 * the reciprocal, an exact division for the groups holding a value near a
 * half-way point) run on the host — the very function the kernels call —
 * against QuantizeLinear's reference
 * (gl_quantize_value: IEEE x / scale, half to even, zero point, saturated
 * to int8, NaN to the zero point). Needs nvcc, no GPU, so it always runs.
 * Every code must be equal. Values: random ones over the codes' range and
 * far past it, values within a few ulps of each half-way point and of
 * each whole code, zeros, denormals, infinities, NaN, the float
 * extremes; scales log-uniform over 1e-6 .. 1e3 plus exact powers of two;
 * zero points over the whole signed range; groups of 1, 8 and 16 (a group
 * divides all of its values when one of them is near a half-way point).
 * Fresh random inputs from the printed seed (GLINT_TEST_SEED). */
#include <float.h>
#include <math.h>
#include <stdio.h>

extern "C" {
#include "ops/quant_params.h"
#include "testlib.h"
}
#include "backend/cuda/cuda_device.cuh"

#define MAXN 16

static long g_checked, g_wrong;

/* Values x[0 .. n) through gk_quantize_n<N> in groups of N, against the
 * reference. */
template <int N>
static void check_groups(const float *x, int n, float scale, int zp) {
    const float inv = 1.0f / scale;
    for (int i0 = 0; i0 + N <= n; i0 += N) {
        float g[N];
        int q[N];
        for (int i = 0; i < N; i++) g[i] = x[i0 + i];
        gk_quantize_n<N>(g, scale, inv, zp, q);
        for (int i = 0; i < N; i++) {
            const int want = gl_quantize_value(g[i], scale, zp, -128, 127);
            g_checked++;
            if (q[i] != want && g_wrong++ < 10)
                printf("  x=%.9g (%a) scale=%.9g zp=%d group %d: code %d, reference %d\n", g[i],
                       (double)g[i], scale, zp, N, q[i], want);
        }
    }
}

static void check_all(const float *x, int n, float scale, int zp) {
    check_groups<1>(x, n, scale, zp);
    check_groups<8>(x, n, scale, zp);
    check_groups<16>(x, n, scale, zp);
}

/* x nudged by k ulps (k may be negative). */
static float nudge(float x, int k) {
    for (; k > 0; k--) x = nextafterf(x, INFINITY);
    for (; k < 0; k++) x = nextafterf(x, -INFINITY);
    return x;
}

/* n values for scale, each of a kind drawn at random (so that a group
 * mixes them): uniform over the codes' range, near a half-way point, near
 * a whole code, or saturated. */
static void draw(float *x, int n, float scale) {
    for (int i = 0; i < n; i++) {
        const int kind = (int)(tl_rand_u64() % 4);
        if (kind == 0) {
            x[i] = tl_rand_uniform(-200.0f, 200.0f) * scale;
        } else if (kind == 1) { /* (k + 1/2) * scale, a few ulps either way */
            const float k = floorf(tl_rand_uniform(-300.0f, 300.0f));
            x[i] = nudge((k + 0.5f) * scale, (int)(tl_rand_u64() % 9) - 4);
        } else if (kind == 2) { /* whole codes, a few ulps either way */
            const float k = floorf(tl_rand_uniform(-300.0f, 300.0f));
            x[i] = nudge(k * scale, (int)(tl_rand_u64() % 9) - 4);
        } else { /* saturated: around 1024 codes and far past them */
            const float s = tl_rand_u64() & 1 ? 1.0f : -1.0f;
            x[i] = tl_rand_u64() & 1 ? nudge(s * 1024.0f * scale, (int)(tl_rand_u64() % 9) - 4)
                                     : s * tl_rand_uniform(1e3f, 1e6f) * scale;
        }
    }
}

static void test_specials(void) {
    const float specials[MAXN] = {0.0f,     -0.0f,    NAN,      INFINITY, -INFINITY, FLT_MAX,
                                  -FLT_MAX, FLT_MIN,  -FLT_MIN, 1e-45f,   -1e-45f,   0.5f,
                                  -0.5f,    1.5f,     -2.5f,    127.49f};
    const float scales[] = {1.0f, 0.5f, 1e-6f, 3.0f / 255.0f, 1e3f};
    const int zps[] = {0, -128, 127, 5};
    for (float s : scales)
        for (int zp : zps) check_all(specials, MAXN, s, zp);
    CHECK_MSG(g_wrong == 0, "special values: %ld of %ld codes differ", g_wrong, g_checked);
}

static void test_random(void) {
    static float x[4096];
    const long wrong0 = g_wrong, checked0 = g_checked;
    for (int r = 0; r < 400; r++) {
        float scale = expf(tl_rand_uniform(logf(1e-6f), logf(1e3f)));
        if (r % 10 == 0) scale = ldexpf(1.0f, (int)(tl_rand_u64() % 20) - 10); /* exact inverse */
        const int zp = (int)(tl_rand_u64() % 256) - 128;
        draw(x, 4096, scale);
        check_all(x, 4096, scale, zp);
    }
    CHECK_MSG(g_wrong == wrong0, "random values: %ld of %ld codes differ", g_wrong - wrong0,
              g_checked - checked0);
}

int main(void) {
    tl_seed_from_env();
    test_specials();
    test_random();
    printf("test_quantize_host: %ld codes checked, %ld differ\n", g_checked, g_wrong);
    return TEST_END();
}
