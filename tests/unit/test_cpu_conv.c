/* The CPU conv fast path (packed SGEMM, implicit im2col, epilogue in the
 * store) against the reference kernels of Conv and glint::FusedConv, on
 * fresh random inputs over many shapes: odd channel counts, strides 1 and 2,
 * pads, groups, dilation, 1x1 (direct B) and larger kernels, batch 1 and 3,
 * every epilogue kind and broadcast, every SGEMM variant this CPU has, and
 * 1 to 4 threads. Outputs are poisoned with NaN first. */
#include <stdlib.h>
#include <string.h>

#include "backend/cpu/conv_fast.h"
#include "epilogue_testutil.h"
#include "ops/op.h"
#include "testlib.h"

typedef struct conv_case {
    int64_t n, c, m, group, h, w, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
    int bias;
} conv_case;

static float *rnd(size_t n) {
    float *p = malloc(n * sizeof(float) + 4);
    tl_fill_uniform(p, n, -1, 1);
    return p;
}

/* Runs one case with epilogue `epi_mode`: -1 = plain Conv, else a FusedConv
 * with a chain chosen from the mode (covers every kind and broadcast over
 * the modes). Returns 1 when fast == reference. */
static int run_case(const conv_case *cc, const gl_sgemm_kernel *kern, int threads, int epi_mode) {
    kern = gl_sgemm_for_m(kern, cc->m / cc->group); /* as the backend picks it */
    gl_fused_conv_params fp;
    memset(&fp, 0, sizeof fp);
    gl_conv_params *cp = &fp.conv;
    cp->group = cc->group;
    cp->n_kernel = 2;
    cp->kernel[0] = cc->kh; cp->kernel[1] = cc->kw;
    cp->stride[0] = cc->sh; cp->stride[1] = cc->sw;
    cp->dilation[0] = cc->dh; cp->dilation[1] = cc->dw;
    /* nn_params stores begins for 3 spatial dims, then ends */
    cp->pads[0] = cc->pt; cp->pads[1] = cc->pl;
    cp->pads[GL_MAX_SPATIAL + 0] = cc->pb; cp->pads[GL_MAX_SPATIAL + 1] = cc->pr;
    cp->n_attr_spatial = 2;
    cp->auto_pad = GL_AUTO_PAD_NOTSET;
    const int64_t xd[4] = {cc->n, cc->c, cc->h, cc->w};
    const int64_t wd[4] = {cc->m, cc->c / cc->group, cc->kh, cc->kw};
    gl_shape xs = {4, {xd[0], xd[1], xd[2], xd[3]}}, ws = {4, {wd[0], wd[1], wd[2], wd[3]}};
    gl_conv_geom g;
    gl_err err = {0};
    if (gl_conv_resolve(cp, &xs, &ws, &g, &err) != GLINT_OK) {
        fprintf(stderr, "resolve failed: %s\n", err.msg);
        return 0;
    }
    const int64_t plane = g.out[0] * g.out[1], ysz = cc->n * cc->m * plane;
    const int64_t yd[4] = {cc->n, cc->m, g.out[0], g.out[1]};
    float *x = rnd((size_t)(cc->n * cc->c * cc->h * cc->w));
    float *w = rnd((size_t)(wd[0] * wd[1] * wd[2] * wd[3]));
    float *b = rnd((size_t)cc->m);
    float *yr = malloc(sizeof(float) * (size_t)ysz), *yf = malloc(sizeof(float) * (size_t)ysz);
    gl_tensor in[3 + GL_MAX_EPILOGUE];
    memset(in, 0, sizeof in);
    int n_in = 3;
    in[0] = tl_tensor(GLINT_DTYPE_FLOAT32, x, 4, xd);
    in[1] = tl_tensor(GLINT_DTYPE_FLOAT32, w, 4, wd);
    const int64_t bd[1] = {cc->m};
    in[2] = cc->bias ? tl_tensor(GLINT_DTYPE_FLOAT32, b, 1, bd)
                     : (gl_tensor){.dtype = GLINT_DTYPE_UNDEFINED};
    float *opnd[GL_MAX_EPILOGUE] = {0};
    if (epi_mode >= 0) n_in = et_epilogue_chain(epi_mode, yd, &fp, in, n_in, opnd);
    gl_tensor out = tl_tensor(GLINT_DTYPE_FLOAT32, yr, 4, yd);
    const gl_op *op = epi_mode >= 0 ? gl_op_find("glint", "FusedConv") : gl_op_find("", "Conv");
    const void *params = epi_mode >= 0 ? (const void *)&fp : (const void *)cp;
    size_t wsb = op->workspace ? op->workspace(params, in, n_in, &out, 1) : 0;
    void *wsp = wsb ? malloc(wsb) : NULL;
    tl_poison(yr, (size_t)ysz);
    int ok = op->run(params, in, n_in, &out, 1, wsp, &err) == GLINT_OK;
    if (!ok) fprintf(stderr, "reference failed: %s\n", err.msg);

    float *packed = aligned_alloc(64, gl_align_up(gl_cpu_conv_packed_floats(kern, &g) * 4, 64));
    gl_cpu_conv_pack_weights(kern, &g, w, packed);
    gl_cpu_conv cv;
    gl_cpu_conv_init(&cv, kern, &g, packed, epi_mode >= 0 ? &fp : NULL);
    gl_pool *pool = NULL;
    CHECK_OK(gl_pool_create(NULL, threads, &pool, &err));
    size_t stride = gl_align_up(gl_cpu_conv_scratch_floats(), 16);
    float *scratch = aligned_alloc(64, stride * 4 * (size_t)threads);
    tl_poison(yf, (size_t)ysz);
    gl_tensor outf = tl_tensor(GLINT_DTYPE_FLOAT32, yf, 4, yd);
    CHECK(gl_cpu_conv_supported(&g));
    gl_cpu_conv_run(&cv, in, n_in, &outf, pool, scratch, stride);
    char what[256];
    snprintf(what, sizeof what,
             "%s t=%d epi=%d n=%lld c=%lld m=%lld g=%lld %lldx%lld k=%lldx%lld s=%lld,%lld "
             "d=%lld,%lld pads=%lld,%lld,%lld,%lld bias=%d",
             kern->name, threads, epi_mode, (long long)cc->n, (long long)cc->c, (long long)cc->m,
             (long long)cc->group, (long long)cc->h, (long long)cc->w, (long long)cc->kh,
             (long long)cc->kw, (long long)cc->sh, (long long)cc->sw, (long long)cc->dh,
             (long long)cc->dw, (long long)cc->pt, (long long)cc->pl, (long long)cc->pb,
             (long long)cc->pr, cc->bias);
    ok = ok && tl_close(yf, yr, (size_t)ysz, 1e-4f, 1e-5f, what);
    gl_pool_free(pool);
    free(scratch); free(packed); free(wsp);
    for (int i = 0; i < GL_MAX_EPILOGUE; i++) free(opnd[i]);
    free(x); free(w); free(b); free(yr); free(yf);
    return ok;
}

static int64_t ri(int64_t lo, int64_t hi) { return lo + (int64_t)(tl_rand_u64() % (uint64_t)(hi - lo + 1)); }

int main(void) {
    tl_seed_from_env();
    if (!gl_op_find("", "Conv") || !gl_op_find("glint", "FusedConv")) tl_skip("no Conv reference");
    const conv_case fixed[] = {
        /* n  c  m  g   h   w kh kw sh sw dh dw pt pl pb pr bias */
        {1, 3, 8, 1, 16, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},   /* the U-Net 3x3 */
        {3, 5, 7, 1, 9, 11, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1},    /* odd sizes, stride 2 */
        {1, 16, 33, 1, 8, 8, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1},   /* 1x1: direct B */
        {3, 6, 9, 3, 10, 7, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 0},    /* groups, dilation */
        {1, 4, 4, 4, 12, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},   /* depthwise */
        {1, 2, 3, 1, 5, 40, 1, 5, 1, 3, 1, 1, 0, 2, 0, 1, 1},    /* asymmetric */
        {1, 1, 1, 1, 64, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},   /* one channel in and out */
        {1, 8, 5, 1, 3, 3, 5, 5, 1, 1, 1, 1, 3, 3, 3, 3, 1},     /* window larger than input */
        {3, 17, 40, 1, 20, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1}, /* K crosses the K block? (153) */
        {1, 40, 16, 1, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},   /* K = 360 > KC */
        {1, 8, 16, 1, 16, 16, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1},  /* 1x1 stride 2 */
        {1, 24, 1, 1, 64, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},  /* the U-Net's last layer */
        {3, 5, 1, 1, 10, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0},   /* one channel, odd K */
        {2, 8, 2, 1, 9, 13, 3, 3, 1, 1, 1, 2, 1, 2, 0, 1, 1},    /* two channels: direct */
        {2, 1, 16, 1, 64, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},  /* first layer, K = 9 */
        {1, 2, 12, 1, 11, 9, 2, 3, 2, 1, 1, 1, 0, 1, 1, 0, 1},   /* K = 12, stride 2 rows */
    };
    const char *names[] = {"generic", "avx2", "avx512"};
    int cases = 0;
    for (size_t ki = 0; ki < GL_ARRAY_LEN(names); ki++) {
        const gl_sgemm_kernel *kern = gl_sgemm_kernel_named(names[ki]);
        if (!kern) { printf("kernel %s: not supported here, skipped\n", names[ki]); continue; }
        for (size_t i = 0; i < GL_ARRAY_LEN(fixed); i++) {
            for (int epi = -1; epi < 14; epi += 3) {
                CHECK(run_case(&fixed[i], kern, 1 + (int)((i + (size_t)epi + 1) % 4), epi));
                cases++;
            }
        }
        for (int r = 0; r < 40; r++) {
            conv_case cc;
            cc.group = ri(0, 3) == 0 ? ri(2, 3) : 1;
            cc.c = cc.group * ri(1, 9);
            cc.m = cc.group * ri(1, 12);
            cc.n = ri(0, 2) == 0 ? 3 : 1;
            cc.kh = ri(1, 3) * 2 - 1; cc.kw = ri(0, 3) == 0 ? ri(1, 4) : cc.kh;
            cc.sh = ri(1, 2); cc.sw = ri(0, 3) == 0 ? ri(1, 2) : cc.sh;
            cc.dh = ri(0, 4) == 0 ? 2 : 1; cc.dw = cc.dh;
            cc.pt = ri(0, 2); cc.pl = ri(0, 2); cc.pb = ri(0, 2); cc.pr = ri(0, 2);
            cc.h = ri((cc.kh - 1) * cc.dh + 1, 21); cc.w = ri((cc.kw - 1) * cc.dw + 1, 23);
            cc.bias = (int)ri(0, 1);
            int epi = (int)ri(-1, 13);
            CHECK(run_case(&cc, kern, (int)ri(1, 4), epi));
            cases++;
        }
    }
    printf("%d conv cases\n", cases);
    return TEST_END();
}
